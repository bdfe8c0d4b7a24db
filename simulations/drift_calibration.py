"""False-alarm rate and power of ``DriftDetector`` with its default settings.

Every window is an independent (reference, current) pair of the standard monitoring
data set's 25 feature columns (20 numeric, 5 categorical), so the estimates are
unconditional. Run::

    python -m simulations.drift_calibration            # everything (about 20 min here)
    python -m simulations.drift_calibration --quick    # a small smoke version
    python -m simulations.drift_calibration --multivariate --sizes 1000,3000  # multivariate only
    python -m simulations.drift_calibration --sizes 100000 --windows 20 --power-size 100000

Printed: the dataset-level false-alarm rate (share of stationary windows in which any
column was flagged, with a 95% Wilson interval) per sample size, and the power
(share of windows in which the changed column was flagged) per change at n = 10,000.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from driftline.drift import DomainClassifierDetector, PCAReconstructionDetector
from driftline.drift._detector import DriftDetector
from driftline.testing._datasets import (
    _CARDINALITIES,
    _category_codes,
    _category_names,
    _numeric_block,
)

Change = Callable[[dict[str, np.ndarray], np.random.Generator, int], None]


def _table(rng: np.random.Generator, n: int, change: Change | None = None) -> pa.Table:
    cols: dict[str, np.ndarray] = _numeric_block(rng, n)
    for j, card in enumerate(_CARDINALITIES):
        cols[f"cat_{j:02d}"] = _category_codes(rng, n, card)
    if change is not None:
        change(cols, rng, n)
    arrays = {
        name: pa.DictionaryArray.from_arrays(values, pa.array(_category_names(card).tolist()))
        if name.startswith("cat_")
        else pa.array(values)
        for name, values in cols.items()
        for card in [_CARDINALITIES[int(name[-1])] if name.startswith("cat_") else 0]
    }
    return pa.table(arrays)


def _mean_shift(cols: dict[str, np.ndarray], rng: np.random.Generator, n: int) -> None:
    cols["num_00"] = cols["num_00"] + 0.2 * 1.0  # num_00 ~ N(0, 1): +0.2 sd


def _scale(cols: dict[str, np.ndarray], rng: np.random.Generator, n: int) -> None:
    cols["num_10"] = 0.5 + (cols["num_10"] - 0.5) * 1.3  # uniform(0, 1) scaled x1.3


def _categories(cols: dict[str, np.ndarray], rng: np.random.Generator, n: int) -> None:
    cols["cat_01"] = _category_codes(rng, n, 10, reverse_top=3)  # top-3 shares reversed


CHANGES: dict[str, tuple[str, Change]] = {
    "mean +0.2 sd (normal)": ("num_00", _mean_shift),
    "scale x1.3 (uniform)": ("num_10", _scale),
    "top-3 category shares reversed (10 categories)": ("cat_01", _categories),
}


@dataclass(frozen=True)
class Rate:
    hits: int
    total: int

    def wilson(self, z: float = 1.96) -> tuple[float, float]:
        p, n = self.hits / self.total, self.total
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return max(0.0, centre - half), min(1.0, centre + half)

    def __str__(self) -> str:
        lo, hi = self.wilson()
        return f"{self.hits}/{self.total} = {self.hits / self.total:.3f} [{lo:.3f}, {hi:.3f}]"


def false_alarms(n: int, windows: int, seed: int) -> tuple[Rate, Rate]:
    """Dataset-level and per-column false-alarm rates over independent stationary windows."""
    rng = np.random.default_rng(seed)
    dataset = columns = tested = 0
    for _ in range(windows):
        report = DriftDetector().fit(_table(rng, n)).compare(_table(rng, n))
        flagged = len(report.drifted_columns)
        dataset += flagged > 0
        columns += flagged
        tested += len(report.columns)
    return Rate(dataset, windows), Rate(columns, tested)


def power(n: int, windows: int, seed: int, column: str, change: Change) -> tuple[Rate, Rate]:
    """Share of windows flagging the changed column, and false flags of the others."""
    rng = np.random.default_rng(seed)
    hits = others = tested = 0
    for _ in range(windows):
        report = DriftDetector().fit(_table(rng, n)).compare(_table(rng, n, change))
        hits += column in report.drifted_columns
        others += len([c for c in report.drifted_columns if c != column])
        tested += len(report.columns) - 1
    return Rate(hits, windows), Rate(others, tested)


def multivariate_false_alarms(n: int, windows: int, seed: int) -> dict[str, Rate]:
    """False-alarm rates of the multivariate detectors on stationary windows."""
    rng = np.random.default_rng(seed)
    hits = {"domain_classifier": 0, "pca": 0}
    for i in range(windows):
        ref, cur = _table(rng, n), _table(rng, n)
        clf = DomainClassifierDetector(random_state=i).fit(ref).compare(cur)
        pca = PCAReconstructionDetector(random_state=i).fit(ref).compare(cur)
        hits["domain_classifier"] += clf.drifted
        hits["pca"] += pca.drifted
    return {name: Rate(h, windows) for name, h in hits.items()}


def _multivariate_main(windows: int, sizes: list[int]) -> None:
    print("## Multivariate detectors on stationary data (alpha = 0.05)\n")
    print("| n per side | windows | domain classifier false alarms | PCA false alarms | s |")
    print("|---:|---:|---|---|---:|")
    for i, n in enumerate(sizes):
        started = time.perf_counter()
        rates = multivariate_false_alarms(n, windows, seed=3_000 + i)
        elapsed = time.perf_counter() - started
        print(
            f"| {n:,} | {windows} | {rates['domain_classifier']} | {rates['pca']} | {elapsed:.0f} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small smoke version")
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--multivariate", action="store_true", help="multivariate detectors only")
    parser.add_argument("--windows", type=int, default=None, help="windows per size")
    parser.add_argument(
        "--power-size", type=int, default=10_000, help="rows per side of the power windows"
    )
    args = parser.parse_args()
    windows = args.windows or (20 if args.quick else 200)
    if args.multivariate:
        _multivariate_main(windows, [int(s) for s in args.sizes.split(",")])
        return
    sizes = [1_000, 10_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    print("## False alarms on stationary data (alpha = 0.05, FDR across 25 columns)\n")
    print(
        "| n per side | windows | dataset false-alarm rate [95% CI] | per-column rate [95% CI] | s |"
    )
    print("|---:|---:|---|---|---:|")
    for i, n in enumerate(sizes):
        started = time.perf_counter()
        dataset, column = false_alarms(n, windows, seed=1_000 + i)
        elapsed = time.perf_counter() - started
        print(f"| {n:,} | {windows} | {dataset} | {column} | {elapsed:.0f} |", flush=True)
    print(f"\n## Power at n = {args.power_size:,} per side\n")
    print("| change | windows | power [95% CI] | other columns flagged [95% CI] |")
    print("|---|---:|---|---|")
    for j, (label, (column, change)) in enumerate(CHANGES.items()):
        hit, other = power(args.power_size, windows, seed=2_000 + j, column=column, change=change)
        print(f"| {label} | {windows} | {hit} | {other} |", flush=True)


if __name__ == "__main__":
    main()
