"""Benchmark: reading CSV and Parquet files with ``driftline.tabular``, against Arrow and pandas.

Data: the standard monitoring data set (BENCHMARKS.md), reference frame, all 28 columns
(20 float, 5 string, 3 target/score columns), written once per size as CSV (pandas
``to_csv``) and Parquet. Every measurement runs in a fresh process (median of
``--repeats`` runs) and times only the read:

- ``read_table csv`` / ``read_table parquet``: :func:`driftline.tabular.read_table` (CSV:
  sniffed, every cell read as text, typed by the kind rule, empty cells missing);
- ``profile csv``: :func:`driftline.profile` streaming the CSV file;
- ``arrow read_csv``: ``pyarrow.csv.read_csv`` with its defaults (typed by Arrow's own
  inference; no null handling for strings) — the floor for a typed CSV read;
- ``pandas read_csv``: ``pandas.read_csv`` with its defaults;
- with ``--before SRC`` (a ``src`` folder of an older driftline), the same two driftline
  calls as that version had them (``profiles._input.to_typed_table`` and ``profile``).

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_read --sizes 100000 1000000 --repeats 3

Results are printed and written to ``benchmarks/results/bench_read.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks._common import machine, median, run_fresh, write_results

_WORKER = """
import json, sys, time
import pandas  # loaded in any real use (Arrow imports it too): not timed
what, path = sys.argv[1], sys.argv[2]
if what == "read_table":
    from driftline.tabular import read_table as fn
elif what == "profile":
    from driftline.profiles import profile as fn
elif what == "before_read":
    from driftline.profiles._input import to_typed_table as fn
elif what == "arrow":
    import pyarrow.csv as pc
    fn = pc.read_csv
else:
    import pandas as pd
    fn = pd.read_csv
t0 = time.perf_counter()
out = fn(path)
print(json.dumps({"seconds": time.perf_counter() - t0}))
"""

_CASES = (
    ("read_table csv", "read_table", "csv"),
    ("read_table parquet", "read_table", "parquet"),
    ("profile csv", "profile", "csv"),
    ("arrow read_csv", "arrow", "csv"),
    ("pandas read_csv", "pandas", "csv"),
)
_BEFORE = (
    ("before: to_typed_table csv", "before_read", "csv"),
    ("before: profile csv", "profile", "csv"),
)


def _time(what: str, path: Path, repeats: int, src: str | None) -> float:
    env_src = os.environ.get("PYTHONPATH")
    if src is not None:
        os.environ["PYTHONPATH"] = src
    try:
        runs = [run_fresh(["-c", _WORKER, what, str(path)])["seconds"] for _ in range(repeats)]
    finally:
        if src is not None:
            if env_src is None:
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = env_src
    return median(runs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--before", help="src folder of an older driftline to compare with")
    args = parser.parse_args(argv)

    from driftline.testing import make_monitoring_data

    results: dict[str, Any] = {"machine": machine(), "sizes": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            frame, _ = make_monitoring_data(n, seed=0)
            paths = {"csv": Path(tmp) / f"{n}.csv", "parquet": Path(tmp) / f"{n}.parquet"}
            frame.to_csv(paths["csv"], index=False)
            frame.to_parquet(paths["parquet"], index=False)
            cases = list(_CASES) + (list(_BEFORE) if args.before else [])
            timings: dict[str, float] = {}
            for label, what, fmt in cases:
                src = args.before if label.startswith("before") else None
                timings[label] = _time(what, paths[fmt], args.repeats, src)
            size_mb = paths["csv"].stat().st_size / 1e6
            print(
                f"\n{n:,} rows x {frame.shape[1]} columns (CSV {size_mb:.0f} MB)", file=sys.stderr
            )
            floor = timings["arrow read_csv"]
            for label, seconds in timings.items():
                print(
                    f"  {label:<28} {seconds:7.3f} s   {seconds / floor:5.2f}x arrow",
                    file=sys.stderr,
                )
            results["sizes"][str(n)] = {"csv_mb": size_mb, "seconds": timings}
    write_results("bench_read", results)


if __name__ == "__main__":
    main()
