"""GateReport outputs: digests, JSON, Markdown (marker, size limit), JUnit XML, HTML."""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftline.exceptions import ParameterError
from driftline.gate import (
    MARKDOWN_MARKER,
    MAX_MARKDOWN_CHARS,
    CheckResult,
    GateReport,
    run,
)

POLICY = """\
name: test gate
target: churned
n_resamples: 200
checks:
  - kind: metric
    metric: roc_auc
    min: 0.7
  - kind: metric
    metric: accuracy
    min: 0.99
    severity: warn
  - kind: champion
    metric: roc_auc
    margin: 0.0
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory: Any, eval_df: pd.DataFrame, good_model: Any,
          weak_model: Any) -> dict[str, Path]:  # fmt: skip
    import skops.io as sio

    d = tmp_path_factory.mktemp("report")
    out = {"policy": d / "gate.yaml", "data": d / "eval.parquet",
           "cand": d / "cand.skops", "champ": d / "champ.skops"}  # fmt: skip
    out["policy"].write_text(POLICY)
    eval_df.to_parquet(out["data"])
    sio.dump(good_model, out["cand"])
    sio.dump(weak_model, out["champ"])
    return out


@pytest.fixture(scope="module")
def report(files: dict[str, Path]) -> GateReport:
    return run(files["policy"], candidate=files["cand"], champion=files["champ"],
               data=files["data"])  # fmt: skip


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_verdict_and_statuses(report: GateReport) -> None:
    assert [c.status for c in report.checks] == ["pass", "warn", "pass"]
    assert report.verdict == "warn"
    assert report.passed
    assert report.counts == {"pass": 2, "warn": 1, "fail": 0, "not_evaluated": 0}


def test_digests_are_file_sha256_and_stable(report: GateReport, files: dict[str, Path],
                                            eval_df: pd.DataFrame, good_model: Any) -> None:  # fmt: skip
    assert report.digests["policy"] == _sha(files["policy"])
    assert report.digests["data"] == _sha(files["data"])
    assert report.digests["candidate"] == _sha(files["cand"])
    assert report.digests["champion"] == _sha(files["champ"])
    assert report.digests["train_data"] is None
    again = run(files["policy"], candidate=files["cand"], champion=files["champ"],
                data=files["data"])  # fmt: skip
    assert again.digests == report.digests
    # in-memory inputs: digests of the Arrow IPC bytes and of the pickled estimator
    a = run(files["policy"], candidate=good_model, champion=good_model, data=eval_df)
    b = run(files["policy"], candidate=good_model, champion=good_model, data=eval_df.copy())
    assert a.digests == b.digests
    changed = eval_df.copy()
    changed["age"] = changed["age"] + (changed.index == 0)
    c = run(files["policy"], candidate=good_model, champion=good_model, data=changed)
    assert c.digests["data"] != a.digests["data"]
    assert c.digests["candidate"] == a.digests["candidate"]


def test_to_dict_is_json(report: GateReport) -> None:
    d = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert d["verdict"] == "warn"
    assert d["checks"][0]["kind"] == "metric"
    assert set(d["checks"][0]) >= {"observed", "threshold", "ci_low", "ci_high", "status",
                                   "reason", "severity"}  # fmt: skip
    assert d["digests"]["policy"] == report.digests["policy"]


def test_markdown_marker_and_content(report: GateReport) -> None:
    md = report.to_markdown()
    assert md.splitlines()[0] == MARKDOWN_MARKER
    assert "driftline gate: WARN" in md.splitlines()[1]
    assert str(report.digests["data"]) in md
    assert md.count("\n| ") >= 4


def _big_report(n: int) -> GateReport:
    checks = tuple(
        CheckResult(
            f"check {i} " + "x" * 80,
            "metric",
            "fail",
            "fail" if i % 7 == 0 else "pass",
            0.5,
            0.6,
            ">=",
            0.4,
            0.6,
            "reason | with pipe " + "y" * 400,
        )
        for i in range(n)
    )
    return GateReport("big", "fail", checks, {"policy": "0" * 64}, {"n_rows": 10}, 0.95,
                      "2026-01-01T00:00:00Z", 1.0, "0")  # fmt: skip


def test_markdown_stays_under_github_limit() -> None:
    md = _big_report(3000).to_markdown()
    assert len(md) < MAX_MARKDOWN_CHARS
    assert md.startswith(MARKDOWN_MARKER + "\n")
    assert "more checks not shown" in md
    # failures are listed before passes
    first_rows = [ln for ln in md.splitlines() if ln.startswith("| ❌") or ln.startswith("| ✅")]
    assert first_rows[0].startswith("| ❌")
    assert "\\|" in md  # pipes in reasons are escaped


def test_junit_parses(report: GateReport) -> None:
    root = ET.fromstring(_big_report(20).to_junit())
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == 20
    failures = [c for c in cases if c.find("failure") is not None]
    assert len(failures) == 3 == int(suite.get("failures", "-1"))
    root2 = ET.fromstring(report.to_junit())
    cases2 = root2.findall("./testsuite/testcase")
    assert [c.find("failure") is None for c in cases2] == [True, True, True]
    warn = cases2[1].find("system-out")
    assert warn is not None
    assert (warn.text or "").startswith("WARNING:")
    props = {p.get("name"): p.get("value") for p in root2.iter("property")}
    assert props["sha256.policy"] == report.digests["policy"]


def test_html_and_summary(report: GateReport, tmp_path: Path) -> None:
    path = report.to_html(tmp_path / "gate.html")
    html = path.read_text()
    assert "<h2>Checks</h2>" in html
    assert "roc_auc &gt;= 0.7" in html
    text = report.summary()
    assert text.splitlines()[0] == report.headline()
    assert "WARN" in text


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(0, 400),
    reason_len=st.integers(0, 2000),
    max_chars=st.integers(2000, 65_000),
)
def test_markdown_never_exceeds_its_budget(n: int, reason_len: int, max_chars: int) -> None:
    checks = tuple(
        CheckResult(f"c{i}", "metric", "fail", "pass", 1.0, 0.5, ">=", None, None, "r" * reason_len)
        for i in range(n)
    )
    rep = GateReport("p", "pass", checks, {"policy": "0" * 64}, {"n_rows": 1}, 0.95, "t", 0.0, "0")
    md = rep.to_markdown(max_chars=max_chars)
    assert len(md) <= max_chars
    assert md.startswith(MARKDOWN_MARKER)


def test_markdown_budget_is_validated() -> None:
    with pytest.raises(ParameterError, match="max_chars"):
        _big_report(1).to_markdown(max_chars=100)


def test_polars_and_dict_data_give_the_same_verdict(
    files: dict[str, Path], eval_df: pd.DataFrame, good_model: Any
) -> None:
    pl = pytest.importorskip("polars")
    base = run(files["policy"], candidate=good_model, champion=good_model, data=eval_df)
    via_polars = run(files["policy"], candidate=good_model, champion=good_model,
                     data=pl.from_pandas(eval_df))  # fmt: skip
    as_dict = {c: eval_df[c].to_numpy() for c in eval_df.columns}
    via_dict = run(files["policy"], candidate=good_model, champion=good_model, data=as_dict)
    for other in (via_polars, via_dict):
        assert [c.observed for c in other.checks] == pytest.approx(
            [c.observed for c in base.checks], abs=1e-12
        )
        assert other.digests["data"] is not None
