"""Empirical coverage of driftline.metrics' nominal 95% confidence intervals.

Each replicate draws a fresh sample from a model whose population metrics are known
(closed form, or a 4-million-row Monte Carlo where no closed form exists), computes the
interval and records whether it contains the population value. With R replicates the
Monte Carlo standard error of a coverage near 0.95 is about sqrt(0.95 * 0.05 / R).

Data: y ~ Bernoulli(0.3); latent score ~ N(+d/2, 1) for positives, N(-d/2, 1) for
negatives (d = 1.5), probability = sigmoid(latent), prediction = probability >= 0.5.
A second model ("b", latent noise sd 1.4) is scored on the same rows for the paired
comparisons. Regression: errors ~ Student t with 5 degrees of freedom.

    .venv/bin/python -m simulations.metrics_ci               # coverage table (R = 1000)
    .venv/bin/python -m simulations.metrics_ci --timing      # 1M-row timings
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np
from scipy import special, stats

from driftline.metrics import (
    MetricComparison,
    MetricResult,
    accuracy,
    average_precision,
    compare_metric,
    f1,
    log_loss,
    mae,
    rmse,
    roc_auc,
)

PI, D, SD_B, NU = 0.3, 1.5, 1.4, 5
SIZES = (200, 1_000, 10_000)


def _sample(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    y = (rng.random(n) < PI).astype(np.int64)
    mu = np.where(y == 1, D / 2, -D / 2)
    za = mu + rng.normal(size=n)
    zb = mu + SD_B * rng.normal(size=n)
    e = rng.standard_t(NU, size=n)
    return {"y": y, "pa": special.expit(za), "pb": special.expit(zb), "t": rng.normal(size=n),
            "e": e}  # fmt: skip


def _f1_truth(sd: float) -> float:
    tpr = stats.norm.sf(0, loc=D / 2, scale=sd)
    fpr = stats.norm.sf(0, loc=-D / 2, scale=sd)
    tp, fp, fn = PI * tpr, (1 - PI) * fpr, PI * (1 - tpr)
    return float(2 * tp / (2 * tp + fp + fn))


def _truths(seed: int) -> dict[str, float]:
    big = _sample(np.random.default_rng(seed + 10_000), 4_000_000)
    y = big["y"]
    ll = -np.log(np.where(y == 1, big["pa"], 1 - big["pa"])).mean()
    return {
        "accuracy": float(PI * stats.norm.cdf(D / 2) + (1 - PI) * stats.norm.cdf(D / 2)),
        "roc_auc": float(stats.norm.cdf(D / math.sqrt(2))),
        "roc_auc_diff": float(
            stats.norm.cdf(D / math.sqrt(2)) - stats.norm.cdf(D / (SD_B * math.sqrt(2)))
        ),
        "f1": _f1_truth(1.0),
        "f1_diff": _f1_truth(1.0) - _f1_truth(SD_B),
        "average_precision": average_precision(y, big["pa"]).value,
        "log_loss": float(ll),
        "mae": float(
            2
            * math.sqrt(NU)
            * math.gamma((NU + 1) / 2)
            / (math.sqrt(math.pi) * (NU - 1) * math.gamma(NU / 2))
        ),
        "rmse": math.sqrt(NU / (NU - 2)),
    }


Check = Callable[[dict[str, np.ndarray], np.random.Generator], MetricResult | MetricComparison]

CHECKS: dict[str, tuple[str, Check]] = {
    "accuracy (Wilson)": ("accuracy", lambda s, r: accuracy(s["y"], s["pa"] >= 0.5)),
    "ROC AUC (DeLong)": ("roc_auc", lambda s, r: roc_auc(s["y"], s["pa"])),
    "F1 (bootstrap percentile)": (
        "f1", lambda s, r: f1(s["y"], (s["pa"] >= 0.5).astype(int), random_state=r)),
    "F1 (bootstrap BCa)": (
        "f1", lambda s, r: f1(s["y"], (s["pa"] >= 0.5).astype(int), ci="bca", random_state=r)),
    "average precision (delta)": ("average_precision", lambda s, r: average_precision(s["y"], s["pa"])),
    "log loss (delta)": ("log_loss", lambda s, r: log_loss(s["y"], s["pa"])),
    "MAE, t5 errors (delta)": ("mae", lambda s, r: mae(s["t"] + s["e"], s["t"])),
    "RMSE, t5 errors (delta)": ("rmse", lambda s, r: rmse(s["t"] + s["e"], s["t"])),
    "paired ROC AUC diff (DeLong)": (
        "roc_auc_diff", lambda s, r: compare_metric(s["y"], s["pa"], s["pb"], metric="roc_auc")),
    "paired F1 diff (bootstrap)": (
        "f1_diff", lambda s, r: compare_metric(s["y"], s["pa"], s["pb"], metric="f1", random_state=r)),
}  # fmt: skip


def coverage(replicates: int, seed: int) -> str:
    truth = _truths(seed)
    rng = np.random.default_rng(seed)
    hits = {k: np.zeros(len(SIZES)) for k in CHECKS}
    widths = {k: np.zeros(len(SIZES)) for k in CHECKS}
    for j, n in enumerate(SIZES):
        for _ in range(replicates):
            sample = _sample(rng, n)
            for name, (key, fn) in CHECKS.items():
                res = fn(sample, rng)
                hits[name][j] += res.ci_low <= truth[key] <= res.ci_high
                widths[name][j] += res.ci_high - res.ci_low
    se = math.sqrt(0.95 * 0.05 / replicates)
    head = "| interval | " + " | ".join(f"n = {n:,}" for n in SIZES) + " |"
    lines = [
        f"Coverage of nominal 95% intervals, {replicates} replicates per cell "
        f"(Monte Carlo s.e. ≈ {se:.3f}); mean interval width in parentheses.",
        "",
        head,
        "|---|" + "---|" * len(SIZES),
    ]
    for name in CHECKS:
        cells = [f"{hits[name][j] / replicates:.3f} ({widths[name][j] / replicates:.4f})"
                 for j in range(len(SIZES))]  # fmt: skip
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


_TIMED = {
    "accuracy + Wilson": "accuracy(y, pred)",
    "ROC AUC + DeLong": "roc_auc(y, p)",
    "F1 + bootstrap (1000 multinomial resamples)": "f1(y, pred, random_state=0)",
    "average precision + delta": "average_precision(y, p)",
    "paired ROC AUC diff (DeLong)": "compare_metric(y, p, q, metric='roc_auc')",
    "paired F1 diff (1000 resamples)": "compare_metric(y, p, q, metric='f1', random_state=0)",
    "sklearn accuracy_score (no CI)": "skm.accuracy_score(y, pred)",
    "sklearn roc_auc_score (no CI)": "skm.roc_auc_score(y, p)",
    "sklearn f1_score (no CI)": "skm.f1_score(y, pred)",
}
_SETUP = """
import numpy as np, time
from scipy import special
from sklearn import metrics as skm
from driftline.metrics import accuracy, average_precision, compare_metric, f1, roc_auc
rng = np.random.default_rng(0)
n = 1_000_000
y = (rng.random(n) < 0.3).astype(np.int64)
p = special.expit(np.where(y == 1, 0.75, -0.75) + rng.normal(size=n))
q = special.expit(np.where(y == 1, 0.75, -0.75) + 1.4 * rng.normal(size=n))
pred = (p >= 0.5).astype(np.int64)
"""


def timing(repeats: int) -> str:
    """Median wall time over ``repeats`` fresh processes (1M rows; warm-up call first)."""
    rows = ["| call on 1,000,000 rows | median seconds |", "|---|---|"]
    for label, stmt in _TIMED.items():
        code = _SETUP + f"{stmt}\nt = time.perf_counter()\n{stmt}\nprint(time.perf_counter() - t)"
        runs = [float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                     text=True).stdout) for _ in range(repeats)]  # fmt: skip
        rows.append(f"| {label} | {np.median(runs):.3f} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--replicates", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--timing", action="store_true", help="time 1M-row calls instead")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    print(timing(args.repeats) if args.timing else coverage(args.replicates, args.seed))
    print(f"\n(took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
