"""The pages of evaluate, estimate and profile (CLI ``--html``) and the notebook views."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pandas as pd

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def _text(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", html)


def test_evaluate_html_has_slices_table_matrix_and_curves(
    run_cli: RunCli, tmp_path: Path, cancer: pd.DataFrame
) -> None:
    cancer.to_csv(tmp_path / "scored.csv", index=False)
    result = run_cli(
        "evaluate", "scored.csv", "--target", "target", "--score", "score",
        "--slices", "mean radius,mean texture", "--html", "eval.html",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "eval.html").read_text()
    for title in ("Confusion matrix", "ROC curve", "Precision-recall curve",
                  "Calibration (reliability) curve", "Worst slices"):  # fmt: skip
        assert f">{title}<" in html, title
    slices = html[html.index("<h2>Worst slices</h2>") :]
    rows = re.findall(r"<tr[^>]*><td>mean (?:radius|texture) in \[", slices)
    assert len(rows) >= 5, "each slice is a table row, not one flattened paragraph"
    assert "q (BH)" in slices


def test_estimate_html_charts_estimates_bands_and_realized(
    run_cli: RunCli, tmp_path: Path, credit_frames: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    reference, production = credit_frames
    reference.to_parquet(tmp_path / "ref.parquet")
    production.to_parquet(tmp_path / "cur.parquet")
    result = run_cli(
        "estimate", "ref.parquet", "cur.parquet", "--score", "score", "--target", "defaulted",
        "--chunk-size", "600", "--html", "estimate.html",
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    html = (tmp_path / "estimate.html").read_text()
    assert "Estimated roc_auc" in html
    assert "<polygon" in html, "the confidence band"
    assert "realized roc_auc (labels)" in html
    assert "rows 1–600" in html


def test_profile_html_has_column_charts_and_findings(
    run_cli: RunCli, tmp_path: Path, credit_frames: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    reference, production = credit_frames
    reference.to_csv(tmp_path / "ref.csv", index=False)
    production.to_csv(tmp_path / "cur.csv", index=False)
    result = run_cli("profile", "cur.csv", "--reference", "ref.csv", "--html", "profile.html")
    assert result.returncode == 1, result.stderr  # errors in the quality findings
    html = (tmp_path / "profile.html").read_text()
    assert html.count('class="mini"') >= 10, "a small distribution chart per column"
    assert '<tr class="fail"><td>ERROR</td><td>channel</td>' in html
    assert "1 category not in the reference" in _text(html)


def test_notebook_views_are_compact_fragments(
    cancer: pd.DataFrame, credit_frames: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    from driftline.drift import DriftDetector
    from driftline.estimate import CBPE
    from driftline.gate import GateReport
    from driftline.profiles import check_quality, profile

    reference, production = credit_frames
    prof = profile(production)
    cbpe = CBPE(metrics=("accuracy",), chunk_size=1_000)
    cbpe.fit(reference, y_score="score", y_true="defaulted")
    views = [
        DriftDetector(columns=["age", "channel"]).fit(reference).compare(production),
        GateReport("p", "warn", (), {}, {"n_rows": 10}, 0.95, "2026-01-01T00:00:00", 1.0, "0"),
        cbpe.estimate(production),
        prof,
        check_quality(prof, profile(reference)),
    ]
    for view in views:
        html = view._repr_html_()
        assert html.startswith("<style>"), type(view)
        assert "<html" not in html
        assert "<script" not in html
        assert re.search(r"\b(src|href)=", html) is None
        assert "None" not in _text(html)
