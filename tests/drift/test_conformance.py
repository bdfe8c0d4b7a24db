"""The public conformance checks run over every registered drift method and every streaming
change detector exported by ``driftline.drift`` (discovered, never listed by hand), and
they catch deliberately broken ones."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pytest

from driftline.drift import drift_methods
from driftline.drift._methods import _REGISTRY, Measured, register_method
from driftline.drift._sides import Side
from driftline.drift._streaming._page_hinkley import PageHinkley
from driftline.testing import check_change_detector, check_drift_method
from driftline.testing._drift_checks import change_detector_classes, seeded


def test_discovery_finds_every_method_and_detector() -> None:
    assert {"ks", "cvm", "anderson", "hellinger", "g_test", "chi2"} <= set(drift_methods())
    assert set(change_detector_classes()) == {"ADWIN", "CUSUM", "KSWIN", "PageHinkley"}


@pytest.mark.parametrize("name", sorted(drift_methods()))
def test_every_drift_method_conforms(name: str) -> None:
    check_drift_method(name)


@pytest.mark.parametrize("name", sorted(change_detector_classes()))
def test_every_change_detector_conforms(name: str) -> None:
    check_change_detector(seeded(change_detector_classes()[name]))


@pytest.fixture
def broken() -> Iterator[str]:
    yield "broken"
    _REGISTRY.pop("broken", None)


def _register(measure: object) -> None:
    register_method("broken", kinds=("numeric",), effect="wasserstein_sd", test=True)(measure)  # type: ignore[type-var]


def test_checks_catch_a_method_with_effect_on_identical_samples(broken: str) -> None:
    def measure(ref: Side, cur: Side, thresholds: dict[str, float]) -> Measured:
        return Measured(statistic=0.5, p_value=0.01, effect_size=0.3, effect_name="wasserstein_sd")

    _register(measure)
    with pytest.raises(AssertionError, match="zero effect on identical"):
        check_drift_method(broken)


def test_checks_catch_a_method_that_misses_a_large_change(broken: str) -> None:
    def measure(ref: Side, cur: Side, thresholds: dict[str, float]) -> Measured:
        return Measured(statistic=0.0, p_value=1.0, effect_size=0.0, effect_name="wasserstein_sd")

    _register(measure)
    with pytest.raises(AssertionError, match="large numeric change is found"):
        check_drift_method(broken)


def test_checks_catch_a_method_without_the_p_value_it_declares(broken: str) -> None:
    from driftline.drift._numeric import _wasserstein

    _register(_wasserstein)
    with pytest.raises(AssertionError, match="p-value presence"):
        check_drift_method(broken)


def test_checks_catch_an_order_dependent_method(broken: str) -> None:
    from driftline.drift._numeric import _ks

    def measure(ref: Side, cur: Side, thresholds: dict[str, float]) -> Measured:
        found = _ks(ref, cur, thresholds)
        first = float(cur.values[0]) if getattr(cur, "values", None) is not None else 0.0  # type: ignore[union-attr]
        return replace(found, statistic=found.statistic + abs(first) * 1e-3)

    _register(measure)
    with pytest.raises(AssertionError, match="invariance of statistic under row order"):
        check_drift_method(broken)


class _Forgetful(PageHinkley):
    """update_many drops the last value: not the same as one update at a time."""

    def update_many(self, xs: object) -> _Forgetful:
        return super().update_many(np.asarray(xs)[:-1])  # type: ignore[return-value]


class _BlindOneByOne(PageHinkley):
    """Vectorized update_many detects; one value at a time never does."""

    def _step(self, x: float) -> bool:
        super()._step(x)
        return False


def test_checks_catch_broken_change_detectors() -> None:
    with pytest.raises(AssertionError, match="update_many returns the detector and counts"):
        check_change_detector(_Forgetful)
    with pytest.raises(AssertionError, match="update_many equals update"):
        check_change_detector(_BlindOneByOne)
    with pytest.raises(AssertionError, match="step is detected"):
        check_change_detector(lambda: PageHinkley(threshold=1e9))
