"""Every command reads data with the one loader: the same JSON from CSV and from Parquet.

Issue 13.1: the gate read CSV with Arrow's defaults, so empty cells in string columns
reached the model as ``""`` while Parquet gave it missing values (ROC AUC 0.56 from the
CSV, 0.99 from the Parquet of the same rows); ``profile`` counted the same cells as
missing. Now ``profile``, ``drift``, ``evaluate``, ``estimate`` and ``gate run`` read
files through ``driftline.tabular`` and must print identical JSON for a CSV file and a
Parquet file of the same rows (only the files' own sha256 and the run's clock differ).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from .tabular.test_read import PASSENGERS, TEXT_COLUMNS, sklearn_frame

RunCli = Callable[..., subprocess.CompletedProcess[str]]

POLICY = """\
name: cross-format
target: {target}
n_resamples: 200
exclude: [{exclude}]
checks:
  - kind: metric
    metric: roc_auc
    min: 0.8
  - kind: data_contract
    max_missing_rate: 0.9
  - kind: drift
    max_drifted_columns: 3
"""


def _json(result: subprocess.CompletedProcess[str], *codes: int) -> Any:
    assert result.returncode in codes, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


def _same_gate_reports(a: dict[str, Any], b: dict[str, Any]) -> None:
    """Equal but for what must differ: the data files' sha256 and the run's clock."""
    for report in (a, b):
        for key in ("data", "train_data"):
            report["digests"].pop(key)
        report.pop("started_at")
        report.pop("duration_s")
    assert a == b


def _passenger_model() -> tuple[Any, list[str]]:
    """Imputes missing categories as "none" and one-hot encodes them: a missing boat and
    a boat named "" are different inputs to it."""
    text = ["sex", "embarked", "boat", "cabin"]
    numbers = ["pclass", "age", "fare", "sibsp", "parch"]
    encode = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="none"),
        OneHotEncoder(handle_unknown="ignore"),
    )
    model = make_pipeline(
        make_column_transformer(
            (encode, text), (SimpleImputer(strategy="median"), numbers), remainder="drop"
        ),
        LogisticRegression(max_iter=2000),
    )
    return model, text + numbers


def _write_splits(root: Path, name: str) -> Path:
    """Train / reference / current splits of a data set as CSV and Parquet, with a skops
    model fitted on the train split (on the rows as pandas reads the Parquet), its scores,
    and a gate policy."""
    import skops.io as sio

    if name == "passengers":
        frame, target = pd.read_csv(PASSENGERS, dtype=TEXT_COLUMNS), "survived"
        model, features = _passenger_model()
        exclude = "passenger_id, name, ticket"
    else:
        frame, target = sklearn_frame(name), "target"
        features = [c for c in frame.columns if c != target]
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        exclude = ""
    order = np.random.default_rng(0).permutation(len(frame))
    train, ref, cur = (frame.iloc[i].reset_index(drop=True) for i in np.array_split(order, 3))
    model.fit(train[features], train[target])
    root = root / name
    root.mkdir()
    sio.dump(model, root / "model.skops")
    for side, part in (("ref", ref), ("cur", cur)):
        scored = part.assign(score=model.predict_proba(part[features])[:, 1])
        for data, stem in ((scored, side), (part, f"{side}_features")):
            data.to_csv(root / f"{stem}.csv", index=False)
            data.to_parquet(root / f"{stem}.parquet", index=False)
    (root / "policy.yaml").write_text(POLICY.format(target=target, exclude=exclude))
    return root


def _commands(root: Path, ext: str, target: str) -> dict[str, tuple[str, ...]]:
    ref, cur = str(root / f"ref.{ext}"), str(root / f"cur.{ext}")
    return {
        "profile": ("profile", cur, "--json"),
        "quality": ("profile", cur, "--reference", ref, "--json"),
        "drift": ("drift", ref, cur, "--json", "--exclude", "score"),
        "evaluate": ("evaluate", cur, "--target", target, "--score", "score", "--json"),
        "estimate": ("estimate", ref, cur, "--target", target, "--score", "score", "--json"),
        "gate": (
            "gate", "run", "--policy", str(root / "policy.yaml"),
            "--candidate", str(root / "model.skops"),
            "--data", str(root / f"cur_features.{ext}"),
            "--train-data", str(root / f"ref_features.{ext}"), "--json",
        ),
    }  # fmt: skip


@pytest.mark.parametrize("name", ["breast_cancer", "passengers"])
def test_every_command_prints_the_same_json_from_csv_and_parquet(
    name: str, run_cli: RunCli, tmp_path: Path
) -> None:
    root = _write_splits(tmp_path, name)
    target = "survived" if name == "passengers" else "target"
    csv, parquet = _commands(root, "csv", target), _commands(root, "parquet", target)
    for command in csv:
        a = _json(run_cli(*csv[command]), 0, 1)
        b = _json(run_cli(*parquet[command]), 0, 1)
        if command == "gate":
            assert a["checks"][0]["status"] == "pass", a  # the model works on both
            _same_gate_reports(a, b)
        else:
            assert a == b, command


@pytest.fixture(scope="module")
def passengers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The messy CSV, its Parquet, and a model fitted on the Parquet's rows (where the
    empty cells are missing values, as pandas and Arrow both read Parquet)."""
    import skops.io as sio

    root = tmp_path_factory.mktemp("passengers")
    frame = pd.read_csv(PASSENGERS, dtype=TEXT_COLUMNS)
    frame.to_parquet(root / "passengers.parquet", index=False)
    (root / "passengers.csv").write_bytes(PASSENGERS.read_bytes())
    model, features = _passenger_model()
    sio.dump(model.fit(frame[features], frame["survived"]), root / "model.skops")
    (root / "policy.yaml").write_text(
        "name: passengers\ntarget: survived\nn_resamples: 200\nexclude: [passenger_id, name]\n"
        "checks:\n  - kind: metric\n    metric: roc_auc\n    min: 0.9\n"
    )
    return root


def test_the_gate_sees_missing_cells_in_a_messy_csv_as_the_parquet_does(
    passengers: Path, run_cli: RunCli
) -> None:
    reports = []
    for name in ("passengers.csv", "passengers.parquet"):
        result = run_cli(
            "gate", "run", "--policy", str(passengers / "policy.yaml"),
            "--candidate", str(passengers / "model.skops"),
            "--data", str(passengers / name), "--json",
        )  # fmt: skip
        reports.append(_json(result, 0))
    auc = reports[0]["checks"][0]["observed"]
    assert auc > 0.9  # the empty boat cells are missing, as at training time
    assert reports[0]["checks"] == reports[1]["checks"]


def test_drift_reports_an_emptied_column_instead_of_exit_2(tmp_path: Path, run_cli: RunCli) -> None:
    """Issue 13.2: a column left empty by a broken pipeline made ``drift`` exit 2
    ("lacks column") although it is in the header."""
    reference = sklearn_frame("diabetes")
    current = reference.sample(frac=1.0, random_state=1).reset_index(drop=True)
    current["bmi"] = np.nan
    reference.to_csv(tmp_path / "ref.csv", index=False)
    current.to_csv(tmp_path / "cur.csv", index=False)
    result = run_cli("drift", "ref.csv", "cur.csv", "--json")
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert "bmi" in report["skipped"] or "bmi" in report["columns"]
    quality = run_cli("profile", "cur.csv", "--reference", "ref.csv", "--json")
    findings = _json(quality, 1)["quality"]["findings"]
    bmi = [f for f in findings if f["column"] == "bmi"]
    assert [f["kind"] for f in bmi] == ["missing"]  # 100 % missing, not "kind changed"
    assert _json(quality, 1)["columns"]["bmi"]["kind"] == "numeric"


def test_kind_options_on_every_command(tmp_path: Path, run_cli: RunCli) -> None:
    frame = pd.read_csv(PASSENGERS, dtype=TEXT_COLUMNS)
    frame.iloc[:300].to_csv(tmp_path / "ref.csv", index=False)
    frame.iloc[300:].to_csv(tmp_path / "cur.csv", index=False)
    (tmp_path / "schema.yaml").write_text("pclass: categorical\nsibsp: categorical\n")
    for options in (("--schema", "schema.yaml"), ("--categorical", "pclass,sibsp")):
        profiled = _json(run_cli("profile", "cur.csv", "--json", *options), 0)
        assert profiled["columns"]["pclass"]["kind"] == "categorical"
        drift = _json(run_cli("drift", "ref.csv", "cur.csv", "--json", *options), 0, 1)
        assert drift["columns"]["pclass"]["kind"] == "categorical"
    numeric = _json(run_cli("profile", "cur.csv", "--json", "--numeric", "home_zip"), 0)
    assert numeric["columns"]["home_zip"]["kind"] == "numeric"
    clash = run_cli("profile", "cur.csv", "--categorical", "age", "--numeric", "age")
    assert clash.returncode == 2
    assert (
        clash.stderr.strip()
        == "error: Column 'age' is given two kinds: 'categorical' and 'numeric'."
    )
    unknown = run_cli("drift", "ref.csv", "cur.csv", "--categorical", "klass")
    assert unknown.returncode == 2
    assert len(unknown.stderr.strip().splitlines()) == 1
    assert "['klass']" in unknown.stderr
    assert "ref.csv" in unknown.stderr


def test_csv_format_options_and_warnings(tmp_path: Path, run_cli: RunCli) -> None:
    frame = pd.read_csv(PASSENGERS, dtype=TEXT_COLUMNS)
    fmt = tmp_path / "fmt.csv"
    fmt.write_bytes((PASSENGERS.parent / "passengers_fmt.csv").read_bytes())
    plain = _json(run_cli("profile", str(PASSENGERS), "--json"), 0)
    sniffed = _json(run_cli("profile", "fmt.csv", "--json"), 0)
    told = _json(
        run_cli("profile", "fmt.csv", "--json", "--sep", ";", "--decimal", ",", "--thousands", "."),
        0,
    )
    assert sniffed == told == plain
    prices = tmp_path / "prices.csv"
    rows = [f'{i},"{p:,.2f}"' for i, p in enumerate(frame["fare"].fillna(0) * 40 + 1000)]
    prices.write_text("id,price\n" + "\n".join(rows) + "\n")
    warned = run_cli("profile", "prices.csv", "--json", "--thousands", "")
    assert json.loads(warned.stdout)["columns"]["price"]["kind"] == "categorical"
    assert warned.stderr.startswith("warning: prices.csv: Column 'price' is read as categorical")
    assert "--numeric price" in warned.stderr
    assert len(warned.stderr.strip().splitlines()) == 1
    fixed = _json(run_cli("profile", "prices.csv", "--json"), 0)
    assert fixed["columns"]["price"]["kind"] == "numeric"


def test_a_bad_file_is_one_line_naming_the_file_and_the_fix(
    tmp_path: Path, run_cli: RunCli
) -> None:
    (tmp_path / "ragged.csv").write_text("a,b\n1,2\n3,4,5\n")
    sklearn_frame("wine").to_csv(tmp_path / "wine.csv", index=False)
    for args in (
        ("profile", "ragged.csv"),
        ("drift", "wine.csv", "ragged.csv"),
        ("evaluate", "ragged.csv", "--target", "a", "--score", "b"),
        ("estimate", "wine.csv", "ragged.csv", "--target", "target", "--score", "alcohol"),
    ):
        result = run_cli(*args)
        assert result.returncode == 2, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (args, result.stderr)
        assert "ragged.csv" in lines[0]
        assert "--sep" in lines[0]
