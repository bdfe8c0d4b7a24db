"""Categorical profiles: exact counts, Misra-Gries bounds, HyperLogLog accuracy."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pytest

from driftline.profiles import BooleanProfile, CategoricalProfile, profile
from driftline.profiles._hll import hash_strings, hll_estimate, hll_update, splitmix64


def _cat(values: object, **kwargs: object) -> CategoricalProfile:
    col = profile({"c": values}, **kwargs)["c"]  # type: ignore[arg-type]
    assert isinstance(col, CategoricalProfile)
    return col


def test_exact_counts_match_counter() -> None:
    rng = np.random.default_rng(0)
    values = rng.choice(np.array([f"v{i}" for i in range(40)]), size=3_000)
    col = _cat(values)
    assert col.frequent.is_exact
    assert col.distinct_is_exact
    assert col.frequencies() == dict(Counter(values.tolist()))
    assert col.distinct == len(set(values.tolist()))
    assert col.count == 3_000
    assert col.len_min == 2
    assert col.len_max == 3


def test_misra_gries_bound_beyond_the_cap() -> None:
    rng = np.random.default_rng(1)
    probs = 1.0 / np.arange(1, 2_001) ** 1.1
    values = np.char.add("k", rng.choice(2_000, size=50_000, p=probs / probs.sum()).astype(str))
    cap = 64
    col = _cat(values, category_cap=cap, batch_size=7_000)
    truth = Counter(values.tolist())
    freq = col.frequent
    assert not freq.is_exact
    assert len(freq.keys) <= cap
    assert freq.max_error <= (col.count - sum(freq.counts)) / (cap + 1) + 1e-9
    kept = freq.as_dict()
    for key, true_count in truth.items():
        est = kept.get(key, 0)
        assert est <= true_count <= est + freq.max_error
        if true_count > col.count / (cap + 1):
            assert key in kept


def test_hll_distinct_count_within_three_standard_errors() -> None:
    rng = np.random.default_rng(2)
    for n in (2_000, 30_000, 200_000):
        values = np.char.add("id", np.unique(rng.integers(0, 10**12, size=n)).astype(str))
        col = _cat(values, category_cap=16)
        assert not col.distinct_is_exact
        assert abs(col.distinct / len(values) - 1) <= 3 * col.distinct_relative_error


def test_hash_is_independent_of_layout() -> None:
    words = ["", "a", "ab", "héllo", "x" * 300]
    small = hash_strings(pa.array(words, type=pa.string()))
    large = hash_strings(pa.array(words, type=pa.large_string()))
    sliced = hash_strings(pa.array(["pad", *words], type=pa.string()).slice(1))
    np.testing.assert_array_equal(small, large)
    np.testing.assert_array_equal(small, sliced)
    assert len(set(small.tolist())) == len(words)


def test_hll_merge_is_register_max_and_estimate_grows() -> None:
    a = np.zeros(4096, dtype=np.uint8)
    b = np.zeros(4096, dtype=np.uint8)
    hll_update(a, splitmix64(np.arange(0, 5_000, dtype=np.uint64)))
    hll_update(b, splitmix64(np.arange(5_000, 10_000, dtype=np.uint64)))
    both = np.zeros(4096, dtype=np.uint8)
    hll_update(both, splitmix64(np.arange(0, 10_000, dtype=np.uint64)))
    np.testing.assert_array_equal(np.maximum(a, b), both)
    assert hll_estimate(a) < hll_estimate(both)


def test_nulls_empty_strings_and_long_values() -> None:
    long_value = "z" * 500
    col = _cat(np.array(["a", "", None, long_value, long_value], dtype=object))
    assert (col.count, col.n_null, col.n_empty, col.len_max) == (4, 1, 1, 500)
    top_key, top_count = col.frequent.top(1)[0]
    assert len(top_key) == 200
    assert top_count == 2
    assert col.distinct == 3


def test_mixed_object_column_counts_type_violations() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"c": pd.Series(["a", "b", 3, "a", 4.5, None], dtype=object)})
    for batch_size in (None, 2):
        col = profile(frame, batch_size=batch_size)["c"]
        assert isinstance(col, CategoricalProfile)
        assert (col.n_invalid, col.n_null, col.count) == (2, 1, 5)


def test_boolean_profile() -> None:
    col = profile({"b": np.array([True, False, True, True])})["b"]
    assert isinstance(col, BooleanProfile)
    assert (col.n_true, col.n_false, col.true_rate) == (3, 1, 0.75)
    parsed = profile({"b": ["yes", "no", "maybe", None]}, schema={"b": "boolean"})["b"]
    assert isinstance(parsed, BooleanProfile)
    assert (parsed.n_true, parsed.n_false, parsed.n_invalid, parsed.n_null) == (1, 1, 1, 1)
