"""Pure rule evaluation, per kind, with properties checked by hypothesis."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from driftline.alerts import EvaluationContext, RuleSpec, StoredRule, check_rule, evaluate

START = "2026-11-20T13:00:00+00:00"
CTX = EvaluationContext(version_id="ver-1", project="fraud", model="scorer", version="3")
finite = st.floats(min_value=-10, max_value=10, allow_nan=False, allow_infinity=False)
unit = st.floats(min_value=0, max_value=1, allow_nan=False)


def _results(status: str = "closed", **parts: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema": 1,
        "window": {"key": 42, "start": START, "end": "2026-11-20T14:00:00+00:00", "status": status},
        "volume": {"rows": 1000, "labels": 0, "label_coverage": 0.0, "label_delay_seconds": None},
        "drift": None, "quality": None, "estimated": None, "realized": None,
        "skipped": {"drift": "no reference profile", "estimated": "no reference scores",
                    "realized": "no labels", "quality": "disabled"},
    }  # fmt: skip
    doc.update(parts)
    return doc


def _stored(spec: RuleSpec, rule_id: str = "rule-1") -> StoredRule:
    return StoredRule(rule_id, "project-1", None, spec)


def _spec(kind: str, **config: Any) -> RuleSpec:
    return RuleSpec(name=f"{kind} rule", kind=kind, config=config)  # type: ignore[arg-type]


# estimated -------------------------------------------------------------------------------
def _est(metric: str, value: float, lo: float | None, hi: float | None) -> dict[str, Any]:
    return {"method": "CBPE", "metrics": {metric: {"value": value, "lower": None, "upper": None,
                                                   "band_lower": lo, "band_upper": hi, "alert": False}}}  # fmt: skip


def test_estimated_message_matches_the_documented_form() -> None:
    firing = evaluate(
        _stored(_spec("estimated_metric", metric="roc_auc")),
        _results(estimated=_est("roc_auc", 0.71, 0.74, 0.80)),
        CTX,
    )
    assert firing is not None
    assert firing.message == (
        "estimated roc_auc 0.71 below its band [0.74, 0.80] in window 2026-11-20 13:00"
    )
    assert firing.severity == "warning"
    assert firing.dedupe_key == "rule-1:ver-1:estimated_metric:roc_auc"
    assert firing.payload["values"]["band_lower"] == 0.74
    assert firing.payload["window"]["key"] == 42
    assert (firing.payload["project"], firing.payload["model"], firing.payload["version"]) == (
        "fraud", "scorer", "3",
    )  # fmt: skip


@given(value=unit, lo=unit, width=unit, threshold=st.none() | unit, below_band=st.booleans())
def test_estimated_fires_exactly_below_band_or_threshold(
    value: float, lo: float, width: float, threshold: float | None, below_band: bool
) -> None:
    if not below_band and threshold is None:
        return  # not a valid rule (tested in test_spec)
    spec = _spec("estimated_metric", metric="accuracy", below_band=below_band, threshold=threshold)
    outcome = check_rule(spec, _results(estimated=_est("accuracy", value, lo, lo + width)), CTX)
    expected = (below_band and value < lo) or (threshold is not None and value < threshold)
    assert outcome.status == ("firing" if expected else "clear")


@given(value=st.floats(0, 100), lo=st.floats(0, 50), width=st.floats(0, 50))
def test_error_metrics_fire_above_their_band(value: float, lo: float, width: float) -> None:
    outcome = check_rule(
        _spec("estimated_metric", metric="mae"),
        _results(estimated=_est("mae", value, lo, lo + width)),
        CTX,
    )
    assert outcome.status == ("firing" if value > lo + width else "clear")
    if outcome.firing:
        assert " above its band " in outcome.firing.message


def test_estimated_unknown_when_not_computed_or_no_band() -> None:
    spec = _spec("estimated_metric", metric="roc_auc")
    outcome = check_rule(spec, _results(), CTX)
    assert outcome.status == "unknown"
    assert "no reference scores" in outcome.reason
    assert check_rule(spec, _results(estimated=_est("f1", 0.1, 0.5, 0.6)), CTX).status == "unknown"
    no_band = _results(estimated=_est("roc_auc", 0.1, None, None))
    assert check_rule(spec, no_band, CTX).status == "unknown"
    with_threshold = _spec("estimated_metric", metric="roc_auc", threshold=0.5)
    assert check_rule(with_threshold, no_band, CTX).status == "firing"


# realized --------------------------------------------------------------------------------
REFERENCE_OPS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: not a > b,
    ">": lambda a, b: b < a,
    ">=": lambda a, b: not a < b,
}


@given(
    op=st.sampled_from(["<", "<=", ">", ">="]),
    value=finite,
    threshold=finite | st.sampled_from([0.5]),
    n_labels=st.integers(0, 500),
    min_labels=st.integers(1, 300),
)
def test_realized_compares_once_enough_labels(
    op: str, value: float, threshold: float, n_labels: int, min_labels: int
) -> None:
    spec = _spec("realized_metric", metric="f1", op=op, threshold=threshold, min_labels=min_labels)
    realized = {
        "n_labels": n_labels,
        "metrics": {"f1": {"value": value, "lower": None, "upper": None}},
    }
    outcome = check_rule(spec, _results(realized=realized), CTX)
    if n_labels < min_labels:
        assert outcome.status == "unknown"
        assert f"only {n_labels} labels" in outcome.reason
    else:
        assert outcome.status == ("firing" if REFERENCE_OPS[op](value, threshold) else "clear")
        if outcome.firing:
            assert outcome.firing.severity == "critical"
            assert f" {op} " in outcome.firing.message


# drift -----------------------------------------------------------------------------------
def _drift(flags: dict[str, bool], verdict: bool | None = None) -> dict[str, Any]:
    drifted = [c for c, f in flags.items() if f]
    return {
        "drifted": bool(drifted) if verdict is None else verdict,
        "drifted_columns": drifted,
        "n_columns": len(flags),
        "share_drifted": len(drifted) / max(1, len(flags)),
        "columns": {c: {"method": "ks", "statistic": 0.3 if f else 0.01, "p_value": 0.001 if f else 0.6,
                        "p_value_adjusted": None, "effect_size": None, "effect_name": None,
                        "threshold": 0.05, "drifted": f, "explanation": ""} for c, f in flags.items()},
    }  # fmt: skip


columns = st.dictionaries(st.sampled_from(list("abcdefgh")), st.booleans(), min_size=1)


@given(flags=columns, verdict=st.booleans())
def test_drift_follows_the_dataset_verdict(flags: dict[str, bool], verdict: bool) -> None:
    outcome = check_rule(_spec("drift"), _results(drift=_drift(flags, verdict)), CTX)
    assert outcome.status == ("firing" if verdict else "clear")


@given(flags=columns, watched=st.lists(st.sampled_from(list("abcdefgh")), min_size=1, unique=True),
       data=st.data())  # fmt: skip
def test_drift_on_watched_columns(flags: dict[str, bool], watched: list[str], data: Any) -> None:
    k = data.draw(st.integers(1, len(watched)))
    spec = _spec("drift", columns=watched, min_drifted=k)
    outcome = check_rule(spec, _results(drift=_drift(flags, verdict=False)), CTX)
    present = [c for c in watched if c in flags]
    if not present:
        assert outcome.status == "unknown"
    else:
        count = sum(flags[c] for c in present)
        assert outcome.status == ("firing" if count >= k else "clear")


def test_drift_message_lists_columns() -> None:
    firing = evaluate(
        _spec("drift"), _results(drift=_drift({"amount": True, "age": False, "city": True})), CTX
    )
    assert firing is not None
    assert firing.message == "drift in 2 of 3 columns (amount, city) in window 2026-11-20 13:00"
    assert set(firing.payload["values"]["columns"]) == {"amount", "city"}


# data quality ----------------------------------------------------------------------------
FINDINGS = [
    {"column": "amount", "check": "missing", "severity": "warning", "message": "12% missing"},
    {"column": "age", "check": "range", "severity": "error", "message": "3 values below 0"},
    {"column": None, "check": "schema", "severity": "error", "message": "new column 'zip'"},
]


@pytest.mark.parametrize(
    ("config", "expected", "severity"),
    [
        ({}, 2, "critical"),
        ({"min_severity": "warning"}, 3, "critical"),
        ({"checks": ["missing"], "min_severity": "warning"}, 1, "warning"),
        ({"checks": ["missing"]}, 0, None),
        ({"checks": ["schema", "range"]}, 2, "critical"),
    ],
)
def test_data_quality_filters_by_check_and_severity(
    config: dict[str, Any], expected: int, severity: str | None
) -> None:
    quality = {"n_findings": len(FINDINGS), "findings": FINDINGS}
    outcome = check_rule(_spec("data_quality", **config), _results(quality=quality), CTX)
    assert outcome.values["n_findings"] == expected
    assert outcome.status == ("firing" if expected else "clear")
    if outcome.firing:
        assert outcome.firing.severity == severity
        assert outcome.firing.message.startswith(f"{expected} data-quality finding")


# volume ----------------------------------------------------------------------------------
@given(
    rows=st.integers(0, 5000),
    previous=st.lists(st.integers(0, 5000), max_size=40),
    fraction=st.floats(0.01, 1.0),
    baseline=st.integers(1, 30),
    data=st.data(),
)
def test_volume_drop_against_the_median_of_previous_windows(
    rows: int, previous: list[int], fraction: float, baseline: int, data: Any
) -> None:
    minimum = data.draw(st.integers(1, baseline))
    spec = _spec("volume_drop", fraction=fraction, baseline_windows=baseline, min_baseline=minimum)
    ctx = EvaluationContext(version_id="v", previous_volumes=previous)
    volume = {"rows": rows, "labels": 0, "label_coverage": 0.0, "label_delay_seconds": None}
    outcome = check_rule(spec, _results(volume=volume), ctx)
    used = previous[:baseline]
    if len(used) < minimum:
        assert outcome.status == "unknown"
    else:
        assert outcome.status == ("firing" if rows < fraction * float(np.median(used)) else "clear")


def test_volume_drop_waits_for_the_window_to_close() -> None:
    spec = _spec("volume_drop")
    ctx = EvaluationContext(version_id="v", previous_volumes=[1000] * 5)
    volume = {"rows": 0, "labels": 0, "label_coverage": 0.0, "label_delay_seconds": None}
    assert check_rule(spec, _results("open", volume=volume), ctx).status == "unknown"
    closed = check_rule(spec, _results("closed", volume=volume), ctx)
    assert closed.firing is not None
    assert closed.firing.severity == "critical"


# dedupe keys -----------------------------------------------------------------------------
@given(a=unit, b=unit)
def test_dedupe_key_depends_on_rule_version_and_condition_only(a: float, b: float) -> None:
    spec = _stored(_spec("estimated_metric", metric="roc_auc", threshold=1.0))
    first = evaluate(spec, _results(estimated=_est("roc_auc", a * 0.99, None, None)), CTX)
    other_window = _results(estimated=_est("roc_auc", b * 0.99, None, None))
    other_window["window"] = {"key": 43, "start": None, "end": None, "status": "open"}
    second = evaluate(spec, other_window, CTX)
    assert first is not None
    assert second is not None
    assert first.dedupe_key == second.dedupe_key
    other_version = evaluate(spec, other_window, EvaluationContext(version_id="ver-2"))
    assert other_version is not None
    assert other_version.dedupe_key != first.dedupe_key
    other_metric = _stored(_spec("estimated_metric", metric="f1", threshold=1.0))
    f1 = evaluate(other_metric, _results(estimated=_est("f1", 0.5, None, None)), CTX)
    assert f1 is not None
    assert f1.dedupe_key != first.dedupe_key


def test_window_label_falls_back_to_the_key() -> None:
    spec = _spec("estimated_metric", metric="roc_auc")
    results = _results(estimated=_est("roc_auc", 0.5, 0.6, 0.7))
    results["window"] = {"key": 7, "start": None, "end": None, "status": "open"}
    firing = evaluate(spec, results, CTX)
    assert firing is not None
    assert firing.message.endswith("in window #7")
    ctx = EvaluationContext(version_id="v", window_start=datetime(2026, 1, 2, 3, 0, tzinfo=UTC))
    firing = evaluate(spec, results, ctx)
    assert firing is not None
    assert firing.message.endswith("in window 2026-01-02 03:00")
