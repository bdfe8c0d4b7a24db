"""Property tests (hypothesis) for the streaming change detectors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from driftline.drift import ADWIN, CUSUM, KSWIN, PageHinkley

# Small settings so that detections actually happen on short hypothesis streams.
SENSITIVE: list[Callable[[], Any]] = [
    lambda: ADWIN(clock=1, min_window_length=1, delta=0.1),
    lambda: ADWIN(),
    lambda: PageHinkley(threshold=1.0, min_instances=1, mode="both"),
    lambda: PageHinkley(threshold=2.0, alpha=0.9, mode="down"),
    lambda: CUSUM(h=1.0, warmup=2),
    lambda: CUSUM(mean=0.0, sd=1.0, h=2.0, k=0.0, mode="up"),
    lambda: KSWIN(window_size=10, stat_size=5, alpha=0.05, seed=0),
]

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
streams = st.lists(values, max_size=300)


def check_invariants(detector: Any) -> None:
    hits = detector.detections
    assert hits == sorted(set(hits))
    assert all(0 <= i < detector.n_seen for i in hits)
    assert detector.drift_detected == (bool(hits) and hits[-1] == detector.n_seen - 1)


@settings(max_examples=60, deadline=None)
@given(which=st.integers(0, len(SENSITIVE) - 1), xs=streams, cut=st.integers(0, 300))
def test_arbitrary_finite_streams_never_crash_and_stay_consistent(
    which: int, xs: list[float], cut: int
) -> None:
    one, many = SENSITIVE[which](), SENSITIVE[which]()
    for x in xs:
        one.update(x)
        check_invariants(one)
    many.update_many(xs[:cut]).update_many(np.asarray(xs[cut:]))
    check_invariants(many)
    assert one.n_seen == many.n_seen == len(xs)


@settings(max_examples=40, deadline=None)
@given(
    which=st.integers(0, len(SENSITIVE) - 1),
    seed=st.integers(0, 2**32 - 1),
    shift=st.floats(0.0, 3.0),
    cuts=st.lists(st.integers(0, 2000), max_size=4),
)
def test_update_many_in_any_chunks_equals_update(
    which: int, seed: int, shift: float, cuts: list[int]
) -> None:
    rng = np.random.default_rng(seed)
    x = np.concatenate((rng.normal(0, 1, 1000), rng.normal(shift, 1, 1000)))
    one, many = SENSITIVE[which](), SENSITIVE[which]()
    for v in x:
        one.update(v)
    for chunk in np.split(x, sorted(cuts)):
        many.update_many(chunk)
    assert one.detections == many.detections
    assert (one.n_seen, one.drift_detected) == (many.n_seen, many.drift_detected)


@settings(max_examples=40, deadline=None)
@given(
    xs=st.lists(values, min_size=1, max_size=2000),
    max_buckets=st.integers(2, 8),
    delta=st.floats(1e-6, 0.5),
)
def test_adwin_memory_is_bounded_by_log_width(
    xs: list[float], max_buckets: int, delta: float
) -> None:
    detector = ADWIN(max_buckets=max_buckets, delta=delta, clock=1, min_window_length=1)
    for x in xs:
        detector.update(x)
        width = detector.width
        assert 1 <= width <= detector.n_seen
        assert detector.n_buckets <= max_buckets * (int(np.log2(width)) + 1)
    window = np.asarray(xs[-detector.width :])
    scale = max(1.0, float(np.abs(window).max()))
    assert abs(detector.estimation - window.mean()) <= 1e-9 * scale
    assert abs(detector.variance - window.var()) <= 1e-6 * scale**2


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), kswin_seed=st.integers(0, 2**32 - 1))
def test_same_seeds_give_the_same_detections(seed: int, kswin_seed: int) -> None:
    x = np.random.default_rng(seed).standard_t(3, size=1500)
    runs = [KSWIN(seed=kswin_seed, window_size=50, stat_size=20, alpha=0.05) for _ in range(2)]
    assert runs[0].update_many(x).detections == runs[1].update_many(x).detections
