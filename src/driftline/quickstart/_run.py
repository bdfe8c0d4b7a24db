"""The quickstart: the whole loop, as far as driftline has built it, on a generated demo."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from driftline.quickstart import _steps
from driftline.quickstart._model import predict_scores, train_model
from driftline.quickstart._scenario import FEATURES, make_credit_scenario
from driftline.quickstart._story import Finding, Story
from driftline.report import Report

__all__ = ["QuickstartResult", "StepDone", "StepStart", "run_quickstart"]

StepStart = Callable[[str], None]
"""Called with a step's title when it starts."""
StepDone = Callable[[str, Sequence[Finding], float], None]
"""Called when a step finishes, with its title, its findings and its duration in seconds."""


@dataclass(frozen=True)
class QuickstartResult:
    """What the quickstart did: its findings, its facts and the files it wrote."""

    out_dir: Path
    report_path: Path
    files: dict[str, Path]
    findings: list[Finding]
    facts: dict[str, Any]
    elapsed_seconds: float

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (paths as strings)."""
        return {
            "out_dir": str(self.out_dir),
            "report": str(self.report_path),
            "files": {name: str(path) for name, path in self.files.items()},
            "findings": [f.to_dict() for f in self.findings],
            "facts": self.facts,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
        }


_PREPARE = "demo data and model"


def _write_frames(out: Path, reference: pd.DataFrame, production: pd.DataFrame) -> dict[str, Path]:
    files = {
        "reference": out / "reference.parquet",
        "production": out / "production.parquet",
    }
    reference.to_parquet(files["reference"], index=False)
    production.to_parquet(files["production"], index=False)
    return files


def run_quickstart(
    out_dir: str | Path = "driftline-quickstart",
    *,
    seed: int = 7,
    rows_per_week: int = 2_000,
    on_start: StepStart | None = None,
    on_step: StepDone | None = None,
) -> QuickstartResult:
    """Run the demo end to end and write its report and data under ``out_dir``.

    A credit-default classifier is trained on generated data; a reference period
    and a production period in which covariate drift and silent accuracy decay set
    in are scored; every capability driftline has is run on them. ``on_start`` and
    ``on_step`` are told when each step starts and finishes (with the step's findings),
    so that a caller can show them as they come.

    >>> import tempfile
    >>> done = []
    >>> result = run_quickstart(
    ...     tempfile.mkdtemp(), rows_per_week=150, on_step=lambda t, f, s: done.append(t)
    ... )
    >>> result.report_path.name, result.report_path.exists()
    ('report.html', True)
    >>> done[:3]
    ['demo data and model', 'overview', 'data quality']
    """
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    begun = time.perf_counter()
    if on_start is not None:
        on_start(_PREPARE)
    scenario = make_credit_scenario(seed=seed, rows_per_week=rows_per_week)
    model = train_model(scenario.train, scenario.target, seed=seed)
    reference = scenario.reference.assign(score=predict_scores(model, scenario.reference))
    production = scenario.production.assign(score=predict_scores(model, scenario.production))
    files = _write_frames(out, reference, production)
    if on_step is not None:
        on_step(_PREPARE, [], time.perf_counter() - begun)

    report = Report(
        "driftline quickstart: a credit model meets a downturn",
        subtitle=(
            f"Reference: {len(reference):,} scored applications "
            f"({reference['week'].min()}–{reference['week'].max()}). "
            f"Production: {len(production):,} applications over "
            f"{production['week'].nunique()} weeks ({production['week'].min()}–"
            f"{production['week'].max()})."
        ),
    )
    story = Story(report, out_dir=out, champion=model, train=scenario.train)
    story.facts["rows"] = {"reference": len(reference), "production": len(production)}
    story.facts["features"] = list(FEATURES)
    story.facts["score_mean"] = {
        "reference": float(np.mean(reference["score"])),
        "production": float(np.mean(production["score"])),
    }
    for step in _steps.STEPS:
        title = step.__name__.replace("_", " ")
        begun, before = time.perf_counter(), len(story.findings)
        if on_start is not None:
            on_start(title)
        step(story, reference, production, scenario.target)
        if on_step is not None:
            on_step(title, story.findings[before:], time.perf_counter() - begun)
    files.update(story.files)
    report_path = report.write(out / "report.html")
    report.write(out / "report.md")
    files["report_markdown"] = out / "report.md"
    return QuickstartResult(
        out_dir=out,
        report_path=report_path,
        files=files,
        findings=story.findings,
        facts=story.facts,
        elapsed_seconds=time.perf_counter() - started,
    )
