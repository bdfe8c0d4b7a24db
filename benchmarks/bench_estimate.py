"""CBPE fit + estimate: driftline vs NannyML 0.13, side by side in one run.

Data: ``make_monitoring_data(N, seed=0, drift=True)`` (BENCHMARKS.md), columns
``proba`` / ``target`` / ``y_pred``; reference = the N-row reference frame (with
labels), current = the N-row drifted frame (labels withheld), 10 chunks by count,
metrics ROC AUC and F1. Each measurement runs in a fresh single-threaded process
(``benchmarks._common.run_fresh``: OMP/BLAS threads = 1) that reads the
data from Parquet (not timed), then times ``fit`` + ``estimate`` and reports its peak
RSS. The estimation error is the mean absolute difference between each tool's
per-chunk estimate and the realized metric (scikit-learn on the withheld labels), and
the peak RSS is the process's peak resident set during fit + estimate (VmHWM reset
after loading the data, so it includes the loaded frames), and the coverage is the share of chunks whose realized value lies in the tool's band
(driftline: 95% band; NannyML: value ± 3 sampling errors).

Run::

    .venv/bin/python -m benchmarks.bench_estimate                  # 1M rows, 3 runs each
    .venv/bin/python -m benchmarks.bench_estimate --rows 100000 --runs 1   # smoke run

NannyML is taken from ``.bench/venv-nannyml`` (``pip install nannyml statsmodels
'pandas<3'``); if it is missing the benchmark says so and measures driftline alone.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, roc_auc_score

from benchmarks._common import ROOT, machine, median, run_fresh, write_results

NANNYML_PYTHON = ROOT / ".bench" / "venv-nannyml" / "bin" / "python"
CHUNKS = 10

DRIFTLINE_RUNNER = """
import json, sys, time
import pandas as pd
from benchmarks._common import peak_rss_bytes, reset_peak_rss
from driftline.estimate import CBPE
ref = pd.read_parquet(sys.argv[1]); cur = pd.read_parquet(sys.argv[2])
reset_peak_rss()
t0 = time.perf_counter()
cbpe = CBPE(metrics=("roc_auc", "f1"), chunk_number=int(sys.argv[3]))
cbpe.fit(ref, y_score="proba", y_true="target", y_pred="y_pred")
result = cbpe.estimate(cur)
seconds = time.perf_counter() - t0
out = {m: [[c.metric(m).value, c.metric(m).lower, c.metric(m).upper] for c in result.chunks]
       for m in ("roc_auc", "f1")}
out["seconds"] = seconds
out["peak_rss_mb"] = peak_rss_bytes() / 2**20
print(json.dumps(out))
"""

NANNYML_RUNNER = """
import json, sys, time, warnings
from benchmarks._common import peak_rss_bytes, reset_peak_rss
warnings.filterwarnings("ignore")
import pandas as pd
import nannyml as nml
ref = pd.read_parquet(sys.argv[1]); cur = pd.read_parquet(sys.argv[2])
reset_peak_rss()
t0 = time.perf_counter()
est = nml.CBPE(y_pred_proba="proba", y_pred="y_pred", y_true="target", metrics=["roc_auc", "f1"],
               chunk_number=int(sys.argv[3]), problem_type="classification_binary")
est.fit(ref)
res = est.estimate(cur)
seconds = time.perf_counter() - t0
df = res.filter(period="analysis").to_df()
out = {m: [[float(v), float(lo), float(hi)] for v, lo, hi in zip(
          df[(m, "value")], df[(m, "lower_confidence_boundary")],
          df[(m, "upper_confidence_boundary")])] for m in ("roc_auc", "f1")}
out["seconds"] = seconds
out["peak_rss_mb"] = peak_rss_bytes() / 2**20
out["version"] = nml.__version__
print(json.dumps(out))
"""


def _run(python: Path, code: str, ref: Path, cur: Path) -> dict[str, Any]:
    """One fresh single-threaded process (benchmarks._common.run_fresh)."""
    return run_fresh(["-c", code, str(ref), str(cur), str(CHUNKS)], python=str(python))


def _realized(cur: pd.DataFrame) -> dict[str, list[float]]:
    bounds = np.linspace(0, len(cur), CHUNKS + 1).round().astype(int)
    out: dict[str, list[float]] = {"roc_auc": [], "f1": []}
    for a, b in itertools.pairwise(bounds):
        part = cur.iloc[a:b]
        out["roc_auc"].append(float(roc_auc_score(part["target"], part["proba"])))
        out["f1"].append(float(f1_score(part["target"], part["y_pred"])))
    return out


def _quality(est: dict[str, Any], realized: dict[str, list[float]]) -> dict[str, float]:
    q = {}
    for m, real in realized.items():
        rows = np.array(est[m])
        r = np.array(real)
        q[f"{m}_mae"] = float(np.mean(np.abs(rows[:, 0] - r)))
        q[f"{m}_coverage"] = float(np.mean((rows[:, 1] <= r) & (r <= rows[:, 2])))
    return q


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="CBPE: driftline vs NannyML")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    from driftline.testing import make_monitoring_data

    ref_df, cur_df = make_monitoring_data(args.rows, seed=0, drift=True)
    cols = ["proba", "target", "y_pred"]
    ref_df, cur_df = ref_df[cols], cur_df[cols]
    realized = _realized(cur_df)
    tools: dict[str, tuple[Path, str]] = {"driftline": (Path(sys.executable), DRIFTLINE_RUNNER)}
    if NANNYML_PYTHON.exists():
        tools["nannyml"] = (NANNYML_PYTHON, NANNYML_RUNNER)
    else:
        print(f"NannyML not found at {NANNYML_PYTHON}: measuring driftline alone.")
    os.environ["NML_DISABLE_USAGE_LOGGING"] = "1"  # NannyML telemetry off
    report: dict[str, Any] = {
        "rows": args.rows,
        "chunks": CHUNKS,
        "runs": args.runs,
        "machine": machine(),
        "tools": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        ref_path, cur_path = Path(tmp) / "ref.parquet", Path(tmp) / "cur.parquet"
        ref_df.to_parquet(ref_path)
        cur_df.to_parquet(cur_path)
        measured: dict[str, list[dict[str, Any]]] = {name: [] for name in tools}
        for _ in range(args.runs):  # interleave the tools so that load noise hits both
            for name, (python, code) in tools.items():
                measured[name].append(_run(python, code, ref_path, cur_path))
    for name, runs in measured.items():
        report["tools"][name] = {
            "median_seconds": median([r["seconds"] for r in runs]),
            "seconds": [r["seconds"] for r in runs],
            "peak_rss_mb": median([r["peak_rss_mb"] for r in runs]),
            "version": runs[0].get("version"),
            **_quality(runs[0], realized),
        }
    print(
        f"CBPE fit + estimate, {args.rows:,} + {args.rows:,} rows, {CHUNKS} chunks, "
        f"roc_auc + f1, median of {args.runs} fresh-process runs\n"
    )
    print(
        "| tool | median time (s) | peak RSS (MB) | MAE roc_auc | MAE f1 | band coverage roc_auc / f1 |"
    )
    print("|---|---|---|---|---|---|")
    for name, row in report["tools"].items():
        label = name if not row["version"] else f"{name} {row['version']}"
        print(
            f"| {label} | {row['median_seconds']:.3f} | {row['peak_rss_mb']:.0f} | "
            f"{row['roc_auc_mae']:.4f} | {row['f1_mae']:.4f} | "
            f"{row['roc_auc_coverage']:.0%} / {row['f1_coverage']:.0%} |"
        )
    if "nannyml" in report["tools"]:
        ratio = (
            report["tools"]["nannyml"]["median_seconds"]
            / report["tools"]["driftline"]["median_seconds"]
        )
        report["speedup_vs_nannyml"] = ratio
        print(f"\nspeed-up (NannyML / driftline): {ratio:.1f}x")
    out = write_results(f"bench_estimate_{args.rows}", report)
    print(f"written {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
