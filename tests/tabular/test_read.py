"""Reading files: the same table from CSV and Parquet, missing cells, kinds, number formats.

Real data: scikit-learn's bundled breast-cancer, wine and diabetes sets, and a messy
Titanic-like CSV written by ``tests/data/make_passengers.py`` (quoted names with commas,
empty cells in string and number columns, integer-coded classes, zip codes).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sklearn import datasets

from driftline.drift import DriftDetector
from driftline.exceptions import DataError, DataWarning, ParameterError, SchemaMismatchError
from driftline.profiles import NumericProfile, check_quality, profile
from driftline.tabular import (
    CsvOptions,
    build_schema,
    invalid_count,
    iter_slices,
    read_schema,
    read_table,
    table_kinds,
    to_table,
)

DATA = Path(__file__).parents[1] / "data"
PASSENGERS = DATA / "passengers.csv"
#: How pandas reads the passengers file when told which columns are text.
TEXT_COLUMNS = {"ticket": str, "home_zip": str, "boat": str, "cabin": str}


def sklearn_frame(name: str) -> pd.DataFrame:
    loader = {
        "breast_cancer": datasets.load_breast_cancer,
        "wine": datasets.load_wine,
        "diabetes": datasets.load_diabetes,
    }[name]
    frame: pd.DataFrame = loader(as_frame=True).frame
    frame.columns = [str(c).replace(" ", "_") for c in frame.columns]
    return frame


def _values(table: pa.Table) -> dict[str, list[object]]:
    return {name: table[name].to_pylist() for name in table.column_names}


@pytest.mark.parametrize("name", ["breast_cancer", "wine", "diabetes"])
def test_csv_and_parquet_of_a_real_data_set_read_the_same(name: str, tmp_path: Path) -> None:
    frame = sklearn_frame(name)
    frame.to_csv(tmp_path / "data.csv", index=False)
    frame.to_parquet(tmp_path / "data.parquet", index=False)
    from_csv, from_parquet = (
        read_table(tmp_path / "data.csv"),
        read_table(tmp_path / "data.parquet"),
    )
    assert from_csv.equals(from_parquet)  # types and values, bit for bit
    assert table_kinds(from_csv) == table_kinds(from_parquet)
    assert set(table_kinds(from_csv).values()) == {"numeric"}


def test_the_messy_csv_reads_like_its_parquet(tmp_path: Path) -> None:
    frame = pd.read_csv(PASSENGERS, dtype=TEXT_COLUMNS)
    frame.to_parquet(tmp_path / "passengers.parquet", index=False)
    from_csv = read_table(PASSENGERS)
    from_parquet = read_table(tmp_path / "passengers.parquet")
    assert table_kinds(from_csv) == table_kinds(from_parquet)
    assert _values(from_csv) == _values(from_parquet)  # 5 == 5.0: int and float columns agree
    assert table_kinds(from_csv)["home_zip"] == "categorical"
    assert any(z.startswith("0") for z in from_csv["home_zip"].drop_null().to_pylist())
    assert from_csv["name"][0].as_py() == "Smith, Mr. Karl"


def test_empty_cells_in_string_columns_are_missing_not_empty_strings() -> None:
    """Issue 13.1: Arrow's CSV reader kept ``""`` in string columns (strings_can_be_null
    was off), so models saw a category ``""`` from CSV and a missing value from Parquet."""
    raw = PASSENGERS.read_text().splitlines()[1:]
    empty_boats = sum(line.split('"')[-1].split(",")[-3] == "" for line in raw)
    table = read_table(PASSENGERS)
    assert table["boat"].null_count == empty_boats > 250
    assert "" not in table["boat"].to_pylist()
    assert "" not in table["cabin"].to_pylist()
    streamed = pa.concat_tables(iter_slices(PASSENGERS, batch_size=64))
    assert streamed["boat"].null_count == empty_boats
    assert profile(PASSENGERS)["boat"].n_null == empty_boats


def test_the_same_null_spellings_in_every_column(tmp_path: Path) -> None:
    path = tmp_path / "nulls.csv"
    path.write_text("city,x\nOslo,1\nNA,2\n,3\nnull,NaN\nN/A,\nLima,6\n")
    table = read_table(path)
    assert table["city"].to_pylist() == ["Oslo", None, None, None, None, "Lima"]
    assert table["x"].to_pylist() == [1, 2, 3, None, None, 6]
    kept = read_table(path, csv=CsvOptions(null_values=("",)))
    assert kept["city"].to_pylist() == ["Oslo", "NA", None, "null", "N/A", "Lima"]


def test_an_entirely_empty_column_is_kept(tmp_path: Path) -> None:
    """Issue 13.2: a column left empty is a column that is 100 % missing, not no column."""
    frame = sklearn_frame("diabetes")
    frame["bmi"] = np.nan
    frame.to_csv(tmp_path / "nulled.csv", index=False)
    table = read_table(tmp_path / "nulled.csv")
    assert "bmi" in table.column_names
    assert table["bmi"].null_count == len(frame)
    assert table_kinds(table)["bmi"] is None  # no value: kind unknown
    typed = read_table(tmp_path / "nulled.csv", schema={"bmi": "numeric"})
    assert typed["bmi"].type == pa.float64()
    assert table_kinds(typed)["bmi"] == "numeric"
    col = profile(tmp_path / "nulled.csv", schema={"bmi": "numeric"})["bmi"]
    assert isinstance(col, NumericProfile)
    assert (col.n_rows, col.n_null, col.count) == (len(frame), len(frame), 0)
    # The drift detector gets the column (of the schema's kind): all missing now is drift.
    reference = read_table_of(sklearn_frame("diabetes"), tmp_path)
    report = DriftDetector().fit(reference).compare(typed)
    assert report.columns["bmi"].drifted
    assert report.columns["bmi"].missing is not None


def read_table_of(frame: pd.DataFrame, tmp_path: Path) -> pa.Table:
    frame.to_csv(tmp_path / "reference.csv", index=False)
    return read_table(tmp_path / "reference.csv")


def test_pandas_category_is_categorical_and_zip_codes_keep_their_zeros(tmp_path: Path) -> None:
    frame = pd.read_csv(PASSENGERS, dtype=TEXT_COLUMNS)
    frame["pclass"] = frame["pclass"].astype("category")
    assert table_kinds(to_table(frame))["pclass"] == "categorical"
    assert profile(frame)["pclass"].kind == "categorical"
    frame.to_parquet(tmp_path / "p.parquet")
    assert table_kinds(read_table(tmp_path / "p.parquet"))["pclass"] == "categorical"
    zips = read_table(PASSENGERS)["home_zip"].to_pylist()
    assert all(z is None or len(z) == 5 for z in zips)
    # Integer codes given their kind can be tested as categories (chi-squared).
    codes = to_table(frame[["pclass", "sibsp"]].astype("int64"), schema={"sibsp": "categorical"})
    detector = DriftDetector(method={"sibsp": "chi2"}).fit(codes)
    assert detector.compare(codes).columns["sibsp"].method == "chi2"


def test_a_schema_overrides_inference_on_every_loader(tmp_path: Path) -> None:
    schema_file = tmp_path / "schema.yaml"
    schema_file.write_text("pclass: categorical\nnumeric: [survived]\n")
    schema = read_schema(schema_file)
    assert schema == {"pclass": "categorical", "survived": "numeric"}
    table = read_table(PASSENGERS, schema=schema)
    assert pa.types.is_dictionary(table["pclass"].type)  # pandas keeps it as a category
    assert table.select(["pclass"]).to_pandas()["pclass"].dtype == "category"
    assert table_kinds(table)["pclass"] == "categorical"
    assert profile(PASSENGERS, schema=schema)["pclass"].kind == "categorical"
    frame = pd.read_csv(PASSENGERS, dtype=TEXT_COLUMNS)
    assert table_kinds(to_table(frame, schema=schema))["pclass"] == "categorical"
    with pytest.raises(SchemaMismatchError, match=r"\['klass'\].*passengers.csv.*--schema"):
        read_table(PASSENGERS, schema={"klass": "categorical"})
    with pytest.raises(ParameterError, match="two kinds"):
        build_schema(schema, numeric=["pclass"])
    schema_file.write_text("pclass: factor\n")
    with pytest.raises(ParameterError, match=r"schema.yaml.*'pclass'.*'factor'.*numeric"):
        read_schema(schema_file)


def _price_frame(n: int, seed: int, factor: float = 1.0) -> pd.DataFrame:
    """Real-looking prices: the diabetes target (25..346) scaled into the thousands."""
    rng = np.random.default_rng(seed)
    base = sklearn_frame("diabetes")["target"].to_numpy()
    price = np.round(rng.choice(base, n) * 12.3 * factor + rng.uniform(0, 1, n), 2)
    return pd.DataFrame({"item": rng.choice(["a", "b", "c"], n), "price": price})


def _write_us(frame: pd.DataFrame, path: Path) -> None:
    lines = ["item,price"] + [
        f'{i},"{p:,.2f}"' for i, p in zip(frame["item"], frame["price"], strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")


def _write_eu(frame: pd.DataFrame, path: Path) -> None:
    def eu(p: float) -> str:
        return f"{p:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")

    lines = ["item;price"] + [
        f"{i};{eu(p)}" for i, p in zip(frame["item"], frame["price"], strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")


def test_thousands_separators_semicolons_and_decimal_commas_are_sniffed(tmp_path: Path) -> None:
    """Issue 13.4: ``"1,303.48"`` became a categorical column of thousands of values, and a
    semicolon-delimited file one text column."""
    frame = _price_frame(3_000, seed=1)
    frame.to_csv(tmp_path / "plain.csv", index=False)
    _write_us(frame, tmp_path / "us.csv")
    _write_eu(frame, tmp_path / "eu.csv")
    plain = read_table(tmp_path / "plain.csv")
    for name in ("us.csv", "eu.csv"):
        table = read_table(tmp_path / name)
        assert table.column_names == ["item", "price"]
        assert table_kinds(table) == {"item": "categorical", "price": "numeric"}
        assert table.equals(plain), name
        streamed = profile(tmp_path / name, batch_size=500)
        assert streamed.to_dict() == profile(tmp_path / "plain.csv", batch_size=500).to_dict()
    told = CsvOptions(sep=";", decimal=",", thousands=".")
    assert read_table(tmp_path / "eu.csv", csv=told).equals(plain)


def test_a_price_rise_written_with_separators_is_drift(tmp_path: Path) -> None:
    reference, current = _price_frame(3_000, seed=2), _price_frame(3_000, seed=3, factor=1.35)
    _write_us(reference, tmp_path / "ref.csv")
    _write_us(current, tmp_path / "cur.csv")
    detector = DriftDetector().fit(read_table(tmp_path / "ref.csv"))
    report = detector.compare(read_table(tmp_path / "cur.csv"))
    assert report.columns["price"].kind == "numeric"
    assert report.columns["price"].drifted


def test_a_numeric_looking_categorical_column_warns(tmp_path: Path) -> None:
    frame = _price_frame(500, seed=4)
    _write_us(frame, tmp_path / "us.csv")
    with pytest.warns(
        DataWarning, match=r"'price' is read as categorical: .*'\d,\d{3}\.\d\d'.*--numeric price"
    ):
        table = read_table(tmp_path / "us.csv", csv=CsvOptions(thousands=""))
    assert table_kinds(table)["price"] == "categorical"
    texts = pd.DataFrame({"price": [f"{p:,.2f}" for p in frame["price"]]})
    with pytest.warns(DataWarning, match="look like formatted numbers"):
        profiled = profile(texts)
    # The profile's quality report says it too (also for profiles made elsewhere).
    findings = check_quality(profiled).by_column("price")
    assert [f.kind for f in findings] == ["looks_numeric"]
    assert "--numeric price" in findings[0].message
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        read_table(PASSENGERS)  # names, tickets and zip codes are not numbers in disguise


def test_values_that_do_not_fit_their_column_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "dirty.csv"
    rows = [f"{i},{i * 0.5}" for i in range(2_000)]
    rows[1_500] = "1500,oops"
    path.write_text("id,value\n" + "\n".join(rows) + "\n")
    with pytest.warns(
        DataWarning, match=r"'value' of '.*dirty.csv': 1 value\(s\) are not numeric \(e.g. 'oops'\)"
    ):
        table = read_table(path)
    assert invalid_count(table.schema.field("value")) == 1
    col = profile(table)["value"]
    assert (col.n_invalid, col.n_null) == (1, 0)
    assert profile(path, batch_size=256)["value"].n_invalid == 1


def _error(path: Path, **kwargs: object) -> str:
    with pytest.raises(DataError) as info:
        read_table(path, **kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    return message


def test_bad_files_get_one_line_naming_the_file_the_column_and_the_fix(tmp_path: Path) -> None:
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3,4,5\n")
    assert "different number of fields" in _error(ragged)
    assert "--sep" in _error(ragged)
    latin = tmp_path / "latin.csv"
    latin.write_bytes("city,x\nOslo,1\nK\xf6ln,2\n".encode("latin-1"))
    message = _error(latin)
    assert "column 'city'" in message
    assert "--encoding" in message
    assert read_table(latin, csv=CsvOptions(encoding="latin-1"))["city"][1].as_py() == "Köln"
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "empty" in _error(empty)
    twins = tmp_path / "twins.csv"
    twins.write_text("a,a\n1,2\n")
    assert "['a'] more than once" in _error(twins)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    assert "Parquet" in _error(broken)
    with pytest.raises(ParameterError, match=r"'sep'.*one character"):
        CsvOptions(sep=";;")
    with pytest.raises(ParameterError, match="'encoding'"):
        CsvOptions(encoding="no-such-codec")
