"""One column-kind rule: every path that infers a kind gives the same kind for each column.

The paths are the profile, the drift detector, the store's ``VersionSchema.infer``, the
client's schema inference (what ``register_version(reference=...)`` sends) and the CLI's
``profile --json``. Before ``driftline.tabular``, the last three disagreed with the first
two: a timestamp column was ``categorical`` there and ``datetime`` in a profile, a
decimal column ``categorical`` there and ``numeric`` in a profile, and a pandas
``category`` of integers ``numeric`` everywhere.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from driftline.client._convert import infer_schema
from driftline.client._convert import to_table as client_table
from driftline.drift import DriftDetector
from driftline.profiles import profile
from driftline.server._schemas import SchemaIn
from driftline.store import VersionSchema
from driftline.store._validate import validate_batch
from driftline.tabular import infer_kind, table_kinds, to_table

RunCli = Callable[..., subprocess.CompletedProcess[str]]
N = 240

#: Column -> the kind every path must give it.
EXPECTED = {
    "int": "numeric",
    "float": "numeric",
    "decimal": "numeric",
    "string": "categorical",
    "dictionary": "categorical",
    "category": "categorical",
    "boolean": "boolean",
    "naive_time": "datetime",
    "aware_time": "datetime",
    "text": "text",
}
#: What the drift detector tests each kind as (datetime columns are compared as numbers;
#: text columns are not tested).
DRIFT_KIND = {"numeric": {"numeric"}, "datetime": {"datetime"},
              "categorical": {"categorical"}, "boolean": {"boolean"}}  # fmt: skip


def _frame(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-01") + pd.Timedelta(days=seed)
    return pd.DataFrame(
        {
            "int": rng.integers(0, 100, N),
            "float": rng.normal(size=N),
            "decimal": [Decimal(f"{v:.2f}") for v in rng.uniform(0, 500, N)],
            "string": rng.choice(["north", "south", "east"], N),
            "dictionary": rng.choice(["gold", "silver"], N),
            "category": pd.Categorical(rng.choice([1, 2, 3], N)),  # integer-coded categories
            "boolean": rng.random(N) < 0.4,
            "naive_time": pd.date_range(start, periods=N, freq="h"),
            "aware_time": pd.date_range(start, periods=N, freq="h", tz="Europe/Oslo"),
            "text": [f"free text of a customer's note, number {i} of many" for i in range(N)],
        }
    )


def _arrow(frame: pd.DataFrame) -> pa.Table:
    table = to_table(frame)
    index = table.column_names.index("dictionary")
    return table.set_column(index, "dictionary", table["dictionary"].dictionary_encode())


@pytest.fixture(scope="module")
def table() -> pa.Table:
    return _arrow(_frame())


def test_the_rule_itself(table: pa.Table) -> None:
    assert table_kinds(table) == EXPECTED
    assert table["decimal"].type == pa.decimal128(5, 2)
    assert pa.types.is_dictionary(table["category"].type)


def test_profile(table: pa.Table) -> None:
    assert profile(table).kinds == EXPECTED
    assert profile(_frame()).kinds == {**EXPECTED}  # pandas directly (dictionary is str)


def test_drift_detector(table: pa.Table) -> None:
    report = DriftDetector().fit(table).compare(_arrow(_frame(seed=1)))
    for name, kind in EXPECTED.items():
        if kind == "text":
            assert "text" in report.skipped[name]
        else:
            assert report.columns[name].kind in DRIFT_KIND[kind], name


def test_store_version_schema(table: pa.Table) -> None:
    with_score = table.append_column("score", pa.array(np.linspace(0, 1, N)))
    schema = VersionSchema.infer(with_score)
    assert dict(schema.features) == EXPECTED
    assert VersionSchema.from_dict(schema.to_dict()) == schema
    SchemaIn.model_validate(schema.to_dict())  # the server accepts every kind


def test_client_inference() -> None:
    frame = _frame()
    frame["score"] = np.linspace(0, 1, N)
    frame["dictionary"] = frame["dictionary"].astype("category")
    features = infer_schema(
        client_table(frame), task="binary", score="score", prediction=None, target=None
    )["features"]
    assert features == EXPECTED


def test_cli_profile_json_on_parquet_and_csv(
    table: pa.Table, run_cli: RunCli, tmp_path: Path
) -> None:
    frame = _frame()
    frame["dictionary"] = frame["dictionary"].astype("category")
    frame.to_parquet(tmp_path / "pandas.parquet")  # pandas' metadata keeps its categories
    pq.write_table(table, tmp_path / "arrow.parquet")  # so does the stored Arrow schema
    for name in ("pandas.parquet", "arrow.parquet"):
        result = run_cli("profile", name, "--json")
        assert result.returncode == 0, result.stderr
        kinds = {n: c["kind"] for n, c in json.loads(result.stdout)["columns"].items()}
        assert kinds == EXPECTED, name
    # CSV carries no types: integer codes need --categorical, the rest is read from text.
    _frame().to_csv(tmp_path / "kinds.csv", index=False)
    result = run_cli("profile", "kinds.csv", "--json", "--categorical", "category")
    assert result.returncode == 0, result.stderr
    kinds = {n: c["kind"] for n, c in json.loads(result.stdout)["columns"].items()}
    assert kinds == EXPECTED


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["02139", "94105", "10001"], "categorical"),  # a leading zero: codes, not numbers
        (["2139", "94105", "10001"], "numeric"),
        (["0", "0.5", "-0.25", "7"], "numeric"),  # zero itself is a number
        (["true", "False", "TRUE"], "boolean"),
        (["yes", "no"], "categorical"),
        (["2024-01-05", "2024-02-01 10:00:00", "2024-03-01T10:00:00+02:00"], "datetime"),
        (["1", "2", "x"], "categorical"),
        ([None, None], None),
    ],
)
def test_string_values_decide_the_kind(values: list[str | None], kind: str | None) -> None:
    arr = pa.array(values, pa.large_string())
    assert infer_kind(pa.field("c", arr.type), arr) == kind


def test_leading_zero_after_the_sample_still_counts() -> None:
    values = [str(10_000 + i) for i in range(5_000)] + ["02139"]
    arr = pa.array(values)
    assert infer_kind(pa.field("zip", arr.type), arr) == "categorical"


def test_a_schema_kind_in_the_metadata_wins() -> None:
    t = to_table({"zip": np.array([2139, 94105]), "x": [1.0, 2.0]}, schema={"zip": "categorical"})
    assert table_kinds(t) == {"zip": "categorical", "x": "numeric"}
    assert t["zip"].to_pylist() == ["2139", "94105"]


def test_the_store_validates_a_datetime_and_a_text_feature() -> None:
    schema = VersionSchema({"t": "datetime", "note": "text"})
    batch = pa.table(
        {
            "t": ["2024-01-05T10:00:00Z", None, "not a date"],
            "note": ["a", None, "c"],
            "score": [0.2, 0.4, 0.6],
        }
    )
    out = validate_batch(schema, batch, now=datetime(2024, 2, 1, tzinfo=UTC))
    assert out.valid.tolist() == [True, True, False]
    assert out.reasons == {2: ["t: not an ISO 8601 timestamp"]}
    assert out.table["t"].type == pa.timestamp("us", tz="UTC")
    assert out.table["t"][0].as_py() == datetime(2024, 1, 5, 10, tzinfo=UTC)
    assert out.table["note"].to_pylist() == ["a", None, "c"]
