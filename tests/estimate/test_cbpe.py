"""CBPE end to end: unbiased within its band on calibrated data, inputs, checks, results."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from driftline.estimate import CBPE, EstimationResult
from driftline.exceptions import DataError, NotFittedError, ParameterError, SchemaMismatchError

from .conftest import simulate

ALL = ("roc_auc", "f1", "precision", "recall", "accuracy", "specificity")


def _bias_and_coverage(result: EstimationResult) -> dict[str, tuple[float, float, float]]:
    """Mean (realized - estimate), its allowed sd, and the band coverage, per metric.

    The calibration error (``estimate_error``) is shared by all chunks, so the mean
    error over k chunks has sd ≈ sqrt(mean estimate_error² + mean sampling_error² / k).
    """
    out = {}
    for m in ALL:
        est = [c.metric(m) for c in result.chunks]
        err = np.array([e.realized - e.value for e in est])
        shared = np.mean([e.estimate_error**2 for e in est])
        own = np.mean([e.sampling_error**2 for e in est]) / len(est)
        cover = np.mean([e.realized_in_band for e in est])
        out[m] = (float(err.mean()), float(np.sqrt(shared + own)), float(cover))
    return out


@pytest.mark.parametrize(
    ("shift", "miscalibrate"), [(0.0, False), (0.7, False), (0.7, True), (-0.5, True)]
)
def test_estimate_is_unbiased_within_its_band_under_covariate_shift(
    shift: float, miscalibrate: bool
) -> None:
    # 60 chunks of 2,000 rows; the mean error must be within 3 sd of 0 and the 95%
    # band must cover the realized value in >= 88% of chunks (binomial sd 2.8%).
    ref = simulate(200_000, seed=1, miscalibrate=miscalibrate)
    cur = simulate(120_000, seed=2, shift=shift, miscalibrate=miscalibrate)
    cbpe = CBPE(chunk_size=2_000).fit(ref, y_score="score", y_true="y")
    result = cbpe.estimate(cur, y_true="y")
    assert cbpe.calibration_[0].calibrated == miscalibrate
    for m, (bias, sd, cover) in _bias_and_coverage(result).items():
        assert abs(bias) < 3 * sd, (m, bias, sd)
        assert cover >= 0.88, (m, cover)
    if not miscalibrate:
        assert all(e.estimate_error == 0.0 for c in result.chunks for e in c.metrics)


def test_band_covers_with_a_small_reference() -> None:
    # With 10,000 reference rows the isotonic map's own error is a large part of the
    # band (estimate_error, shared by all chunks); the band must still cover.
    ref = simulate(10_000, seed=21, miscalibrate=True)
    cur = simulate(60_000, seed=22, shift=0.5, miscalibrate=True)
    result = CBPE(chunk_size=2_000).fit(ref, y_score="score", y_true="y").estimate(cur, y_true="y")
    for m, (bias, _, cover) in _bias_and_coverage(result).items():
        half = np.mean([c.metric(m).upper - c.metric(m).lower for c in result.chunks]) / 2
        assert abs(bias) < half, (m, bias, half)
        assert cover >= 0.85, (m, cover)
    ratio = np.mean([e.estimate_error / e.sampling_error for c in result.chunks for e in c.metrics])
    assert 0.2 < ratio < 2.0


def test_realized_values_in_compare_equal_scikit_learn() -> None:
    ref = simulate(5_000, seed=3)
    cur = simulate(3_000, seed=4)
    result = CBPE(chunk_number=3).fit(ref, y_score="score", y_true="y").estimate(cur)
    compared = result.compare(cur["y"].to_numpy())
    first = cur.iloc[:1_000]
    pred = first["score"] >= 0.5
    chunk = compared.chunks[0]
    assert chunk.metric("roc_auc").realized == pytest.approx(
        skm.roc_auc_score(first["y"], first["score"]), abs=1e-12
    )
    assert chunk.metric("f1").realized == pytest.approx(skm.f1_score(first["y"], pred), abs=1e-12)
    assert result.chunks[0].metric("f1").realized is None


def test_concept_shift_is_reported_once_labels_arrive() -> None:
    ref = simulate(20_000, seed=5)
    cur = simulate(20_000, seed=6, concept=-1.5)
    result = CBPE(chunk_number=5).fit(ref, y_score="score", y_true="y").estimate(cur, y_true="y")
    shifts = [w for w in result.warnings if w.check == "calibration_shift"]
    assert {w.metric for w in shifts if w.severity == "warning"} >= {"precision", "accuracy"}
    assert all("concept shift" in w.message for w in shifts if w.severity == "warning")


def test_no_calibration_shift_warning_on_stable_data() -> None:
    ref = simulate(20_000, seed=7)
    cur = simulate(20_000, seed=8)
    result = CBPE(chunk_number=5).fit(ref, y_score="score", y_true="y").estimate(cur, y_true="y")
    assert not [w for w in result.warnings if w.severity == "warning"]


def test_out_of_range_scores_and_features_are_flagged() -> None:
    ref = simulate(10_000, seed=9)
    cur = simulate(10_000, seed=10, shift=3.0)
    cbpe = CBPE(chunk_number=2).fit(ref, y_score="score", y_true="y", features=["x", "z"])
    result = cbpe.estimate(cur)
    checks = {(w.check, w.feature) for w in result.warnings}
    assert ("score_out_of_range", None) in checks
    assert ("covariate_out_of_range", "x") in checks
    assert ("covariate_out_of_range", "z") not in checks
    quiet = cbpe.estimate(simulate(10_000, seed=11))
    assert not quiet.warnings


def test_alert_when_performance_leaves_the_reference_band() -> None:
    ref = simulate(20_000, seed=12)
    cur = pd.concat([simulate(4_000, seed=13), simulate(4_000, seed=14, scale=0.3)])
    result = CBPE(chunk_size=2_000).fit(ref, y_score="score", y_true="y").estimate(cur)
    alerts = {key for key, metric in result.alerts if metric == "roc_auc"}
    assert alerts >= {"chunk_2", "chunk_3"}
    assert not alerts & {"chunk_0", "chunk_1"}
    m = result.chunks[0].metric("roc_auc")
    assert m.reference_lower is not None
    assert m.reference_lower <= m.value <= (m.reference_upper or 1.0)


def test_frames_and_arrays_give_the_same_result() -> None:
    ref = simulate(5_000, seed=15)
    cur = simulate(4_000, seed=16)
    by_name = CBPE(chunk_size=1_000).fit(ref, y_score="score", y_true="y").estimate(cur)
    by_array = (
        CBPE(chunk_size=1_000)
        .fit(None, y_score=ref["score"].to_numpy(), y_true=ref["y"].to_numpy())
        .estimate(cur["score"].to_numpy())
    )
    assert by_name.to_dict() == by_array.to_dict()
    two_columns = np.column_stack([1 - cur["score"], cur["score"]])
    fitted = CBPE(chunk_size=1_000).fit(
        None, y_score=np.column_stack([1 - ref["score"], ref["score"]]), y_true=ref["y"]
    )
    assert fitted.estimate(two_columns).to_dict() == by_name.to_dict()


def test_period_chunking_and_result_views() -> None:
    ref = simulate(6_000, seed=17)
    cur = simulate(6_000, seed=18)
    ref["ts"] = pd.date_range("2026-01-01", periods=6_000, freq="min")
    cur["ts"] = pd.date_range("2026-02-01", periods=6_000, freq="min")
    cbpe = CBPE(chunk_period="D", timestamp_column="ts", metrics=("roc_auc", "f1"))
    result = cbpe.fit(ref, y_score="score", y_true="y").estimate(cur)
    assert [c.key for c in result.chunks] == [
        "2026-02-01",
        "2026-02-02",
        "2026-02-03",
        "2026-02-04",
        "2026-02-05",
    ]
    assert [c.n_rows for c in result.chunks] == [1440, 1440, 1440, 1440, 240]
    frame = result.to_frame()
    assert len(frame) == 2 * len(result.chunks)
    assert {"value", "lower", "upper", "alert", "sampling_error"} <= set(frame.columns)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["chunks"][0]["start"] == "2026-02-01T00:00:00"
    tn_fp, fn_tp = result.chunks[0].confusion
    assert sum(tn_fp) + sum(fn_tp) == pytest.approx(1440)
    lines = result.summary()
    assert lines[0].startswith("CBPE (binary) over 5 chunks")
    assert any(line.strip().startswith("roc_auc:") for line in lines)


def test_parameters_are_validated_with_named_messages() -> None:
    with pytest.raises(ParameterError, match=r"'metrics'.*did you mean 'roc_auc'"):
        CBPE(metrics=("auc",))
    with pytest.raises(ParameterError, match="the metrics it can estimate"):
        CBPE(metrics=("log_loss",))
    with pytest.raises(ParameterError, match="'problem'"):
        CBPE(problem="ternary")  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="at most one"):
        CBPE(chunk_size=10, chunk_number=3)
    with pytest.raises(ParameterError, match="timestamp_column"):
        CBPE(chunk_period="D")
    with pytest.raises(ParameterError, match="'confidence'"):
        CBPE(confidence=1.5)
    with pytest.raises(NotFittedError, match="Call 'fit' first"):
        CBPE().estimate(np.array([0.5]))
    ref = simulate(1_000, seed=19)
    with pytest.raises(SchemaMismatchError, match="nope"):
        CBPE().fit(ref, y_score="nope", y_true="y")
    with pytest.raises(DataError, match="binary labels"):
        CBPE().fit(ref, y_score="score", y_true=np.full(1_000, 2))


def test_given_predictions_are_used_and_arrays_need_names_for_frames() -> None:
    ref = simulate(5_000, seed=23)
    cur = simulate(2_000, seed=24)
    cbpe = CBPE(metrics=("precision",), chunk_number=1)
    cbpe.fit(None, y_score=ref["score"].to_numpy(), y_true=ref["y"].to_numpy())
    with pytest.raises(ParameterError, match="y_score=<column name"):
        cbpe.estimate(cur)
    score = cur["score"].to_numpy()
    everything = cbpe.estimate(score, y_pred=np.ones(score.size, dtype=int))
    default = cbpe.estimate(cur, y_score="score")
    p = score  # calibrated data: 'auto' keeps the raw scores
    assert cbpe.calibration_[0].calibrated is False
    assert everything.values("precision")[0] == pytest.approx(p.mean(), rel=1e-12)
    assert default.values("precision")[0] == pytest.approx(p[p >= 0.5].mean(), rel=1e-12)


def test_compare_checks_labels_and_keeps_the_result_frozen() -> None:
    ref = simulate(4_000, seed=25)
    cur = simulate(2_000, seed=26)
    result = CBPE(chunk_number=2).fit(ref, y_score="score", y_true="y").estimate(cur)
    with pytest.raises(DataError, match="expected 2000"):
        result.compare(np.zeros(10, dtype=int))
    with pytest.raises(DataError, match="binary labels"):
        result.compare(np.full(2_000, 3))
    compared = result.compare(cur["y"].to_numpy())
    assert compared is not result
    assert all(m.realized is None for c in result.chunks for m in c.metrics)
    assert all(m.realized is not None for c in compared.chunks for m in c.metrics)
    json.dumps(compared.to_dict())
    with pytest.raises(AttributeError):
        compared.confidence = 0.5  # type: ignore[misc]


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(60, 400))
def test_single_chunk_estimates_are_bounded_and_invariant_to_row_order(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    score = np.round(rng.random(n), 2)
    label = rng.random(n) < score
    cbpe = CBPE(chunk_number=1, calibration="isotonic").fit(None, y_score=score, y_true=label)
    cur = np.round(rng.random(n), 2)
    perm = rng.permutation(n)
    a = cbpe.estimate(cur).chunks[0]
    b = cbpe.estimate(cur[perm]).chunks[0]
    for ma, mb in zip(a.metrics, b.metrics, strict=True):
        assert ma.value == pytest.approx(mb.value, abs=1e-12)
        assert ma.sampling_error == pytest.approx(mb.sampling_error, abs=1e-12)
        if np.isfinite(ma.value):
            assert 0.0 <= ma.lower <= ma.value <= ma.upper <= 1.0
