"""Multiclass score columns are matched to the classes by name, never by position.

Before: ``estimate --score pc,pa,pb`` (a wrong class order) silently paired class a with
the scores of class c and estimated nonsense.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from driftline.estimate import CBPE
from driftline.exceptions import DataError

from .test_multiclass import _simulate


def _fit(ref: pd.DataFrame, y_score: Any) -> CBPE:
    return CBPE(problem="multiclass", chunk_size=1_000).fit(ref, y_score=y_score, y_true="y")


def test_score_columns_in_any_order_give_the_same_estimates() -> None:
    ref, cur = _simulate(6_000, seed=1), _simulate(3_000, seed=2, shift=0.3)
    base = _fit(ref, ["pa", "pb", "pc"]).estimate(cur)
    shuffled = _fit(ref, ["pc", "pa", "pb"]).estimate(cur)
    mapping = _fit(ref, {"a": "pa", "b": "pb", "c": "pc"}).estimate(cur)
    for m in ("roc_auc", "f1", "accuracy"):
        assert shuffled.values(m) == pytest.approx(base.values(m), abs=1e-12)
        assert mapping.values(m) == pytest.approx(base.values(m), abs=1e-12)
    renamed = ref.rename(columns={"pa": "s1", "pb": "s2", "pc": "s3"})
    with pytest.raises(DataError, match=r"do not name the classes \['a', 'b', 'c'\]"):
        _fit(renamed, ["s1", "s2", "s3"])
    with pytest.raises(DataError, match="no column for the class"):
        _fit(renamed, {"a": "s1", "b": "s2"})


def test_estimate_cli_matches_columns_to_classes(tmp_path: Path, run_cli: Any) -> None:
    _simulate(6_000, seed=3).to_parquet(tmp_path / "ref.parquet")
    _simulate(2_000, seed=4, shift=0.3).to_parquet(tmp_path / "cur.parquet")

    def estimate(*score: str) -> Any:
        return run_cli("estimate", "ref.parquet", "cur.parquet", "--target", "y",
                       "--chunk-size", "1000", "--json", *[a for s in score for a in ("--score", s)])  # fmt: skip

    right, wrong_order = estimate("pa,pb,pc"), estimate("pc,pa,pb")
    assert right.returncode in (0, 1), right.stderr
    assert json.loads(wrong_order.stdout)["chunks"] == json.loads(right.stdout)["chunks"]
    df = pd.read_parquet(tmp_path / "ref.parquet").rename(
        columns={"pa": "s1", "pb": "s2", "pc": "s3"}
    )
    df.to_parquet(tmp_path / "ref.parquet")
    cur = pd.read_parquet(tmp_path / "cur.parquet").rename(
        columns={"pa": "s1", "pb": "s2", "pc": "s3"}
    )
    cur.to_parquet(tmp_path / "cur.parquet")
    refused = estimate("s1,s2,s3")
    assert refused.returncode == 2
    assert "do not name the classes" in refused.stderr
    assert "--score a=s1,b=s2,c=s3" in refused.stderr
    mapped = estimate("a=s1", "b=s2", "c=s3")
    assert json.loads(mapped.stdout)["chunks"] == json.loads(right.stdout)["chunks"]
    assert np.isfinite(json.loads(mapped.stdout)["chunks"][0]["metrics"]["f1"]["value"])
