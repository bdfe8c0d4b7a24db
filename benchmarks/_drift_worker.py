"""One drift measurement in a fresh process; runs in driftline's or a peer's venv.

Usage: python benchmarks/_drift_worker.py TOOL REFERENCE.parquet CURRENT.parquet [SRC]
(SRC: import driftline from this source directory instead, e.g. an older checkout).
Prints one JSON line: seconds of compute (data already loaded), peak RSS of the whole
process, the input frames' size, and the columns the tool flagged.
Only pandas, numpy and the tool itself are imported, so it runs in any venv.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

import pandas as pd

FEATURES = [f"num_{i:02d}" for i in range(20)] + [f"cat_{j:02d}" for j in range(5)]
CATEGORICAL = [c for c in FEATURES if c.startswith("cat_")]
NUMERIC = [c for c in FEATURES if c.startswith("num_")]


def _driftline(ref: pd.DataFrame, cur: pd.DataFrame) -> dict[str, object]:
    from driftline.drift import DriftDetector

    t0 = time.perf_counter()
    detector = DriftDetector().fit(ref)
    t1 = time.perf_counter()
    report = detector.compare(cur)
    t2 = time.perf_counter()
    return {"seconds": t2 - t0, "compare_seconds": t2 - t1, "flagged": report.drifted_columns}


def _numpy_sort(ref: pd.DataFrame, cur: pd.DataFrame) -> dict[str, object]:
    import numpy as np

    t0 = time.perf_counter()
    for name in NUMERIC:
        np.sort(cur[name].to_numpy())
    return {"seconds": time.perf_counter() - t0, "flagged": []}


def _scipy(ref: pd.DataFrame, cur: pd.DataFrame) -> dict[str, object]:
    from scipy import stats

    t0 = time.perf_counter()
    p_values = {}
    for name in NUMERIC:
        p_values[name] = stats.ks_2samp(ref[name], cur[name]).pvalue
    for name in CATEGORICAL:
        table = pd.concat([ref[name].value_counts(), cur[name].value_counts()], axis=1).fillna(0)
        p_values[name] = stats.chi2_contingency(table.to_numpy().T, correction=False).pvalue
    elapsed = time.perf_counter() - t0
    flagged = [n for n, p in p_values.items() if p < 0.05 / len(p_values)]
    return {"seconds": elapsed, "flagged": sorted(flagged)}


def _evidently(ref: pd.DataFrame, cur: pd.DataFrame) -> dict[str, object]:
    from evidently import Report
    from evidently.presets import DataDriftPreset

    t0 = time.perf_counter()
    snapshot = Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)
    result = snapshot.dict()
    elapsed = time.perf_counter() - t0
    flagged = []
    for metric in result["metrics"]:
        config = metric.get("config", {})
        if not config.get("type", "").endswith("ValueDrift"):
            continue
        value, threshold = float(metric["value"]), float(config["threshold"])
        is_p_value = "p_value" in config["method"].lower()
        if (value < threshold) if is_p_value else (value >= threshold):
            flagged.append(config["column"])
    return {"seconds": elapsed, "flagged": sorted(flagged)}


def _nannyml(ref: pd.DataFrame, cur: pd.DataFrame) -> dict[str, object]:
    import nannyml as nml

    t0 = time.perf_counter()
    calc = nml.UnivariateDriftCalculator(
        column_names=FEATURES,
        treat_as_categorical=CATEGORICAL,
        continuous_methods=["kolmogorov_smirnov", "jensen_shannon"],
        categorical_methods=["chi2", "jensen_shannon"],
        chunk_number=10,
    )
    calc.fit(ref)
    results = calc.calculate(cur).filter(period="analysis").to_df()
    elapsed = time.perf_counter() - t0
    flagged = set()
    for column in FEATURES:
        for method in ("kolmogorov_smirnov", "chi2"):
            key = (column, method, "alert")
            if key in results.columns and bool(results[key].any()):
                flagged.add(column)
    return {"seconds": elapsed, "flagged": sorted(flagged)}


TOOLS = {
    "driftline": _driftline,
    "numpy_sort": _numpy_sort,
    "scipy": _scipy,
    "evidently": _evidently,
    "nannyml": _nannyml,
}


def _reset_peak() -> None:
    """Reset the kernel's peak-RSS counter (VmHWM) so the compute phase is measured alone."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def _vm_hwm() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _vm_rss() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    tool, ref_path, cur_path = sys.argv[1:4]
    if len(sys.argv) > 4:
        sys.path.insert(0, sys.argv[4])
    ref = pd.read_parquet(ref_path, columns=FEATURES)
    cur = pd.read_parquet(cur_path, columns=FEATURES)
    frames = int(ref.memory_usage(deep=True).sum() + cur.memory_usage(deep=True).sum())
    rss_loaded = _vm_rss()
    _reset_peak()
    out = TOOLS[tool](ref, cur)
    out.update(
        tool=tool,
        peak_rss=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        compute_peak_rss=_vm_hwm(),
        rss_after_load=rss_loaded,
        frames_bytes=frames,
        pid=os.getpid(),
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
