"""The engine-independent parts: tree merge, driver-side kinds, install hints."""

from __future__ import annotations

import sys

import numpy as np
import pyarrow as pa
import pytest

from driftline.exceptions import MissingDependencyError, ParameterError, SchemaMismatchError
from driftline.integrations import merge_profiles
from driftline.profiles import profile
from driftline.testing import assert_profiles_equivalent


@pytest.mark.parametrize("n_parts", [1, 2, 5, 16])
@pytest.mark.parametrize("fan_in", [2, 3, 8])
def test_tree_merge_equals_the_whole(n_parts: int, fan_in: int) -> None:
    rng = np.random.default_rng(n_parts * 10 + fan_in)
    x = rng.normal(size=n_parts * 50)
    c = rng.choice(["a", "b", "c"], size=x.size)
    parts = [
        profile({"x": x[i : i + 50], "c": c[i : i + 50]}).to_bytes() for i in range(0, x.size, 50)
    ]
    merged = merge_profiles(parts, fan_in=fan_in)
    assert_profiles_equivalent(merged, profile({"x": x, "c": c}))
    assert merged.column_names == ["x", "c"]


def test_merge_profiles_rejects_bad_input() -> None:
    with pytest.raises(ParameterError, match="at least one profile"):
        merge_profiles([])
    with pytest.raises(ParameterError, match="fan_in"):
        merge_profiles([profile({"x": [1.0]})], fan_in=1)
    with pytest.raises(ParameterError, match="got str"):
        merge_profiles(["nope"])  # type: ignore[list-item]


@pytest.mark.parametrize(("module", "extra"), [("dask", "dask"), ("pyspark", "spark")])
def test_missing_engine_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, module: str, extra: str
) -> None:
    import importlib

    monkeypatch.setitem(sys.modules, module, None)
    name = "dask" if extra == "dask" else "spark"
    mod = importlib.import_module(f"driftline.integrations.{name}")
    with pytest.raises(MissingDependencyError, match=rf"pip install 'driftline\[{extra}\]'"):
        mod.profile(object())
    assert issubclass(MissingDependencyError, ImportError)


def test_wrong_frame_type_is_a_parameter_error() -> None:
    from driftline.integrations.dask import profile as dask_profile

    with pytest.raises(ParameterError, match=r"dask\.dataframe\.DataFrame"):
        dask_profile(pa.table({"x": [1]}))


def test_schema_naming_an_unknown_column() -> None:
    import dask.dataframe as dd
    import pandas as pd

    from driftline.integrations.dask import profile as dask_profile

    ddf = dd.from_pandas(pd.DataFrame({"x": [1.0]}), npartitions=1)
    with pytest.raises(SchemaMismatchError, match=r"\['y'\]"):
        dask_profile(ddf, schema={"y": "numeric"})
    with pytest.raises(ParameterError, match="quantile_k"):
        dask_profile(ddf, quantile_k=1)


@pytest.mark.parametrize("fan_in", [2, 3])
def test_tree_merge_keeps_the_order_of_first_appearance(fan_in: int) -> None:
    parts = [profile({f"c{i}": np.arange(3.0), "x": np.arange(3.0)}) for i in range(7)]
    merged = merge_profiles(iter(parts), fan_in=fan_in)
    assert merged.column_names == ["c0", "x", *[f"c{i}" for i in range(1, 7)]]
    assert merged.n_rows == 21
    assert merged["c6"].n_null == 18
