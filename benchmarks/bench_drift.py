"""Drift detection on the standard data set: driftline vs Evidently, NannyML and scipy.

    python -m benchmarks.bench_drift                      # 100k and 1M rows, 3 runs each
    python -m benchmarks.bench_drift --sizes 100000 --repeats 1 --peers scipy
    python -m benchmarks.bench_drift --sizes 1000000 --peers "" --baseline-src /tmp/old/src

``--baseline-src`` also measures another checkout of driftline (its ``src`` directory, e.g.
``git archive <rev> src | tar -x -C /tmp/old``) as the tool ``driftline_baseline``; its
runs alternate with the current code's, so machine load falls on both alike.

Each measurement is a fresh process that loads the two Parquet files first and then
times only the computation; peak RSS is the process's. Peers run in their own venvs
under .bench/ (see BENCHMARKS.md); a missing peer is reported and skipped.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._common import ROOT, machine, median, run_fresh, write_results
from driftline.testing import DRIFTED_COLUMNS, make_monitoring_data

PEER_PYTHON = {
    "evidently": ROOT / ".bench" / "venv-evidently" / "bin" / "python",
    "nannyml": ROOT / ".bench" / "venv-nannyml" / "bin" / "python",
}
WORKER = str(Path(__file__).resolve().parent / "_drift_worker.py")


def _python(tool: str) -> str | None:
    if tool == "driftline_baseline":
        return sys.executable
    if tool in PEER_PYTHON:
        path = PEER_PYTHON[tool]
        return str(path) if path.exists() else None
    return sys.executable


def _run(tool: str, ref: Path, cur: Path, python: str, source: str | None) -> dict[str, Any]:
    worker_tool = "driftline" if tool == "driftline_baseline" else tool
    argv = [WORKER, worker_tool, str(ref), str(cur), *([source] if source else [])]
    return run_fresh(argv, python=python)


def measure(
    tool: str, ref: Path, cur: Path, repeats: int, source: str | None = None
) -> dict[str, Any] | None:
    python = _python(tool)
    if python is None:
        print(f"  {tool}: not installed (see BENCHMARKS.md); skipped", flush=True)
        return None
    runs = [_run(tool, ref, cur, python, source) for _ in range(repeats)]
    return summarize(runs)


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of a tool's runs."""
    out: dict[str, Any] = {
        "seconds": median([r["seconds"] for r in runs]),
        "peak_rss_mb": median([r["peak_rss"] for r in runs]) / 1e6,
        "compute_peak_rss_mb": median([r["compute_peak_rss"] for r in runs]) / 1e6,
        "rss_after_load_mb": median([r["rss_after_load"] for r in runs]) / 1e6,
        "frames_mb": runs[0]["frames_bytes"] / 1e6,
        "flagged": runs[0]["flagged"],
        "runs": [r["seconds"] for r in runs],
    }
    if "compare_seconds" in runs[0]:
        out["compare_seconds"] = median([r["compare_seconds"] for r in runs])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--peers", default="numpy_sort,scipy,nannyml,evidently")
    parser.add_argument(
        "--baseline-src", default=None, help="another driftline checkout's src/ to compare"
    )
    args = parser.parse_args()
    tools = ["driftline", *[p for p in args.peers.split(",") if p]]
    results: dict[str, Any] = {"machine": machine(), "sizes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            ref, cur = make_monitoring_data(n)
            ref_path, cur_path = Path(tmp) / f"ref_{n}.parquet", Path(tmp) / f"cur_{n}.parquet"
            ref.to_parquet(ref_path)
            cur.to_parquet(cur_path)
            del ref, cur
            print(f"\n## n = {n:,} rows per side, 25 feature columns", flush=True)
            size: dict[str, Any] = {}
            if args.baseline_src:  # alternate the two versions' runs
                paired: dict[str, list[dict[str, Any]]] = {
                    "driftline": [],
                    "driftline_baseline": [],
                }
                for _ in range(args.repeats):
                    for tool, source in (
                        ("driftline", None),
                        ("driftline_baseline", args.baseline_src),
                    ):
                        paired[tool].append(_run(tool, ref_path, cur_path, sys.executable, source))
                size = {tool: summarize(runs) for tool, runs in paired.items()}
            for tool in tools:
                if tool in size:
                    continue
                measured = measure(tool, ref_path, cur_path, args.repeats)
                if measured is not None:
                    size[tool] = measured
            base = size["driftline"]
            print(
                "| tool | median s | ratio tool / driftline | RSS after loading MB | "
                "peak RSS while computing MB | columns flagged |"
            )
            print("|---|---:|---:|---:|---:|---|")
            for tool, m in size.items():
                ratio = m["seconds"] / base["seconds"]
                right = sorted(m["flagged"]) == sorted(DRIFTED_COLUMNS)
                flagged = f"{len(m['flagged'])}{' (exactly the 5 injected)' if right else ''}"
                print(
                    f"| {tool} | {m['seconds']:.3f} | {ratio:.1f}x | {m['rss_after_load_mb']:.0f} | "
                    f"{m['compute_peak_rss_mb']:.0f} | {flagged} |"
                )
            print(
                f"driftline compare alone: {base['compare_seconds']:.3f} s; "
                f"input frames {base['frames_mb']:.0f} MB",
                flush=True,
            )
            if "numpy_sort" in size:
                print(
                    "compare / numpy sort of the current numeric columns: "
                    f"{base['compare_seconds'] / size['numpy_sort']['seconds']:.2f}x"
                )
            if "driftline_baseline" in size:
                old = size["driftline_baseline"]
                print(
                    f"driftline / baseline: fit+compare {base['seconds'] / old['seconds']:.2f}x "
                    f"({base['seconds']:.3f} s vs {old['seconds']:.3f} s), compare alone "
                    f"{base['compare_seconds'] / old['compare_seconds']:.2f}x; runs "
                    f"{[round(x, 3) for x in base['runs']]} vs {[round(x, 3) for x in old['runs']]}"
                )
            results["sizes"][str(n)] = size
    print(f"\nwritten: {write_results('drift', results)}")


if __name__ == "__main__":
    main()
