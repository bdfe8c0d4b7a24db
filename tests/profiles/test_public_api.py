"""The public surface of driftline.profiles is exactly what __all__ lists."""

from __future__ import annotations

import driftline.profiles as profiles
import driftline.testing as testing


def test_all_is_exactly_the_public_names() -> None:
    public = {n for n in dir(profiles) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(profiles, n)).__name__ == "module"}
    assert set(profiles.__all__) == public - modules
    assert set(profiles.__all__) == {
        "FORMAT_VERSION", "BooleanProfile", "CategoricalProfile", "ColumnKind",
        "ColumnProfile", "DatasetProfile", "FrequentItems", "NumericProfile",
        "QualityFinding", "QualityReport", "QualityThresholds", "QuantileSketch",
        "check_quality", "profile",
    }  # fmt: skip


def test_testing_exports_profile_checks() -> None:
    for name in ("check_mergeable", "check_roundtrip", "check_size_bound"):
        assert name in testing.__all__
        assert callable(getattr(testing, name))
