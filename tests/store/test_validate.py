from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftline.exceptions import ParameterError, SchemaMismatchError
from driftline.store import VersionSchema
from driftline.store._validate import validate_batch

NOW = datetime(2024, 1, 1, tzinfo=UTC)
SCHEMA = VersionSchema({"x": "numeric", "c": "categorical", "b": "boolean"})


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(
                st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
                st.sampled_from(["abc", "1..2", "--1", "", "e5"]),
            ),
            st.floats(min_value=-1.0, max_value=2.0, allow_nan=False),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_rejections_are_exactly_the_bad_rows(rows: list[tuple[str, float]]) -> None:
    texts = [r[0] for r in rows]
    scores = np.array([r[1] for r in rows])
    table = pa.table({"x": texts, "c": ["k"] * len(rows), "b": [True] * len(rows), "score": scores})
    out = validate_batch(SCHEMA, table, now=NOW)
    bad_x = np.array([t in {"abc", "1..2", "--1", "", "e5"} for t in texts])
    bad_score = (scores < 0) | (scores > 1)
    np.testing.assert_array_equal(out.valid, ~(bad_x | bad_score))
    for row, reasons in out.reasons.items():
        expected = (["x: not a number"] if bad_x[row] else []) + (
            ["score: outside [0, 1]"] if bad_score[row] else []
        )
        assert reasons == expected
    good = out.table["x"].to_numpy(zero_copy_only=False)[~bad_x]
    np.testing.assert_allclose(good, [float(t) for t, b in zip(texts, bad_x, strict=True) if not b])


def test_types_are_normalized() -> None:
    table = pa.table({
        "x": pa.array([1, 2, None], pa.int32()),
        "c": pa.array(["u", "v", "u"]).dictionary_encode(),
        "b": ["TRUE", "false", None],
        "score": [0.0, 1.0, float("nan")],
        "prediction": [1, 0, 1],
        "timestamp": [1_700_000_000, 1_700_000_000.5, 0],
        "prediction_id": [1, 2, 3],
    })  # fmt: skip
    out = validate_batch(SCHEMA, table, now=NOW)
    assert out.valid.all(), out.reasons
    t = out.table
    assert t.schema.field("x").type == pa.float64()
    assert t.schema.field("c").type == pa.string()
    assert t["b"].to_pylist() == [True, False, None]
    assert t["score"].to_pylist() == [0.0, 1.0, None]  # NaN becomes a missing value
    assert t["prediction_id"].to_pylist() == ["1", "2", "3"]
    assert t["timestamp"].to_pylist()[1] == datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC)


def test_timestamps_in_many_forms() -> None:
    stamps = ["2024-01-02T03:04:05Z", "2024-01-02 03:04:05", "2024-01-02T05:04:05+02:00",
              "2024-01-02", "2024-02-30T00:00:00", None]  # fmt: skip
    table = pa.table({"x": [1.0] * 6, "c": ["a"] * 6, "b": [True] * 6, "score": [0.5] * 6,
                      "timestamp": stamps})  # fmt: skip
    out = validate_batch(SCHEMA, table, now=NOW)
    values = out.table["timestamp"].to_pylist()
    assert values[:3] == [datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)] * 3
    assert values[3] == datetime(2024, 1, 2, tzinfo=UTC)
    assert out.reasons == {4: ["timestamp: not a valid date and time"], 5: ["timestamp: missing"]}


def test_unusable_column_types_raise() -> None:
    table = pa.table({"x": [[1.0]], "c": ["a"], "b": [True], "score": [0.5]})
    with pytest.raises(SchemaMismatchError, match="Column 'x' must be numeric"):
        validate_batch(SCHEMA, table, now=NOW)


def test_schema_round_trip_and_validation() -> None:
    assert VersionSchema.from_dict(SCHEMA.to_dict()) == SCHEMA
    with pytest.raises(ParameterError, match=r"features\['x'\]"):
        VersionSchema({"x": "float"})  # type: ignore[dict-item]
    with pytest.raises(ParameterError, match="distinct"):
        VersionSchema({"score": "numeric"})
    with pytest.raises(ParameterError, match="'task' parameter"):
        VersionSchema({"x": "numeric"}, task="ranking")  # type: ignore[arg-type]
    with pytest.raises(SchemaMismatchError, match="Not a driftline version schema"):
        VersionSchema.from_dict({"nope": 1})
