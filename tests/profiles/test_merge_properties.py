"""profile(A) + profile(B) vs profile(A ∪ B), associativity and commutativity (hypothesis)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftline.profiles import DatasetProfile, profile
from driftline.testing import assert_profiles_equivalent, check_mergeable, check_roundtrip

SCHEMA = {"x": "numeric", "c": "categorical", "b": "boolean"}
_floats = st.one_of(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
    st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0]),
)
_cats = st.one_of(st.none(), st.sampled_from(["a", "b", "c", "", "é", "long" * 10]))


@st.composite
def frames(draw: st.DrawFn, max_rows: int = 60) -> dict[str, Any]:
    n = draw(st.integers(min_value=0, max_value=max_rows))
    x = np.array(draw(st.lists(_floats, min_size=n, max_size=n)), dtype=np.float64)
    c = np.array(draw(st.lists(_cats, min_size=n, max_size=n)), dtype=object)
    b = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    return {"x": x, "c": c, "b": b}


def union(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    return {k: np.concatenate([a[k], b[k]]) for k in a}


def make(data: dict[str, Any]) -> DatasetProfile:
    return profile(data, schema=SCHEMA, category_cap=4, quantile_k=16)


_settings = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(frames(), frames(), frames())
def test_merge_matches_union_and_is_associative_and_commutative(
    a: dict[str, Any], b: dict[str, Any], c: dict[str, Any]
) -> None:
    check_mergeable(make, a, b, c, union=union)


@_settings
@given(frames(max_rows=200), st.integers(min_value=1, max_value=50))
def test_batch_size_does_not_change_exact_fields(data: dict[str, Any], batch: int) -> None:
    one = profile(data, schema=SCHEMA, category_cap=4, quantile_k=16)
    many = profile(data, schema=SCHEMA, category_cap=4, quantile_k=16, batch_size=batch)
    assert_profiles_equivalent(one, many)


@_settings
@given(frames())
def test_roundtrip_any_profile(data: dict[str, Any]) -> None:
    check_roundtrip(make(data))


def test_merge_of_large_profiles_stays_within_sketch_bounds() -> None:
    rng = np.random.default_rng(7)
    n = 60_000
    data = {
        "x": rng.lognormal(size=n),
        "c": np.char.add("k", rng.zipf(1.3, size=n).astype(str)).astype(object),
        "b": rng.random(n) < 0.3,
    }
    halves = [{k: v[: n // 3] for k, v in data.items()}, {k: v[n // 3 :] for k, v in data.items()}]
    merged = check_mergeable(lambda d: profile(d, category_cap=32), *halves, union=union)
    assert not merged["c"].frequent.is_exact  # type: ignore[attr-defined]


def test_merging_profiles_with_different_columns_pads_with_missing() -> None:
    a = profile({"x": np.arange(3.0)})
    b = profile({"y": np.array(["u", "v"])})
    both = a + b
    assert both.n_rows == 5
    assert both.column_names == ["x", "y"]
    assert both["x"].n_null == 2
    assert both["y"].n_null == 3
    assert_profiles_equivalent(both, b + a)
