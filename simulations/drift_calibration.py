"""False-alarm rate and power of ``DriftDetector`` with its default settings.

Every window is an independent (reference, current) pair of the standard monitoring
data set's 25 feature columns (20 numeric, 5 categorical), so the estimates are
unconditional. Run::

    python -m simulations.drift_calibration            # everything (about 20 min here)
    python -m simulations.drift_calibration --quick    # a small smoke version
    python -m simulations.drift_calibration --multivariate --sizes 1000,3000  # multivariate only
    python -m simulations.drift_calibration --sizes 100000 --windows 20 --power-size 100000
    python -m simulations.drift_calibration --scenario messy --sizes 1000,10000  # + 10 columns

Printed: the dataset-level false-alarm rate (share of stationary windows in which any
column was flagged, with a 95% Wilson interval) per sample size, and the power
(share of windows in which the changed column was flagged) per change at n = 10,000.

``--scenario messy`` adds ten columns of the kinds real tables have, identically
distributed on both sides: numbers with 1 % and 20 % of values missing (completely at
random), a categorical column with 5 % missing, a Poisson count, a 0/1 flag, a 1-5
rating, an integer code with 40 values, a datetime, a categorical column with one
10 % category and a constant (2015). It exercises the missing-rate test, the tie-aware
KS p-value, the dates and the category PSI under the null; its power table adds the changes those
catch (missing rate 0 % -> 10 %, a 10 % category falling to 1 %, a constant column that
moves, a small shift of a discrete count).
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


SCENARIO = "standard"
_INCOME = np.array(["<20K", "20-40K", "40-60K", "60K+"], dtype=object)
_DAY_US = 86_400 * 10**6


def _messy(cols: dict[str, np.ndarray], rng: np.random.Generator, n: int) -> None:
    """Columns of the kinds real tables have (stationary unless a change edits them)."""
    for name, rate in (("miss_01", 0.01), ("miss_20", 0.20)):
        cols[name] = np.where(rng.random(n) < rate, np.nan, rng.normal(size=n))
    cols["miss_cat"] = _category_codes(rng, n, 10)
    cols["miss_cat_mask"] = rng.random(n) < 0.05
    cols["disc_poisson"] = rng.poisson(2.0, n).astype(np.float64)
    cols["disc_flag"] = (rng.random(n) < 0.3).astype(np.int64)
    cols["disc_rating"] = rng.integers(1, 6, n)
    cols["disc_code"] = rng.integers(0, 40, n)
    cols["when"] = (1_704_067_200 * 10**6 + rng.integers(0, 90 * _DAY_US, n)).astype(
        "datetime64[us]"
    )
    cols["income"] = rng.choice(4, n, p=[0.30, 0.35, 0.25, 0.10]).astype(np.int32)
    cols["year"] = np.full(n, 2015)


def _arrow(name: str, values: np.ndarray, cols: dict[str, np.ndarray]) -> pa.Array:
    if name.startswith("cat_"):
        names = _category_names(_CARDINALITIES[int(name[-1])]).tolist()
        return pa.DictionaryArray.from_arrays(values, pa.array(names))
    if name == "miss_cat":
        indices = pa.array(values, mask=cols["miss_cat_mask"])
        return pa.DictionaryArray.from_arrays(indices, pa.array(_category_names(10).tolist()))
    if name == "income":
        return pa.DictionaryArray.from_arrays(values, pa.array(_INCOME.tolist()))
    return pa.array(values)


def _table(rng: np.random.Generator, n: int, change: Change | None = None) -> pa.Table:
    cols: dict[str, np.ndarray] = _numeric_block(rng, n)
    for j, card in enumerate(_CARDINALITIES):
        cols[f"cat_{j:02d}"] = _category_codes(rng, n, card)
    if SCENARIO == "messy":
        _messy(cols, rng, n)
    if change is not None:
        change(cols, rng, n)
    return pa.table(
        {
            name: _arrow(name, values, cols)
            for name, values in cols.items()
            if name != "miss_cat_mask"
        }
    )


def _mean_shift(cols: dict[str, np.ndarray], rng: np.random.Generator, n: int) -> None:
    cols["num_00"] = cols["num_00"] + 0.2 * 1.0  # num_00 ~ N(0, 1): +0.2 sd


def _scale(cols: dict[str, np.ndarray], rng: np.random.Generator, n: int) -> None:
    cols["num_10"] = 0.5 + (cols["num_10"] - 0.5) * 1.3  # uniform(0, 1) scaled x1.3


def _categories(cols: dict[str, np.ndarray], rng: np.random.Generator, n: int) -> None:
    cols["cat_01"] = _category_codes(rng, n, 10, reverse_top=3)  # top-3 shares reversed


def _missing(cols: dict[str, np.ndarray], rng: np.random.Generator, n: int) -> None:
    cols["num_01"] = np.where(rng.random(n) < 0.10, np.nan, cols["num_01"])  # 0 % -> 10 %


def _share_fall(cols: dict[str, np.ndarray], rng: np.random.Generator, n: int) -> None:
    cols["income"] = rng.choice(4, n, p=[0.33, 0.38, 0.28, 0.01]).astype(np.int32)


def _constant_moves(cols: dict[str, np.ndarray], rng: np.random.Generator, n: int) -> None:
    cols["year"] = rng.integers(2016, 2019, n)


def _count_shift(cols: dict[str, np.ndarray], rng: np.random.Generator, n: int) -> None:
    cols["disc_poisson"] = rng.poisson(2.3, n).astype(np.float64)


CHANGES: dict[str, tuple[str, Change]] = {
    "mean +0.2 sd (normal)": ("num_00", _mean_shift),
    "scale x1.3 (uniform)": ("num_10", _scale),
    "top-3 category shares reversed (10 categories)": ("cat_01", _categories),
}
MESSY_CHANGES: dict[str, tuple[str, Change]] = {
    "missing rate 0% -> 10% (normal)": ("num_01", _missing),
    "category share 10% -> 1% (4 categories)": ("income", _share_fall),
    "constant 2015 -> 2016-2018": ("year", _constant_moves),
    "Poisson(2) -> Poisson(2.3) count": ("disc_poisson", _count_shift),
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
    parser.add_argument("--scenario", choices=("standard", "messy"), default="standard")
    parser.add_argument("--power", default="yes", choices=("yes", "no"), help="power table")
    parser.add_argument("--windows", type=int, default=None, help="windows per size")
    parser.add_argument(
        "--power-size", type=int, default=10_000, help="rows per side of the power windows"
    )
    args = parser.parse_args()
    global SCENARIO
    SCENARIO = args.scenario
    windows = args.windows or (20 if args.quick else 200)
    if args.multivariate:
        _multivariate_main(windows, [int(s) for s in args.sizes.split(",")])
        return
    sizes = [1_000, 10_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    n_cols = 25 if SCENARIO == "standard" else 35
    print(f"## False alarms on stationary data (alpha = 0.05, FDR across {n_cols} columns)\n")
    print(
        "| n per side | windows | dataset false-alarm rate [95% CI] | per-column rate [95% CI] | s |"
    )
    print("|---:|---:|---|---|---:|")
    for i, n in enumerate(sizes):
        started = time.perf_counter()
        dataset, column = false_alarms(n, windows, seed=1_000 + i)
        elapsed = time.perf_counter() - started
        print(f"| {n:,} | {windows} | {dataset} | {column} | {elapsed:.0f} |", flush=True)
    if args.power == "no":
        return
    print(f"\n## Power at n = {args.power_size:,} per side\n")
    print("| change | windows | power [95% CI] | other columns flagged [95% CI] |")
    print("|---|---:|---|---|")
    changes = {**CHANGES, **(MESSY_CHANGES if SCENARIO == "messy" else {})}
    for j, (label, (column, change)) in enumerate(changes.items()):
        hit, other = power(args.power_size, windows, seed=2_000 + j, column=column, change=change)
        print(f"| {label} | {windows} | {hit} | {other} |", flush=True)


if __name__ == "__main__":
    main()
