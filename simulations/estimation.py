"""How well CBPE's label-free estimates track realized performance, and how honest the bands are.

Seeded and deterministic. Each replication draws a labelled reference and an unlabeled
current period of ``--chunks`` chunks of ``--chunk-size`` rows, fits ``CBPE`` on the
reference, estimates every current chunk, then reveals the labels
(``EstimationResult.compare``) to measure the error and the band coverage.

Scenarios (x ~ 3 features; the model's score is a monotone but miscalibrated function
of a linear index of x, so calibration is needed):

* ``covariate``: the current x drifts progressively (mean up to +1 sd, scale up to
  x1.5 over the chunks); P(y | x) is unchanged (no concept shift). The score is a
  sufficient statistic, so P(y | score) is unchanged too: CBPE's assumption holds.
* ``noisy-score``: the same covariate drift, but the score sees x through noise
  (like the standard monitoring data of BENCHMARKS.md). P(y | x) is unchanged, yet
  P(y | score) moves with the drift: CBPE's assumption is violated without any
  concept shift.
* ``concept``: no covariate drift; from the middle chunk on, P(y | x) changes
  (the true logit's intercept drops by 1). Labels reveal it.

Run::

    .venv/bin/python -m simulations.estimation              # the table in docs/estimation.md
    .venv/bin/python -m simulations.estimation --runs 5     # a quick look
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from driftline.estimate import CBPE, EstimationResult

METRICS = ("roc_auc", "f1", "precision", "recall", "accuracy", "specificity")
SCENARIOS = ("covariate", "noisy-score", "concept")
COEF = np.array([1.0, -0.7, 0.5])


def _frame(
    rng: np.random.Generator, n: int, *, mean: float, scale: float, concept: float, noisy: bool
) -> pd.DataFrame:
    x = rng.normal(0.0, 1.0, (n, 3)) * scale + mean
    index = x @ COEF
    y = rng.random(n) < 1.0 / (1.0 + np.exp(-(index - 0.2 + concept)))
    seen = index + (rng.normal(0.0, 0.8, n) if noisy else 0.0)
    # Monotone but miscalibrated: the model is over-confident.
    score = 1.0 / (1.0 + np.exp(-2.0 * seen))
    return pd.DataFrame({"score": score, "y": y.astype(np.int64)})


def simulate(scenario: str, seed: int, n_ref: int, chunks: int, size: int) -> EstimationResult:
    """One replication: fit on the reference, estimate the current chunks, reveal labels."""
    rng = np.random.default_rng(seed)
    noisy = scenario == "noisy-score"
    ref = _frame(rng, n_ref, mean=0.0, scale=1.0, concept=0.0, noisy=noisy)
    parts = []
    for k in range(chunks):
        t = k / max(chunks - 1, 1)
        drift = scenario != "concept"
        parts.append(
            _frame(
                rng,
                size,
                mean=t if drift else 0.0,
                scale=1.0 + 0.5 * t if drift else 1.0,
                concept=-1.0 if scenario == "concept" and k >= chunks // 2 else 0.0,
                noisy=noisy,
            )
        )
    cur = pd.concat(parts, ignore_index=True)
    cbpe = CBPE(metrics=METRICS, chunk_size=size).fit(ref, y_score="score", y_true="y")
    return cbpe.estimate(cur.drop(columns="y")).compare(cur["y"].to_numpy())


def summarize(results: Sequence[EstimationResult]) -> dict[str, dict[str, float]]:
    """Per metric: MAE of estimate vs realized, band coverage, mean band half-width."""
    out = {}
    for m in METRICS:
        est = [c.metric(m) for r in results for c in r.chunks]
        err = np.array([e.value - (e.realized or np.nan) for e in est])
        out[m] = {
            "mae": float(np.nanmean(np.abs(err))),
            "bias": float(np.nanmean(err)),
            "coverage": float(np.mean([bool(e.realized_in_band) for e in est])),
            "half_width": float(np.mean([(e.upper - e.lower) / 2 for e in est])),
        }
    return out


def warning_rate(results: Sequence[EstimationResult]) -> tuple[float, float]:
    """Share of runs with a calibration-shift warning (severity 'warning'); with alerts."""
    warned = np.mean(
        [
            any(w.check == "calibration_shift" and w.severity == "warning" for w in r.warnings)
            for r in results
        ]
    )
    alerted = np.mean([bool(r.alerts) for r in results])
    return float(warned), float(alerted)


def concept_halves(results: Sequence[EstimationResult]) -> dict[str, tuple[float, float, float]]:
    """For the concept scenario: per metric, (estimate, realized) before and after the change."""
    out = {}
    for m in ("roc_auc", "f1", "accuracy"):
        rows = []
        for r in results:
            half = len(r.chunks) // 2
            before = r.chunks[:half]
            after = r.chunks[half:]
            rows.append(
                (
                    np.mean([c.metric(m).realized for c in before]),
                    np.mean([c.metric(m).value for c in after]),
                    np.mean([c.metric(m).realized for c in after]),
                )
            )
        a = np.array(rows, dtype=float)
        out[m] = (float(a[:, 0].mean()), float(a[:, 1].mean()), float(a[:, 2].mean()))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--reference", type=int, default=50_000)
    parser.add_argument("--chunks", type=int, default=10)
    parser.add_argument("--chunk-size", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=20261127)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    print(
        f"CBPE validation: {args.runs} runs per scenario, reference {args.reference:,} rows, "
        f"{args.chunks} chunks x {args.chunk_size:,} rows, nominal 95% band, seed {args.seed}\n"
    )
    for s_idx, scenario in enumerate(SCENARIOS):
        seeds = np.random.SeedSequence([args.seed, s_idx]).generate_state(args.runs)
        results = [
            simulate(scenario, int(sd), args.reference, args.chunks, args.chunk_size)
            for sd in seeds
        ]
        table = summarize(results)
        warned, alerted = warning_rate(results)
        print(f"### {scenario}\n")
        print(
            "| metric | MAE estimate vs realized | mean bias (estimate − realized) | band coverage | mean band half-width |"
        )
        print("|---|---|---|---|---|")
        for m, row in table.items():
            print(
                f"| {m} | {row['mae']:.4f} | {row['bias']:+.4f} | {row['coverage']:.1%} "
                f"| {row['half_width']:.4f} |"
            )
        print(
            f"\nRuns with a calibration_shift warning once labels arrive: {warned:.0%}; "
            f"runs with at least one alert (estimate outside the reference band): {alerted:.0%}\n"
        )
        if scenario == "concept":
            print("| metric | realized before | estimated after | realized after |")
            print("|---|---|---|---|")
            for m, (b, ea, ra) in concept_halves(results).items():
                print(f"| {m} | {b:.4f} | {ea:.4f} | {ra:.4f} |")
            print()
    print(f"elapsed {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
