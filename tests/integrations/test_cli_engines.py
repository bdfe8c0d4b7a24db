"""``driftline profile --engine dask|spark DIR`` on a directory of Parquet files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from driftline.cli import main
from driftline.integrations import merge_profiles
from driftline.profiles import DatasetProfile, profile
from driftline.testing import assert_profiles_equivalent

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _parquet_dir(tmp_path: Path) -> tuple[Path, DatasetProfile]:
    rng = np.random.default_rng(3)
    folder = tmp_path / "data"
    folder.mkdir()
    parts = []
    for i in range(3):
        table = pa.table({"x": rng.normal(size=500), "c": rng.choice(["a", "b", "c"], size=500)})
        pq.write_table(table, folder / f"part-{i}.parquet")
        parts.append(profile(table))
    return folder, merge_profiles(parts)


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out = capsys.readouterr()
    return int(exit_info.value.code or 0), out.out, out.err


def test_profile_engine_dask(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder, want = _parquet_dir(tmp_path)
    saved = tmp_path / "p.bin"
    code, out, err = _run(
        ["profile", "--engine", "dask", str(folder), "--json", "--out", str(saved)], capsys
    )
    assert code == 0, err
    assert json.loads(out)["n_rows"] == 1500
    assert_profiles_equivalent(DatasetProfile.from_bytes(saved.read_bytes()), want)


def test_profile_engine_spark(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, want = _parquet_dir(tmp_path)
    saved = tmp_path / "p.bin"
    code, _, err = _run(
        ["profile", "--engine", "spark", str(folder), "--categorical", "c", "--out", str(saved)],
        capsys,
    )
    assert code == 0, err
    assert_profiles_equivalent(DatasetProfile.from_bytes(saved.read_bytes()), want)


def test_profile_engine_needs_parquet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "d.csv"
    csv.write_text("x\n1\n")
    code, _, err = _run(["profile", "--engine", "dask", str(csv)], capsys)
    assert code == 2
    assert "reads Parquet" in err
    code, _, err = _run(["profile", "--engine", "dask", str(tmp_path / "none")], capsys)
    assert (code, "does not exist" in err) == (2, True)
