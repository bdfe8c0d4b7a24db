"""A real browser (Debian's Chromium through Playwright), and every kind of page driftline
writes, built from real data (scikit-learn's breast-cancer set, the quickstart's credit
scenario).

CI installs ``chromium`` (apt) and ``playwright`` (the dev extra); Playwright's own browser
download is never used. Without Chromium the browser tests are skipped locally and fail on
CI (``CI=true``), so that a missing install cannot pass unnoticed.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from driftline.report import Report

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name) or (
            f"/usr/bin/{name}" if os.path.exists(f"/usr/bin/{name}") else None
        )
        if found:
            return found
    return None


@pytest.fixture(scope="module")  # not session: Playwright's sync API keeps an event loop
def browser() -> Iterator[Any]:  # running in this thread until it stops (asyncio.run fails)
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        executable = None
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail(
                "CI needs Chromium and Playwright: apt-get install -y chromium; pip install -e '.[dev]'"
            )
        pytest.skip("Chromium or Playwright is not installed (apt-get install -y chromium)")
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


_CANCER_FEATURES = ["mean radius", "mean texture", "worst smoothness"]


def cancer_scores() -> pd.DataFrame:
    """Held-out rows of the breast-cancer set with a logistic model's scores."""
    x, y = load_breast_cancer(return_X_y=True, as_frame=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.5, random_state=0)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.05))
    model.fit(x_train[_CANCER_FEATURES], y_train)
    frame = x_test[_CANCER_FEATURES].copy()
    frame["score"] = model.predict_proba(frame)[:, 1]
    frame["target"] = y_test.to_numpy()
    return frame.reset_index(drop=True)


@functools.cache
def credit() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The quickstart's scored reference and production periods."""
    from driftline.quickstart._model import predict_scores, train_model
    from driftline.quickstart._scenario import make_credit_scenario

    scenario = make_credit_scenario(seed=7, rows_per_week=600)
    model = train_model(scenario.train, scenario.target, seed=7)
    reference = scenario.reference.assign(score=predict_scores(model, scenario.reference))
    production = scenario.production.assign(score=predict_scores(model, scenario.production))
    return reference, production


def evaluation_page() -> Report:
    from driftline.metrics import evaluate, evaluation_report, find_worst_slices

    data = cancer_scores()
    y, s = data["target"].to_numpy(), data["score"].to_numpy()
    result = evaluate(y, s, task="binary", random_state=0)
    worst = find_worst_slices(data[_CANCER_FEATURES[:2]], y, s, random_state=0)
    return evaluation_report(result, y_true=y, y_score=s, worst=worst, title="Evaluation")


def gate_page() -> Report:
    from driftline.gate import CheckResult, GateReport

    checks = (
        CheckResult("roc_auc >= 0.7", "metric", "fail", "pass", 0.8123, 0.7, ">=", 0.79, 0.83,
                    "roc_auc 0.8123 >= 0.7"),
        CheckResult("p95 latency <= 50 ms", "latency", "warn", "warn", 62.26, 50.0, "<=", None,
                    None, "p95 62.26 ms violates <= 50 ms"),
        CheckResult("income mean <= 60,000", "metric", "warn", "pass", 52270.4, 60000.0, "<=",
                    None, None, "mean income 52,270 <= 60,000"),
    )  # fmt: skip
    report = GateReport("credit model promotion", "warn", checks,
                        {"candidate": "ab" * 32, "champion": None}, {"n_rows": 4000, "seed": None},
                        0.95, "2026-12-02T10:00:00+00:00", 2.5, "0.1.0")  # fmt: skip
    return report.to_report()


def drift_page() -> Report:
    from driftline.drift import DriftDetector
    from driftline.quickstart._scenario import FEATURES

    reference, production = credit()
    columns = [*FEATURES, "score"]
    detector = DriftDetector(columns=columns).fit(reference)
    return detector.compare(production.tail(2_400)).to_report()


def estimation_page() -> Report:
    from driftline.estimate import CBPE
    from driftline.quickstart._scenario import FEATURES

    reference, production = credit()
    cbpe = CBPE(metrics=("roc_auc", "accuracy"), chunk_period="W", timestamp_column="timestamp")
    cbpe.fit(reference, y_score="score", y_true="defaulted", features=list(FEATURES))
    return cbpe.estimate(production, y_true="defaulted").to_report()


def profile_page() -> Report:
    from driftline.profiles import check_quality, profile

    reference, production = credit()
    current = profile(production)
    return current.to_report(check_quality(current, profile(reference)))


def quality_page() -> Report:
    from driftline.profiles import check_quality, profile

    reference, production = credit()
    return check_quality(profile(production), profile(reference)).to_report()


PAGES: dict[str, Callable[[], Report]] = {
    "evaluate": evaluation_page,
    "gate": gate_page,
    "drift": drift_page,
    "estimate": estimation_page,
    "profile": profile_page,
    "quality": quality_page,
}


def write_all(folder: Path) -> dict[str, Path]:
    """Write every page (and its notebook fragment, wrapped in a page) under ``folder``."""
    out = {}
    for name, build in PAGES.items():
        page = build()
        out[name] = page.write(folder / f"{name}.html")
        fragment = folder / f"{name}.notebook.html"
        fragment.write_text(f"<!doctype html><html><body>{page._repr_html_()}</body></html>")
        out[f"{name}.notebook"] = fragment
    return out


def integers() -> np.ndarray:
    """A column of a few integers (children per household), for the comb-to-bars check."""
    return np.random.default_rng(0).poisson(1.3, 5_000).astype(float)


@pytest.fixture(scope="session")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every page and notebook fragment, written once per test session."""
    return write_all(tmp_path_factory.mktemp("pages"))


@pytest.fixture(scope="session")
def cancer() -> pd.DataFrame:
    """Held-out breast-cancer rows with a model's scores."""
    return cancer_scores()


@pytest.fixture(scope="session")
def credit_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The quickstart's scored reference and production periods."""
    return credit()
