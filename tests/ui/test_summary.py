"""The plain-language summaries say what changed, since when, how sure we are and what to
do next, in words a reader without statistics follows (checked for content, not wording
of every character)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from driftline.server._ui._data import Estimate, WindowRow
from driftline.server._ui._summary import health, summarize, window_label

MONDAY = datetime(2026, 3, 2, tzinfo=UTC)


def day(
    i: int,
    accuracy: float | None,
    *,
    band: tuple[float, float] = (0.89, 0.93),
    drifted: dict[str, dict[str, Any]] | None = None,
    realized: Estimate | None = None,
    labels: int = 0,
    findings: tuple[dict[str, Any], ...] = (),
) -> WindowRow:
    start = MONDAY + timedelta(days=i)
    est = {}
    if accuracy is not None:
        outside = not band[0] <= accuracy <= band[1]
        est["accuracy"] = Estimate(accuracy, accuracy - 0.03, accuracy + 0.03, *band, outside)
    columns = {"age": {"drifted": False, "effect_size": 0.01, "explanation": "mean +0.01 sd"}}
    columns.update(drifted or {})
    return WindowRow(
        key=i,
        start=start,
        end=start + timedelta(days=1),
        status="closed",
        rows=500,
        labels=labels,
        computed=True,
        failed=False,
        drift_share=sum(1 for c in columns.values() if c["drifted"]) / len(columns),
        drifted=any(c["drifted"] for c in columns.values()),
        drift_columns=columns,
        n_columns=len(columns),
        findings=findings,
        n_findings=len(findings),
        estimated=est,
        realized={"accuracy": realized} if realized else {},
        n_realized_labels=labels,
    )


INCOME = {
    "income": {
        "drifted": True,
        "effect_size": 0.42,
        "effect_name": "wasserstein_sd",
        "explanation": "mean +0.42 sd, sd x1.10",
    }
}


def test_a_drop_below_the_usual_range_says_since_when_how_much_and_why() -> None:
    rows = [day(0, 0.91), day(1, 0.91), day(2, 0.86, drifted=INCOME), day(3, 0.84, drifted=INCOME)]
    story = summarize(rows, hourly=False)
    first = story.what_changed[0]
    assert first == (
        "Since Wed 4 Mar 2026 the estimated accuracy fell from 0.91 to 0.84, "
        "below its usual range 0.89–0.93."
    )
    assert story.what_changed[1] == "Biggest change: income shifted up (+0.4 sd)."
    assert story.line.startswith("Since Wed 4 Mar 2026")
    assert "likely between 0.81 and 0.87 (95% interval)" in story.how_sure[0]
    assert "without labels" in story.how_sure[0]
    assert "No performance is measured yet: 0% of the latest window" in story.how_sure[1]
    assert "start with income" in story.what_next
    assert "retraining" in story.what_next
    assert health(rows).status == "alert"


def test_hourly_windows_say_the_hour() -> None:
    rows = [day(0, 0.91), day(1, 0.80)]
    assert "Since Tue 3 Mar 2026 00:00 UTC" in summarize(rows, hourly=True).line


def test_a_healthy_version_says_nothing_to_do() -> None:
    rows = [day(0, 0.91), day(1, 0.92)]
    story = summarize(rows, hourly=False)
    assert story.what_changed == (
        "The estimated accuracy is 0.92, within its usual range 0.89–0.93.",
        "No feature moved away from the reference data in the latest window (1 feature checked).",
    )
    assert story.what_next == "Nothing to do."
    verdict = health(rows)
    assert verdict.status == "ok"
    assert verdict.reasons == ("nothing unusual in the latest window",)


def test_drift_without_a_drop_is_a_warning_with_advice() -> None:
    rows = [day(0, 0.91), day(1, 0.91, drifted=INCOME)]
    verdict = health(rows)
    assert verdict.status == "warning"
    assert verdict.reasons == ("1 feature drifted",)
    story = summarize(rows)
    assert "Check whether the change in income is expected" in story.what_next
    assert "performance is not affected so far" in story.what_next


def test_measured_performance_is_given_with_its_interval_and_label_count() -> None:
    real = Estimate(0.88, 0.85, 0.91)
    rows = [day(0, 0.9, realized=real, labels=412)]
    story = summarize(rows)
    assert (
        "Measured on 412 labelled predictions: accuracy 0.88 (95% interval 0.85–0.91)."
        in story.how_sure
    )


def test_open_alerts_and_quality_findings_count() -> None:
    finding = {"column": "age", "severity": "error", "message": "12% missing (reference 1%)"}
    rows = [day(0, 0.91, findings=(finding,))]
    verdict = health(rows, firing_alerts=2)
    assert verdict.status == "alert"
    assert verdict.reasons == ("2 open alerts", "1 data-quality finding")
    story = summarize(rows, 2)
    assert (
        "1 data-quality finding in the latest window, for example age: 12% missing "
        "(reference 1%)" in story.what_changed
    )
    assert "acknowledge" in story.what_next


def test_nothing_computed_yet_is_said_plainly() -> None:
    pending = WindowRow(1, MONDAY, MONDAY + timedelta(hours=1), "open", 10, 0, False, False)
    assert health([pending]).status == "no data"
    story = summarize([pending])
    assert story.line == "No window has been computed yet: send predictions to this version."


def test_window_labels_read_as_dates() -> None:
    assert window_label(MONDAY, MONDAY + timedelta(days=1)) == "Mon 2 Mar 2026"
    hour = MONDAY + timedelta(hours=14)
    assert window_label(hour, hour + timedelta(hours=1)) == "2 Mar 2026 14:00–15:00 UTC"
    assert window_label(MONDAY, MONDAY + timedelta(days=7)) == "2–8 Mar 2026"
    assert window_label(None, None, 7) == "window #7"


def test_a_single_window_story_has_no_since() -> None:
    story = summarize([day(3, 0.84, drifted=INCOME)], single=True)
    assert story.what_changed[0] == (
        "In this window the estimated accuracy was 0.84, below its usual range 0.89–0.93."
    )


def test_an_interrupted_drop_says_how_often_it_was_outside() -> None:
    rows = [day(0, 0.91), day(1, 0.84), day(2, 0.83), day(3, 0.90), day(4, 0.84)]
    line = summarize(rows, hourly=False).what_changed[0]
    assert line.startswith("Since Fri 6 Mar 2026 the estimated accuracy fell from 0.90 to 0.84")
    assert line.endswith("It was outside that range in 3 of the last 5 windows.")


def test_the_models_own_output_is_named_as_such() -> None:
    score = {"score": {"drifted": True, "effect_size": 1.2, "explanation": "mean +1.20 sd"}}
    story = summarize([day(0, 0.91, drifted=score)])
    assert "Biggest change: the model's scores shifted up (+1.2 sd)." in story.what_changed
