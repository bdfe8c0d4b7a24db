"""DatasetProfile: lookup, summary lines, to_dict, kinds across merges."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from driftline.exceptions import SchemaMismatchError
from driftline.profiles import CategoricalProfile, DatasetProfile, profile
from driftline.testing import check_roundtrip


@pytest.fixture(scope="module")
def sample() -> DatasetProfile:
    rng = np.random.default_rng(0)
    n = 500
    return profile(
        {
            "x": rng.normal(size=n),
            "c": rng.choice(np.array(["red", "green", "blue"]), size=n),
            "b": rng.random(n) < 0.25,
            "t": pd.date_range("2025-01-01", periods=n, freq="h").to_numpy(),
            "note": np.array([f"a fairly long free-text comment number {i}" for i in range(n)]),
        }
    )


def test_lookup_len_and_kinds(sample: DatasetProfile) -> None:
    assert len(sample) == sample.n_rows == 500
    assert sample.kinds == {
        "x": "numeric", "c": "categorical", "b": "boolean", "t": "datetime", "note": "text"
    }  # fmt: skip
    assert "x" in sample
    assert "nope" not in sample
    assert sample.get("nope") is None
    with pytest.raises(KeyError, match=r"No column 'nope'.*columns"):
        sample["nope"]


def test_to_dict_is_json_and_summary_is_a_table(sample: DatasetProfile) -> None:
    d = sample.to_dict()
    text = json.dumps(d)
    assert d["n_rows"] == 500
    assert d["columns"]["c"]["distinct"] == 3
    assert d["columns"]["t"]["min"] == "2025-01-01T00:00:00+00:00"
    assert d["columns"]["b"]["n_true"] + d["columns"]["b"]["n_false"] == 500
    assert "NaN" not in text
    empty = profile({"x": np.array([np.nan])}).to_dict()["columns"]["x"]
    assert empty["mean"] is None
    assert empty["p50"] is None
    lines = sample.summary()
    assert lines[0] == "500 rows x 5 columns"
    assert lines[1].split() == ["column", "kind", "missing", "invalid", "distinct", "summary"]
    assert [line.split()[0] for line in lines[2:]] == ["x", "c", "b", "t", "note"]
    assert "top: " in lines[3]
    assert "2025-01-01T00:00:00+00:00 .." in lines[5]


def test_roundtrip_keeps_every_kind(sample: DatasetProfile) -> None:
    restored = check_roundtrip(sample)
    assert restored.kinds == sample.kinds


def test_categorical_and_text_merge_to_text_other_kinds_refuse() -> None:
    short = profile({"s": np.array(["ab", "cd"])})
    long = profile({"s": np.array(["x" * 40, "y" * 40])})
    merged = short + long
    assert merged.kinds["s"] == "text"
    col = merged["s"]
    assert isinstance(col, CategoricalProfile)
    assert col.distinct == 4
    assert (long + short).kinds["s"] == "text"
    with pytest.raises(SchemaMismatchError, match="'numeric' in one profile and 'categorical'"):
        profile({"s": np.arange(2.0)}) + short


def test_merge_rejects_other_types(sample: DatasetProfile) -> None:
    with pytest.raises(TypeError, match="DatasetProfile"):
        sample.merge(3)  # type: ignore[arg-type]
