"""Every accepted input gives the same profile; files are streamed; errors name the problem."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from driftline.exceptions import ParameterError, SchemaMismatchError, UnsupportedInputError
from driftline.profiles import CategoricalProfile, NumericProfile, profile
from driftline.tabular import iter_batches, to_table
from driftline.testing import assert_profiles_equivalent, make_monitoring_data


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    ref, _ = make_monitoring_data(3_000)
    return ref


def test_all_in_memory_inputs_agree(frame: pd.DataFrame) -> None:
    polars = pytest.importorskip("polars")
    expected = profile(frame)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    as_dict = {c: frame[c].to_numpy() for c in frame.columns}
    for data in (table, table.to_batches()[0], as_dict, polars.from_pandas(frame)):
        assert_profiles_equivalent(profile(data), expected)


def test_parquet_and_csv_are_streamed(frame: pd.DataFrame, tmp_path: Path) -> None:
    expected = profile(frame)
    parquet = tmp_path / "data.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), parquet, row_group_size=500)
    csv = tmp_path / "data.csv"
    frame.to_csv(csv, index=False)
    batches = list(iter_batches(parquet, batch_size=400))
    assert max(b.num_rows for b in batches) <= 400
    assert sum(b.num_rows for b in batches) == 3_000
    assert_profiles_equivalent(profile(parquet, batch_size=400), expected)
    from_csv = profile(str(csv), batch_size=700)
    assert from_csv.kinds == expected.kinds
    for name in ("num_03", "cat_04", "target"):
        a, b = from_csv[name], expected[name]
        assert (a.n_rows, a.n_null, a.n_invalid) == (b.n_rows, b.n_null, b.n_invalid)
    assert from_csv["cat_04"].frequencies() == expected["cat_04"].frequencies()  # type: ignore[attr-defined]
    np.testing.assert_allclose(from_csv["num_03"].mean, expected["num_03"].mean, rtol=1e-12)  # type: ignore[attr-defined]


def test_dirty_csv_column_is_counted_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "dirty.csv"
    rows = [f"{i},{i * 0.5}" for i in range(2_000)]
    rows[1_500] = "1500,oops"
    rows[1_900] = "1900,"
    path.write_text("id,value\n" + "\n".join(rows) + "\n")
    col = profile(path, batch_size=256)["value"]
    assert isinstance(col, NumericProfile)
    assert (col.n_invalid, col.n_null, col.count) == (1, 1, 1_998)


def test_columns_selects_and_missing_columns_raise(frame: pd.DataFrame) -> None:
    p = profile(frame, columns=["num_00", "cat_01"])
    assert p.column_names == ["num_00", "cat_01"]
    with pytest.raises(SchemaMismatchError, match=r"\['nope'\].*Available columns"):
        profile(frame, columns=["num_00", "nope"])
    with pytest.raises(SchemaMismatchError, match="not in the data"):
        profile(frame, schema={"zzz": "numeric"})


def test_unsupported_input_names_type_and_accepted_ones(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedInputError, match=r"builtins\.list.*Accepted: pandas"):
        profile([1, 2, 3])
    odd = tmp_path / "data.xlsx"
    odd.write_text("x")
    with pytest.raises(UnsupportedInputError, match="unsupported file type"):
        profile(odd)
    with pytest.raises(UnsupportedInputError, match="No file"):
        profile(tmp_path / "missing.parquet")
    with pytest.raises(SchemaMismatchError, match="same length"):
        profile({"a": np.arange(3), "b": np.arange(4)})


def test_parameters_are_validated() -> None:
    with pytest.raises(ParameterError, match=r"'batch_size'.*Got 0 instead"):
        list(iter_batches({"x": np.arange(3)}, batch_size=0))
    with pytest.raises(ParameterError, match=r"schema\['x'\].*'numeric'.*Got 'float' instead"):
        profile({"x": np.arange(3)}, schema={"x": "float"})
    with pytest.raises(ParameterError, match="'category_cap'"):
        profile({"x": np.arange(3)}, category_cap=0)
    with pytest.raises(ParameterError, match="'columns'"):
        profile({"x": np.arange(3)}, columns="x")


def test_to_table_and_kind_inference() -> None:
    data = {
        "n": np.arange(4),
        "s": np.array(["1.5", "2", "x", "4"], dtype=object),
        "t": pd.date_range("2024-01-01", periods=4, tz="UTC").to_numpy(),
        "c": np.array(["a", "b", "a", "b"]),
        "long": np.array(["word " * 10] * 4),
    }
    assert to_table(data).num_rows == 4
    kinds = profile(data).kinds
    assert kinds == {
        "n": "numeric", "s": "categorical", "t": "datetime", "c": "categorical", "long": "text"
    }  # fmt: skip
    forced = profile(data, schema={"s": "numeric", "n": "categorical"})
    assert forced["s"].n_invalid == 1
    assert isinstance(forced["n"], CategoricalProfile)
    t = forced["t"]
    assert isinstance(t, NumericProfile)
    assert t.to_dict()["min"] == "2024-01-01T00:00:00+00:00"


def test_all_null_first_batch_defers_inference() -> None:
    x = np.array([None] * 5 + ["a", "b"], dtype=object)
    p = profile({"x": x}, batch_size=3)
    col = p["x"]
    assert isinstance(col, CategoricalProfile)
    assert col.n_null == 5
    assert col.count == 2
    empty = profile({"x": np.array([None, None], dtype=object)})
    assert empty["x"].n_null == 2
    assert empty.n_rows == 2


def test_csv_keeps_inferred_kinds_and_gzip(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "t": pd.date_range("2024-01-01", periods=50, freq="h", tz="UTC"),
            "b": [True, False] * 25,
            "i": range(50),
            "s": ["x", "y"] * 25,
        }
    )
    path = tmp_path / "kinds.csv"
    frame.to_csv(path, index=False)
    for source in (path, tmp_path / "kinds.csv.gz"):
        if source.suffix == ".gz":
            import gzip

            source.write_bytes(gzip.compress(path.read_bytes()))
        p = profile(source, batch_size=7)
        assert p.kinds == {"t": "datetime", "b": "boolean", "i": "numeric", "s": "categorical"}
        assert p["t"].to_dict()["min"] == "2024-01-01T00:00:00+00:00"
        assert p["b"].n_true == 25  # type: ignore[attr-defined]
        assert p["i"].mean == 24.5  # type: ignore[attr-defined]


def test_chunked_columns_are_profiled_without_rechunking() -> None:
    rng = np.random.default_rng(3)
    words = rng.choice(np.array(["a", "bb", "", "ccc"]), size=1_000).tolist()
    nums = rng.normal(size=1_000)
    chunked = pa.table(
        {
            "s": pa.chunked_array([words[:300], words[300:650], words[650:]]),
            "x": pa.chunked_array([nums[:500], nums[500:]]),
        }
    )
    flat = pa.table({"s": pa.array(words), "x": pa.array(nums)})
    assert_profiles_equivalent(profile(chunked), profile(flat))
    assert_profiles_equivalent(profile(chunked, batch_size=128), profile(flat))
