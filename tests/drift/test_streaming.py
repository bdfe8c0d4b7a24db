"""Behaviour, validation and reference tests for the streaming change detectors."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy import stats

import driftline.drift
from driftline.drift import ADWIN, CUSUM, KSWIN, ChangeDetector, PageHinkley
from driftline.drift._streaming._ks import ks_counts, ks_tail
from driftline.exceptions import DataError, ParameterError, UnsupportedInputError
from driftline.testing._drift_checks import change_detector_classes, seeded

Factory = Callable[[int], Any]
DEFAULTS: dict[str, Factory] = {
    name: (lambda seed, c=cls: seeded(c, seed)()) for name, cls in change_detector_classes().items()
}


def step_stream(seed: int, shift: float = 1.0, n_before: int = 1000, n_after: int = 1000) -> Any:
    rng = np.random.default_rng(seed)
    return np.concatenate((rng.normal(0, 1, n_before), rng.normal(shift, 1, n_after)))


def test_streaming_detectors_are_exported_from_driftline_drift() -> None:
    from driftline.drift import _streaming

    names = sorted([*change_detector_classes(), "ChangeDetector"])
    assert sorted(_streaming.__all__) == names
    assert set(names) <= set(driftline.drift.__all__)
    for name in names:
        obj = getattr(driftline.drift, name)
        assert obj is getattr(_streaming, name)
        assert obj.__module__.startswith("driftline.drift._streaming.")


@pytest.mark.parametrize("name", DEFAULTS)
def test_detectors_follow_the_protocol(name: str) -> None:
    detector = DEFAULTS[name](0)
    assert isinstance(detector, ChangeDetector)
    assert detector.update(0.5) is detector
    assert detector.update_many([0.1, 0.2]) is detector
    assert detector.n_seen == 3
    assert repr(detector).startswith(f"{name}(")
    assert repr(eval(repr(detector), vars(driftline.drift))) == repr(detector)
    with pytest.raises(AttributeError):
        detector.drift_detected = True  # type: ignore[misc]


def test_detectors_satisfy_the_protocol_statically_and_accept_booleans() -> None:
    detectors: list[ChangeDetector] = [ADWIN(), PageHinkley(), CUSUM(), KSWIN(seed=0)]
    flags = np.random.default_rng(0).random(500) < 0.1
    for detector in detectors:
        as_bool = detector.update(True).update_many(flags)
        assert as_bool.n_seen == 501
    for a, b in zip(detectors, [ADWIN(), PageHinkley(), CUSUM(), KSWIN(seed=0)], strict=True):
        assert a.detections == b.update(1.0).update_many(flags.astype(float)).detections


# Delays measured by simulations/streaming.py at the defaults: medians 56 (ADWIN), 37 (PH),
# 12.5 (CUSUM), 25.5 (KSWIN) for a 1 sd shift. Bounds here are about twice those.
@pytest.mark.parametrize(
    ("name", "median_bound"), [("ADWIN", 64), ("PageHinkley", 80), ("CUSUM", 30), ("KSWIN", 60)]
)
def test_step_change_in_mean_is_detected_within_a_bounded_delay(
    name: str, median_bound: int
) -> None:
    delays = []
    for seed in range(20):
        hits = DEFAULTS[name](seed).update_many(step_stream(seed)).detections
        late = [i for i in hits if i >= 1000]
        delays.append(late[0] - 999 if late else 10**6)
    assert np.median(delays) <= median_bound
    assert sum(d <= 300 for d in delays) >= 18  # a pre-change alarm may cost a run


# MTBFA on N(0, 1) from simulations/streaming.py: ADWIN > 2M values, PH ~1.7k, CUSUM ~490,
# KSWIN ~750. Over 10 x 20k values that is 0, ~115, ~410 and ~265 alarms; bounds are ~1.4x.
@pytest.mark.parametrize(
    ("name", "max_alarms"), [("ADWIN", 2), ("PageHinkley", 160), ("CUSUM", 570), ("KSWIN", 370)]
)
def test_stationary_stream_gives_few_alarms(name: str, max_alarms: int) -> None:
    alarms = 0
    for seed in range(10):
        x = np.random.default_rng(1000 + seed).normal(0, 1, 20_000)
        alarms += len(DEFAULTS[name](seed).update_many(x).detections)
    assert alarms <= max_alarms


def test_adwin_detects_an_error_rate_increase() -> None:
    detected = 0
    for seed in range(10):
        rng = np.random.default_rng(seed)
        x = np.concatenate((rng.random(2000) < 0.1, rng.random(2000) < 0.2)).astype(float)
        detector = ADWIN().update_many(x)
        detected += any(2000 <= i < 3500 for i in detector.detections)
        assert not [i for i in detector.detections if i < 2000]
    assert detected >= 9


def test_kswin_sees_a_change_in_spread_that_leaves_the_mean_alone() -> None:
    # Measured: 22 / 40 runs alarm within 300 values after sd 1 -> 3, 9 / 40 without a change.
    counts = []
    for scale in (1.0, 3.0):
        hits = 0
        for seed in range(40):
            rng = np.random.default_rng(seed)
            x = np.concatenate((rng.normal(0, 1, 1000), rng.normal(0, scale, 300)))
            hits += any(i >= 1000 for i in KSWIN(seed=seed).update_many(x).detections)
        counts.append(hits)
    assert counts[0] <= 14
    assert counts[1] >= 18


# --- parameter validation ------------------------------------------------------------------

BAD_PARAMS = [
    (ADWIN, {"delta": 0.0}, "delta", r"a float in the range \(0, 1\)"),
    (ADWIN, {"delta": 1.5}, "delta", r"a float in the range \(0, 1\)"),
    (ADWIN, {"delta": float("nan")}, "delta", r"\(0, 1\)"),
    (ADWIN, {"delta": "0.1"}, "delta", "a float"),
    (ADWIN, {"clock": 0}, "clock", r"an int in the range \[1, inf\)"),
    (ADWIN, {"clock": 2.0}, "clock", "an int"),
    (ADWIN, {"clock": True}, "clock", "an int"),
    (ADWIN, {"max_buckets": 1}, "max_buckets", r"\[2, inf\)"),
    (ADWIN, {"min_window_length": 0}, "min_window_length", r"\[1, inf\)"),
    (PageHinkley, {"min_instances": 0}, "min_instances", r"\[1, inf\)"),
    (PageHinkley, {"delta": -0.1}, "delta", r"\[0, inf\)"),
    (PageHinkley, {"threshold": 0.0}, "threshold", r"\(0, inf\)"),
    (PageHinkley, {"alpha": 0.0}, "alpha", r"\(0, 1\]"),
    (PageHinkley, {"alpha": 1.01}, "alpha", r"\(0, 1\]"),
    (PageHinkley, {"mode": "sideways"}, "mode", "among"),
    (CUSUM, {"sd": 0.0}, "sd", r"\(0, inf\)"),
    (CUSUM, {"mean": float("inf")}, "mean", r"\(-inf, inf\) or None"),
    (CUSUM, {"k": -0.5}, "k", r"\[0, inf\)"),
    (CUSUM, {"h": 0}, "h", r"\(0, inf\)"),
    (CUSUM, {"warmup": 1}, "warmup", r"\[2, inf\)"),
    (CUSUM, {"mode": "UP"}, "mode", "among"),
    (KSWIN, {"alpha": 0.0}, "alpha", r"\(0, 1\)"),
    (KSWIN, {"alpha": 1.0}, "alpha", r"\(0, 1\)"),
    (KSWIN, {"stat_size": 1}, "stat_size", r"\[2, 5000\]"),
    (KSWIN, {"window_size": 59}, "window_size", r"\[60, inf\)"),
    (KSWIN, {"seed": -1}, "seed", r"\[0, inf\)"),
    (KSWIN, {"seed": 1.5}, "seed", "an int"),
    (KSWIN, {"alpha": 0.005, "stat_size": 5, "window_size": 10}, "alpha", "attainable"),
]


@pytest.mark.parametrize(("cls", "kwargs", "param", "allowed"), BAD_PARAMS)
def test_bad_parameters_are_named_with_allowed_range_and_value(
    cls: type, kwargs: dict[str, Any], param: str, allowed: str
) -> None:
    with pytest.raises(ParameterError) as info:
        cls(**kwargs)
    message = str(info.value)
    assert f"'{param}' parameter of {cls.__name__}" in message
    assert re.search(allowed, message)
    assert f"{kwargs[param]!r} instead." in message


@pytest.mark.parametrize("cls", list(change_detector_classes().values()))
def test_options_are_keyword_only(cls: type) -> None:
    with pytest.raises(TypeError):
        cls(0.1)


# --- input policy -------------------------------------------------------------------------


@pytest.mark.parametrize("name", DEFAULTS)
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_values_raise_data_error_and_change_nothing(name: str, bad: float) -> None:
    detector = DEFAULTS[name](0).update_many(np.zeros(150))
    with pytest.raises(DataError, match="stream index 150"):
        detector.update(bad)
    with pytest.raises(DataError, match=r"batch position 2 \(stream index 152\)"):
        detector.update_many([1.0, 2.0, bad, 3.0])
    assert detector.n_seen == 150
    fresh = DEFAULTS[name](0).update_many(np.zeros(150))
    x = step_stream(1)
    assert detector.update_many(x).detections == fresh.update_many(x).detections


@pytest.mark.parametrize("name", DEFAULTS)
def test_values_that_are_not_numbers_are_unsupported(name: str) -> None:
    detector = DEFAULTS[name](0)
    with pytest.raises(UnsupportedInputError, match="real number"):
        detector.update("a")
    with pytest.raises(UnsupportedInputError, match="1-D"):
        detector.update_many(np.zeros((3, 2)))
    with pytest.raises(UnsupportedInputError):
        detector.update_many(["a", "b"])
    assert detector.n_seen == 0
    assert detector.update_many([]).n_seen == 0


# --- determinism and reset ----------------------------------------------------------------


@pytest.mark.parametrize("name", DEFAULTS)
def test_same_seed_same_detections(name: str) -> None:
    x = step_stream(7, shift=0.5, n_after=3000)
    assert (
        DEFAULTS[name](5).update_many(x).detections == DEFAULTS[name](5).update_many(x).detections
    )


def test_kswin_reference_sample_depends_on_the_seed() -> None:
    x = np.random.default_rng(0).normal(size=400)
    a, b = KSWIN(seed=1), KSWIN(seed=2)
    trace_a = [a.update(v).statistic for v in x]
    trace_b = [b.update(v).statistic for v in x]
    assert trace_a != trace_b


def test_page_hinkley_restarts_after_a_detection() -> None:
    detector = PageHinkley(threshold=5.0, min_instances=20)
    hits = []
    for i, v in enumerate(step_stream(2, shift=2.0)):
        if detector.update(v).drift_detected:
            hits.append(i)
            assert detector.statistic == 0.0
    assert len(hits) >= 2
    assert min(np.diff(hits)) >= 20
    assert hits == detector.detections


def test_cusum_restarts_and_re_estimates_after_a_detection() -> None:
    detector = CUSUM(warmup=50)
    for v in step_stream(2, shift=2.0):
        if detector.update(v).drift_detected:
            assert detector.in_warmup
            assert detector.location is None
            assert detector.statistic == 0.0
    assert len(detector.detections) >= 1
    assert min(np.diff([-1, *detector.detections])) >= 51


def test_cusum_with_known_target_keeps_it_after_a_detection() -> None:
    detector = CUSUM(mean=0.0, sd=1.0)
    detector.update_many(step_stream(2, shift=2.0))
    assert not detector.in_warmup
    assert (detector.location, detector.scale) == (0.0, 1.0)
    assert sum(i >= 1000 for i in detector.detections) > 50  # the target is never re-learned


def test_cusum_warmup_waits_for_spread() -> None:
    detector = CUSUM(warmup=10).update_many(np.ones(50))
    assert detector.in_warmup
    assert not detector.update(2.0).in_warmup
    assert detector.location == pytest.approx(52 / 51, rel=1e-12)
    assert detector.scale == pytest.approx(np.std([1.0] * 50 + [2.0], ddof=1), rel=1e-12)


def test_kswin_refills_its_window_after_a_detection() -> None:
    detector = KSWIN(seed=0).update_many(step_stream(4, shift=3.0, n_after=3000))
    assert len(detector.detections) >= 1
    assert min(np.diff(detector.detections)) >= 70


def test_adwin_window_shrinks_at_a_detection() -> None:
    detector = ADWIN()
    for v in step_stream(5, shift=2.0):
        before = detector.width
        if detector.update(v).drift_detected:
            assert detector.width < before
    assert detector.detections


@pytest.mark.parametrize("name", DEFAULTS)
def test_private_reset_gives_a_fresh_statistic(name: str) -> None:
    x, y = step_stream(8), step_stream(9)
    used = DEFAULTS[name](3).update_many(x)
    used._reset()
    fresh = DEFAULTS[name](3)
    if name == "KSWIN":  # the generator is not rewound by a reset; align it
        fresh._rng.bit_generator.state = used._rng.bit_generator.state
    hits_used = [i - 2000 for i in used.update_many(y).detections if i >= 2000]
    assert hits_used == fresh.update_many(y).detections
    assert used.n_seen == 4000


# --- reference tests ----------------------------------------------------------------------


@pytest.mark.parametrize("n", [5, 12, 30, 40])
def test_ks_tail_matches_scipy_exact_p_value(n: int) -> None:
    for k in range(2, n + 1):
        a = np.arange(n, dtype=float)
        result = stats.ks_2samp(a, a + k - 0.5, method="exact")
        assert round(result.statistic * n) == k
        assert ks_tail(n, k) == pytest.approx(result.pvalue, rel=1e-9, abs=1e-300)


def test_ks_counts_match_scipy_statistic_with_and_without_ties() -> None:
    rng = np.random.default_rng(0)
    for values in (
        rng.normal(size=(50, 2, 20)),
        rng.integers(0, 4, size=(50, 2, 20)).astype(float),
    ):
        expected = [round(stats.ks_2samp(a, b).statistic * 20) for a, b in values]
        assert ks_counts(values[:, 0], values[:, 1]).tolist() == expected
        singles = [int(ks_counts(a[None], b[None])[0]) for a, b in values]
        assert singles == expected


def test_kswin_detects_exactly_when_the_exact_p_value_is_at_most_alpha() -> None:
    detector = KSWIN(seed=0, window_size=60, stat_size=30, alpha=0.01)
    filled_at = 59  # the first test happens when the window is full
    for i, v in enumerate(step_stream(1, shift=0.7)):
        detector.update(v)
        if i >= filled_at:
            assert detector.drift_detected == (detector.p_value <= 0.01)
        if detector.drift_detected:
            filled_at = i + 30  # the window keeps 30 values and refills to 60
    assert len(detector.detections) >= 2


def test_adwin_window_statistics_match_the_last_width_values() -> None:
    x = step_stream(6, shift=1.5, n_after=5000)
    detector = ADWIN(delta=0.01)
    for i in range(0, x.size, 997):
        detector.update_many(x[i : i + 997])
        window = x[detector.n_seen - detector.width : detector.n_seen]
        assert detector.estimation == pytest.approx(window.mean(), rel=1e-9, abs=1e-12)
        assert detector.variance == pytest.approx(window.var(), rel=1e-8, abs=1e-12)
    assert detector.width < 5100  # only the post-change part (to a bucket) is kept


def test_adwin_memory_is_logarithmic_in_the_window() -> None:
    detector = ADWIN(max_buckets=5)
    x = np.random.default_rng(0).normal(size=100_000)
    for chunk in np.array_split(x, 50):
        detector.update_many(chunk)
        assert detector.n_buckets <= 5 * (int(np.log2(detector.width)) + 1)
    assert detector.width > 50_000
    assert detector.n_buckets <= 5 * 17


def test_cusum_matches_the_textbook_recursion() -> None:
    x = step_stream(11, shift=0.8)
    expected, s_hi, s_lo = [], 0.0, 0.0
    for i, v in enumerate(x):
        z = (v - 0.1) / 1.2
        s_hi, s_lo = max(0.0, s_hi + z - 0.4), max(0.0, s_lo - z - 0.4)
        if s_hi > 4.0 or s_lo > 4.0:
            expected.append(i)
            s_hi = s_lo = 0.0
    assert expected
    assert CUSUM(mean=0.1, sd=1.2, k=0.4, h=4.0).update_many(x).detections == expected


def test_page_hinkley_matches_the_closed_form_without_forgetting() -> None:
    x = np.random.default_rng(12).normal(size=500)
    detector = PageHinkley(alpha=1.0, threshold=1e9, mode="up", delta=0.01)
    detector.update_many(x)
    means = np.cumsum(x) / np.arange(1, x.size + 1)
    s = np.cumsum(x - means - 0.01)
    assert detector.statistic == pytest.approx(s[-1] - min(0.0, s.min()), rel=1e-9)


@pytest.mark.parametrize(
    "make",
    [
        lambda: PageHinkley(threshold=3.0, min_instances=5),
        lambda: PageHinkley(threshold=8.0, alpha=0.99, mode="down"),
        lambda: CUSUM(h=2.0, warmup=5),
        lambda: CUSUM(mean=0.0, sd=1.0, h=3.0, mode="up"),
        lambda: KSWIN(seed=4, window_size=40, stat_size=20, alpha=0.05),
    ],
)
def test_vectorized_update_many_equals_one_update_at_a_time(make: Callable[[], Any]) -> None:
    x = step_stream(13, shift=1.0, n_before=3000, n_after=20_000)
    one, many = make(), make()
    for v in x:
        one.update(v)
    many.update_many(x[:5]).update_many(x[5:12345]).update_many(x[12345:])
    assert one.detections == many.detections
    assert len(one.detections) > 3
    assert (one.n_seen, one.drift_detected) == (many.n_seen, many.drift_detected)
    assert one.statistic == pytest.approx(many.statistic, rel=1e-6, abs=1e-9)
