"""What the SDK accepts and how it prepares rows (ids, timestamps, schemas, windows) — no network."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftline.client import ApiError, Client
from driftline.client._convert import (
    add_ids_and_time,
    infer_schema,
    labels_table,
    parse_window,
    to_table,
)
from driftline.client._ids import new_ids, new_ids_arrow
from driftline.exceptions import DataError, ParameterError, UnsupportedInputError

EXPECTED = [{"x": 1.0, "c": "a", "score": 0.2}, {"x": 2.0, "c": "b", "score": 0.9}]


@pytest.mark.parametrize(
    "data",
    [
        pd.DataFrame(EXPECTED, index=[10, 11]),
        pl.DataFrame(EXPECTED),
        pa.Table.from_pylist(EXPECTED),
        pa.RecordBatch.from_pylist(EXPECTED),
        {"x": [1.0, 2.0], "c": ["a", "b"], "score": [0.2, 0.9]},
        {"x": np.array([1.0, 2.0]), "c": pd.Series(["a", "b"]), "score": (0.2, 0.9)},
        EXPECTED,
    ],
    ids=["pandas", "polars", "table", "record_batch", "dict", "dict_arrays", "records"],
)
def test_accepted_inputs_give_the_same_rows(data: object) -> None:
    assert to_table(data).to_pylist() == EXPECTED


def test_one_record_as_a_dict_of_scalars() -> None:
    assert to_table({"x": np.float64(1.5), "c": "a", "when": None}).to_pylist() == [
        {"x": 1.5, "c": "a", "when": None}
    ]


def test_records_with_different_keys_get_the_union_of_columns() -> None:
    table = to_table([{"x": 1.0}, {"x": 2.0, "c": "b"}, {"c": "z"}])
    assert table.to_pylist() == [
        {"x": 1.0, "c": None},
        {"x": 2.0, "c": "b"},
        {"x": None, "c": "z"},
    ]


@pytest.mark.parametrize("data", ["text", 3, [1, 2], object()])
def test_unsupported_inputs_say_what_is_accepted(data: object) -> None:
    with pytest.raises(UnsupportedInputError, match="DataFrame"):
        to_table(data)


def test_unconvertible_columns_are_a_data_error() -> None:
    with pytest.raises(DataError, match="Arrow"):
        to_table({"x": [1.0, "a", object()]})


def _prepare(table: pa.Table, **kwargs: object) -> tuple[pa.Table, list[str]]:
    options = {"ids": None, "timestamps": None, **kwargs}
    return add_ids_and_time(
        table, id_column="prediction_id", timestamp_column="timestamp", **options
    )


def test_ids_are_generated_uuid7_and_timestamps_are_the_logging_time() -> None:
    before = datetime.now(UTC)
    table, ids = _prepare(pa.table({"x": [1.0, 2.0, 3.0]}))
    after = datetime.now(UTC)
    assert table["prediction_id"].to_pylist() == ids
    assert all(uuid.UUID(i).version == 7 for i in ids)
    assert ids == sorted(ids)
    stamps = table["timestamp"].to_pylist()
    assert table["timestamp"].type == pa.timestamp("us", tz="UTC")
    assert all(before - timedelta(milliseconds=1) <= s <= after for s in stamps)


def test_given_ids_and_timestamps_are_kept() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    table, ids = _prepare(pa.table({"x": [1.0, 2.0]}), ids=["a", "b"], timestamps=when)
    assert ids == ["a", "b"]
    assert table["timestamp"].to_pylist() == [when, when]
    table, ids = _prepare(pa.table({"x": [1.0], "timestamp": ["2026-01-01T00:00:00Z"]}))
    assert table["timestamp"].to_pylist() == ["2026-01-01T00:00:00Z"]  # the server parses it


def test_an_id_column_with_gaps_is_completed() -> None:
    table, ids = _prepare(pa.table({"x": [1.0, 2.0, 3.0], "prediction_id": ["a", None, "c"]}))
    assert ids[0] == "a"
    assert ids[2] == "c"
    assert uuid.UUID(ids[1]).version == 7
    assert table["prediction_id"].to_pylist() == ids


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"ids": ["a"]}, DataError, "'ids' has 1 values but the data has 2 rows"),
        ({"timestamps": [datetime.now(UTC)]}, DataError, "'timestamps' has 1 values"),
    ],
)
def test_length_mismatches_are_reported(kwargs: dict, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        _prepare(pa.table({"x": [1.0, 2.0]}), **kwargs)


def test_ids_given_twice_is_a_parameter_error() -> None:
    with pytest.raises(ParameterError, match="one way only"):
        _prepare(pa.table({"prediction_id": ["a"], "x": [1.0]}), ids=["b"])


def test_labels_table() -> None:
    assert labels_table(["a", "b"], np.array([True, False])).to_pydict() == {
        "prediction_id": ["a", "b"],
        "label": [1, 0],
    }
    assert labels_table(["a"], ["0.5"]).to_pydict()["label"] == [0.5]
    with pytest.raises(DataError, match="one label per id"):
        labels_table(["a", "b"], [1])
    with pytest.raises(DataError, match="must be numbers"):
        labels_table(["a"], ["yes"])


def test_schema_inference_mirrors_version_schema() -> None:
    store = pytest.importorskip("driftline.store")
    table = pa.table(
        {"x": [1.0], "n": [3], "c": ["a"], "b": [True], "score": [0.5], "pred": [1], "y": [1]}
    )
    ours = infer_schema(table, task="binary", score="score", prediction="pred", target="y")
    theirs = store.VersionSchema.infer(
        table.drop_columns(["y"]), score_column="score", prediction_column="pred"
    )
    assert ours == theirs.to_dict()
    assert store.VersionSchema.from_dict(ours) == theirs


def test_schema_inference_errors() -> None:
    table = pa.table({"x": [1.0], "score": [0.5]})
    with pytest.raises(DataError, match="no 'label' column"):
        infer_schema(table, task="binary", score="score", prediction=None, target="label")
    with pytest.raises(ParameterError, match="task"):
        infer_schema(table, task="ranking", score="score", prediction=None, target=None)
    with pytest.raises(ParameterError, match="score column, a prediction column"):
        infer_schema(table, task="binary", score=None, prediction=None, target=None)
    with pytest.raises(DataError, match="no feature columns"):
        infer_schema(pa.table({"score": [0.5]}), task="binary", score="score",
                     prediction=None, target=None)  # fmt: skip


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("15m", {"kind": "time", "size_seconds": 900}),
        ("1h", {"kind": "time", "size_seconds": 3600}),
        (" 1 D ", {"kind": "time", "size_seconds": 86_400}),
        ("10000 rows", {"kind": "rows", "size": 10_000}),
        ("1 row", {"kind": "rows", "size": 1}),
        (timedelta(minutes=5), {"kind": "time", "size_seconds": 300}),
        (60, {"kind": "time", "size_seconds": 60}),
        ("30min", {"kind": "time", "size_seconds": 1800}),
        ("2W", {"kind": "time", "size_seconds": 2 * 604_800}),
    ],
)
def test_windows(spec: object, expected: dict) -> None:
    assert parse_window(spec) == expected


@pytest.mark.parametrize("spec", ["1y", "0h", "rows", "-5m", "", 0, timedelta(0), True])
def test_bad_windows(spec: object) -> None:
    with pytest.raises(ParameterError, match=r"'15m'|whole number"):
        parse_window(spec)


@pytest.mark.parametrize("spec", ["1M", " 3 M ", "1mo", "1 month"])
def test_month_like_windows_are_refused_not_read_as_minutes(spec: str) -> None:
    """'1M' was one minute (the units were case-insensitive): now an error that says so."""
    with pytest.raises(ParameterError, match=r"ambiguous|'15m'"):
        parse_window(spec)
    if spec.strip().endswith("M"):
        with pytest.raises(ParameterError, match=r"minute\? Write '\d+m' or '\d+min'"):
            parse_window(spec)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2000), min_size=1, max_size=10))
def test_ids_sort_in_generation_order_and_are_valid(sizes: list[int]) -> None:
    generated: list[str] = []
    for size in sizes:
        ids, array = new_ids_arrow(size) if size % 2 else (new_ids(size), None)
        if array is not None:
            assert array.to_pylist() == ids
        generated.extend(ids)
    assert generated == sorted(generated)
    assert len(set(generated)) == len(generated)
    for text in generated[:: max(1, len(generated) // 50)]:
        value = uuid.UUID(text)
        assert str(value) == text
        assert value.version == 7
        assert value.variant == uuid.RFC_4122


def test_ids_carry_the_current_millisecond() -> None:
    before = datetime.now(UTC).timestamp() * 1000
    value = uuid.UUID(new_ids(1)[0])
    after = datetime.now(UTC).timestamp() * 1000
    assert before - 1 <= value.int >> 80 <= after + 1


def test_ids_keep_order_when_the_clock_steps_back(monkeypatch: pytest.MonkeyPatch) -> None:
    import driftline.client._ids as ids_module

    first = new_ids(5)
    real = ids_module.time.time_ns
    monkeypatch.setattr(ids_module.time, "time_ns", lambda: real() - 3_600 * 10**9)
    later = new_ids(5) + new_ids(1)
    assert first + later == sorted(first + later)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"url": "localhost:8000"}, "http"),
        ({"token": ""}, "token"),
        ({"batch_size": 0}, "batch_size"),
        ({"flush_interval": -1}, "flush_interval"),
        ({"max_queue_rows": 1.5}, "max_queue_rows"),
        ({"retries": -1}, "retries"),
        ({"compression": "gzip"}, "compression"),
    ],
)
def test_client_parameters_are_checked(kwargs: dict, match: str) -> None:
    options = {"url": "http://127.0.0.1:1", "token": "dl_x_y", **kwargs}
    with pytest.raises(ParameterError, match=match):
        Client(options.pop("url"), options.pop("token"), **options)


def test_resource_call_to_an_unreachable_server_is_an_api_error(dead_url: str) -> None:
    client = Client(dead_url, "dl_x_y", retries=1, backoff=0.01)
    with pytest.raises(ApiError, match="Could not reach the driftline server") as info:
        client.me()
    client.close()
    assert info.value.status is None
    assert info.value.code == "connection_error"


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([1.5, np.nan, 3.0]),
        pd.Series([1, 2, 3], dtype="int32"),
        pd.Series([True, False, True]),
        pd.Series(["a", None, "c"], dtype="string"),
        pd.Series(["a", None, "c"], dtype="string[pyarrow]"),
        pd.Series(["a", None, "c"], dtype=object),
        pd.Series([1, None, 3], dtype="Int64"),
        pd.Series([0.5, None, 1.0], dtype="Float64"),
        pd.Series([True, None, False], dtype="boolean"),
        pd.Series(["x", "y", "x"], dtype="category"),
        pd.Series(pd.to_datetime(["2026-01-01", None, "2026-01-03"])),
        pd.Series(pd.to_datetime(["2026-01-01", None, "2026-01-03"]).tz_localize("UTC")),
    ],
    ids=lambda s: str(s.dtype),
)
def test_pandas_columns_convert_like_from_pandas(column: pd.Series) -> None:
    frame = pd.DataFrame({"c": column, "x": [1.0, 2.0, 3.0]}, index=[7, 8, 9])
    expected = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    assert to_table(frame).equals(expected)
