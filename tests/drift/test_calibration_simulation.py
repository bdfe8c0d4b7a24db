"""The drift calibration simulation runs (tiny version), so its published numbers can't rot."""

from __future__ import annotations

from simulations.drift_calibration import (
    CHANGES,
    false_alarms,
    multivariate_false_alarms,
    power,
)


def test_false_alarm_and_power_smoke() -> None:
    dataset, column = false_alarms(1_000, 3, seed=0)
    assert dataset.total == 3
    assert column.total == 3 * 25
    for label, (name, change) in CHANGES.items():
        hit, other = power(5_000, 2, seed=1, column=name, change=change)
        assert hit.hits == 2, label
        assert other.total == 2 * 24


def test_multivariate_smoke() -> None:
    rates = multivariate_false_alarms(500, 1, seed=0)
    assert set(rates) == {"domain_classifier", "pca"}
    assert all(r.total == 1 for r in rates.values())
