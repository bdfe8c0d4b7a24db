from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from driftline.gate import CheckResult, GateReport
from driftline.quickstart import make_credit_scenario, run_quickstart
from driftline.quickstart._steps import show_gate
from driftline.quickstart._story import Story
from driftline.report import Report

RunCli = Callable[..., subprocess.CompletedProcess[str]]


def test_scenario_is_deterministic_and_drifts() -> None:
    a = make_credit_scenario(rows_per_week=300)
    b = make_credit_scenario(rows_per_week=300)
    pd.testing.assert_frame_equal(a.production, b.production)
    weeks = a.production_weeks
    early = a.production[a.production["week"].isin(weeks[:3])]
    late = a.production[a.production["week"].isin(weeks[-3:])]
    assert late["credit_utilization"].mean() > early["credit_utilization"].mean() + 0.1
    assert late["months_at_job"].isna().mean() > 5 * early["months_at_job"].isna().mean()
    assert "partner_api" not in set(a.reference["channel"])
    assert "partner_api" in set(late["channel"])


def test_quickstart_default_size_is_fast_and_shows_the_decay(tmp_path: Path) -> None:
    started, done = [], []
    result = run_quickstart(
        tmp_path / "qs", on_start=started.append, on_step=lambda *step: done.append(step)
    )
    assert result.elapsed_seconds < 60
    titles = [title for title, _, _ in done]
    assert started == titles
    assert titles == [
        "demo data and model", "overview", "data quality", "data drift", "streaming alarm",
        "estimated performance", "realized performance", "worst slice", "gate",
        "live monitoring",
    ]  # fmt: skip
    assert [f for _, findings, _ in done for f in findings] == result.findings
    assert all(seconds >= 0 for _, _, seconds in done)
    auc = result.facts["realized_roc_auc"]
    weekly = list(auc["weekly"].values())
    assert auc["reference"] > 0.78
    assert sum(weekly[-3:]) / 3 < auc["reference"] - 0.05
    quality = {(f["column"], f["kind"]) for f in result.facts["quality"]}
    assert quality == {("channel", "new_category"), ("months_at_job", "missing")}
    assert result.facts["estimated_accuracy"]["first_alert"] is not None
    assert "calibration_shift" in result.facts["estimated_accuracy"]["warnings_after_labels"]
    assert "partner_api" in result.facts["worst_slice"]["description"]
    verdict = result.facts["gate"]["verdict"]
    assert verdict != "fail"
    tone = {"pass": "ok", "warn": "warn"}[verdict]
    gate_lines = [f for f in result.findings if f.step == "gate" and "driftline gate:" in f.text]
    assert [f.tone for f in gate_lines] == [tone], "a WARN verdict is never shown as ok"
    assert result.files["gate_report"].exists()
    drift = result.facts["drift"]
    per_week = list(drift["drifted_columns_per_week"].values())
    assert per_week[:3] == [0, 0, 0], "the stable first production weeks must stay quiet"
    assert drift["first_week"] is not None
    assert {"channel", "credit_utilization", "score"} <= set(drift["last_4_weeks"])
    assert "age" not in drift["last_4_weeks"]
    assert result.facts["streaming_alarm"]["week"] >= "W20"
    assert result.files["drift_report"].exists()
    live = result.facts["monitoring_service"]
    assert live["windows"] == 14
    assert live["rows_sent"] == 28_000
    assert live["alerts"] >= 1
    assert live["first_drift_window"] is not None
    assert live["first_drift_window"] >= "W19"
    assert live["webhooks_received"] >= 1
    assert live["webhooks_signed"] == live["webhooks_received"]
    # Issue 13.25: the project name that every API path needs is printed with the token.
    assert (live["project"], live["model"]) == ("credit", "credit-default")
    explore = [f.text for f in result.findings if f.text.startswith("explore it:")]
    assert len(explore) == 1
    assert "project 'credit'" in explore[0]
    assert "/api/v1/projects/credit/" in explore[0]
    assert f"admin token {live['token']}" in explore[0]
    html = result.report_path.read_text()
    shown = re.search(r'class="callout (\w+)">driftline gate: (\w+)', html)
    assert shown is not None
    assert (shown[1], shown[2]) == (tone, verdict.upper())
    assert "None" not in html
    assert "nan" not in re.sub(r"<[^>]+>", " ", html).split()
    assert "Realized performance" in html
    assert "Data drift" in html
    assert "Monitoring service" in html
    assert (tmp_path / "qs" / "report.md").exists()
    assert pd.read_parquet(result.files["production"])["score"].between(0, 1).all()


def test_quickstart_cli_prints_each_step_as_it_finishes(tmp_path: Path) -> None:
    """Issue 13.16: the quickstart took ~70 s with no sign of life; now each step's
    findings reach standard output (even a pipe) when the step finishes, and on a
    terminal (forced here with DRIFTLINE_PROGRESS=1) the running step shows on stderr."""
    env = {**os.environ, "COLUMNS": "120", "NO_COLOR": "1", "DRIFTLINE_PROGRESS": "1"}
    env.pop("DRIFTLINE_DEBUG", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "driftline", "quickstart", "--rows-per-week", "200"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    arrived = [(time.monotonic(), line.rstrip("\n")) for line in process.stdout]
    stderr = process.communicate(timeout=600)[1]
    assert process.returncode == 0, stderr
    lines = [line for _, line in arrived]
    assert "Report:" in "\n".join(lines)
    assert (tmp_path / "driftline-quickstart" / "report.html").exists()
    when = {line: t for t, line in arrived}
    first_step = when["overview"]
    monitoring = when["monitoring service"]
    # The live-monitoring step alone streams for seconds: its heading comes well after
    # the first step's, not in one burst at the end.
    assert monitoring - first_step > 1.0, lines
    assert "live monitoring" in stderr  # the running step, on standard error
    assert lines.index("overview") < lines.index("data quality") < lines.index("gate")
    server = [line for line in lines if line.startswith("Server:")]
    assert server
    assert "project 'credit'" in server[0]


def test_quickstart_cli_json(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("quickstart", "--rows-per-week", "200", "--json", "--out", "out")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert Path(tmp_path / payload["report"]).exists()
    assert {f["step"] for f in payload["findings"]} >= {"overview", "realized performance"}


def _gate_report(verdict: str, observed: float | None) -> GateReport:
    check = CheckResult(
        "p95 latency <= 50 ms", "latency", "warn", verdict, observed, 50.0, "<=",  # type: ignore[arg-type]
        None, None, "p95 62.26 ms violates <= 50 ms",
    )  # fmt: skip
    return GateReport("demo", verdict, (check,), {"policy": None}, {"n_rows": 52270}, 0.95,  # type: ignore[arg-type]
                      "2026-12-02T10:00:00+00:00", 1.5, "0")  # fmt: skip


@pytest.mark.parametrize(("verdict", "tone"), [("warn", "warn"), ("pass", "ok"), ("fail", "fail")])
def test_the_quickstart_shows_the_gate_verdict_in_its_own_tone(
    tmp_path: Path, verdict: str, tone: str
) -> None:
    story = Story(Report("t"), out_dir=tmp_path)
    show_gate(story, _gate_report(verdict, None), "context")
    assert [f.tone for f in story.findings if "driftline gate:" in f.text] == [tone]
    html = story.report.to_html()
    assert f'<div class="callout {tone}">driftline gate: {verdict.upper()}' in html
    assert "None" not in html  # observed None is shown as a dash


def test_gate_html_never_shows_a_warn_in_green_nor_none(tmp_path: Path) -> None:
    html = _gate_report("warn", 52270.0).to_html(tmp_path / "g.html").read_text()
    assert '<div class="callout warn">' in html
    assert "callout ok" not in html
    assert "52,270" in html
    assert "5.227e+04" not in html
    assert ">None<" not in html
    assert "not given" in html
