"""Dask and Spark profiles equal the in-process profile of the same rows (hypothesis,
few examples: clusters are slow), whatever the partitions hold."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from driftline.profiles import profile
from driftline.testing import assert_profiles_equivalent

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")

_settings = settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
_floats = st.one_of(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.sampled_from([np.nan, np.inf, -np.inf, 0.0]),
)
_cats = st.one_of(st.none(), st.sampled_from(["a", "b", "c", "", "é", "long" * 10]))
_T0 = pd.Timestamp("2024-05-01", tz="UTC")


@st.composite
def blocks(draw: st.DrawFn) -> list[pd.DataFrame]:
    """1-4 partitions; in some the categorical or numeric-text column is all null."""
    out = []
    start = 0
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        n = draw(st.integers(min_value=0, max_value=40))
        null_c = draw(st.booleans())
        null_s = draw(st.booleans())
        cats = [None] * n if null_c else draw(st.lists(_cats, min_size=n, max_size=n))
        nums = draw(st.lists(st.integers(-99, 99), min_size=n, max_size=n))
        index = pd.RangeIndex(start, start + n)
        out.append(
            pd.DataFrame(
                {
                    "x": np.array(draw(st.lists(_floats, min_size=n, max_size=n)), dtype=float),
                    "i": np.array(draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n))),
                    "b": np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))),
                    "t": _T0 + pd.to_timedelta(np.arange(start, start + n), unit="s"),
                    "c": pd.Series(cats, dtype=object, index=index),
                    "s": pd.Series(
                        [None if null_s else str(v) for v in nums], dtype=object, index=index
                    ),
                },
                index=index,
            )
        )
        start += n
    return out


def _whole(parts: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(parts) if len(parts) > 1 else parts[0]


def _arrow(frame: pd.DataFrame) -> pa.Table:
    schema = pa.schema(
        [("x", pa.float64()), ("i", pa.int64()), ("b", pa.bool_()),
         ("t", pa.timestamp("us", tz="UTC")), ("c", pa.string()), ("s", pa.string())]
    )  # fmt: skip
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)


def _quiet_profile(data: Any, **options: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return profile(data, **options)


@_settings
@given(parts=blocks())
def test_dask_equals_in_process(dask_client: Any, parts: list[pd.DataFrame]) -> None:
    import dask.dataframe as dd

    from driftline.integrations.dask import profile as dask_profile

    ddf = dd.concat([dd.from_pandas(p, npartitions=1, sort=False) for p in parts])
    assert ddf.npartitions == len(parts)
    got = dask_profile(ddf, category_cap=3, quantile_k=16)
    want = _quiet_profile(_whole(parts), category_cap=3, quantile_k=16)
    assert got.column_names == want.column_names
    assert got.kinds == want.kinds
    assert_profiles_equivalent(got, want)


def test_dask_partition_of_another_arrow_type(dask_client: Any) -> None:
    import dask
    import dask.dataframe as dd

    from driftline.integrations.dask import profile as dask_profile
    from driftline.integrations.dask import profile_bytes

    # "v" holds strings, then nothing (Arrow null type), then floats, in object columns
    # (Dask's string conversion off, so that partitions keep these Arrow types): the
    # kind is decided once (categorical, from the first rows) for every partition.
    parts = [
        pd.DataFrame({"v": pd.Series(["a", "b", None], dtype=object)}),
        pd.DataFrame({"v": pd.Series([None, None], dtype=object, index=[3, 4])}),
        pd.DataFrame({"v": pd.Series([1.5, 2.5], dtype=object, index=[5, 6])}),
    ]
    with dask.config.set({"dataframe.convert-string": False}):
        ddf = dd.concat([dd.from_pandas(p, npartitions=1, sort=False) for p in parts])
        got = dask_profile(ddf)
        assert got.kinds == {"v": "categorical"}
        assert (got.n_rows, got["v"].n_null, got["v"].count) == (7, 3, 4)
        assert len(profile_bytes(ddf)) == 3
        # all null in the first rows: the kind comes from the first values found later
        late = dd.concat([dd.from_pandas(p, npartitions=1, sort=False) for p in parts[1:]])
        assert dask_profile(late).kinds == {"v": "numeric"}
        # a schema wins, and columns select
        fixed = dask_profile(ddf, columns=["v"], schema={"v": "text"})
        assert fixed.kinds == {"v": "text"}


@settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(parts=blocks())
def test_spark_equals_in_process(spark: Any, parts: list[pd.DataFrame]) -> None:
    from driftline.integrations.spark import profile as spark_profile
    from driftline.integrations.spark import profile_bytes

    frames = [spark.createDataFrame(_arrow(p)).coalesce(1) for p in parts]
    sdf = frames[0]
    for other in frames[1:]:
        sdf = sdf.unionByName(other)
    got = spark_profile(sdf, category_cap=3, quantile_k=16)
    want = _quiet_profile(_arrow(_whole(parts)), category_cap=3, quantile_k=16)
    assert got.column_names == want.column_names
    assert got.kinds == want.kinds
    assert_profiles_equivalent(got, want)
    if len(parts) == 1:
        assert len(profile_bytes(sdf, columns=["x"])) == 1


def test_spark_kind_from_later_values_and_empty_frames(spark: Any) -> None:
    from driftline.integrations.spark import profile as spark_profile

    first = pa.table({"s": pa.array([None, None], type=pa.string()), "x": [1.0, 2.0]})
    later = pa.table({"s": pa.array(["1.5", "2"], type=pa.string()), "x": [3.0, 4.0]})
    sdf = spark.createDataFrame(first).coalesce(1).unionByName(spark.createDataFrame(later))
    got = spark_profile(sdf)
    assert got.kinds == {"s": "numeric", "x": "numeric"}
    assert (got.n_rows, got["s"].n_null, got["s"].max) == (4, 2, 2.0)
    empty = spark_profile(sdf.where("x > 100"), schema={"s": "categorical"})
    assert (empty.n_rows, empty.kinds) == (0, {"s": "categorical", "x": "numeric"})
