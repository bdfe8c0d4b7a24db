"""False alarms and detection delay of driftline's streaming change detectors.

Seeded and deterministic (the result does not depend on ``--workers``). Every detector runs
at its documented defaults (KSWIN seeded per run).

* False alarms: ``--runs`` independent stationary streams of ``--length`` values each, from
  N(0, 1) and from Bernoulli(0.1) (an error-rate stream). Detectors restart after each
  alarm, so the mean time between false alarms (MTBFA) is estimated as the total number of
  values divided by the total number of alarms, pooled over all runs.
* Detection delay: ``--runs`` streams of ``--change-at`` values before a step change and
  ``--horizon`` values after it: N(0, 1) -> N(0.5, 1), N(0, 1) -> N(1, 1) and
  Bernoulli(0.1) -> Bernoulli(0.2). The delay is the number of post-change values consumed
  up to and including the first alarm at or after the change (so 1 is the fastest possible);
  a run with no such alarm within the horizon is a missed detection. False alarms before the
  change are counted separately (the detector restarts and keeps watching).

Run::

    .venv/bin/python -m simulations.streaming                    # defaults, 2 processes
    .venv/bin/python -m simulations.streaming --grid --runs 100  # calibration grid
    .venv/bin/python -m simulations.streaming --runs 20          # a quick look
    # side by side with river (its own venv; see docs/streaming.md):
    PYTHONPATH=src .bench/venv-river/bin/python -m simulations.streaming --river --runs 20
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from driftline.drift import ADWIN, CUSUM, KSWIN, ChangeDetector, PageHinkley

FloatArray = npt.NDArray[np.float64]

DETECTORS = ("ADWIN", "PageHinkley", "CUSUM", "KSWIN")
# name -> (kind, parameter before, parameter after)
STATIONARY = {"N(0,1)": ("normal", 0.0, 0.0), "Bernoulli(0.1)": ("bernoulli", 0.1, 0.1)}
CHANGES = {
    "N(0,1) -> mean +0.5 sd": ("normal", 0.0, 0.5),
    "N(0,1) -> mean +1 sd": ("normal", 0.0, 1.0),
    "Bernoulli 0.1 -> 0.2": ("bernoulli", 0.1, 0.2),
}


Params = tuple[tuple[str, float], ...]
# Calibration grid (--grid): settings that differ from the defaults, per detector.
GRID: dict[str, tuple[Params, ...]] = {
    "ADWIN": ((("delta", 0.002),), (("delta", 0.02),), (("delta", 0.2),), (("clock", 1),)),
    "PageHinkley": tuple((("threshold", t),) for t in (25.0, 50.0, 100.0, 200.0)),
    "CUSUM": tuple((("h", h),) for h in (5.0, 6.0, 8.0, 10.0)),
    "KSWIN": (
        (("alpha", 0.005),),
        (("alpha", 1e-4),),
        (("alpha", 1e-4), ("window_size", 300), ("stat_size", 100)),
        (("alpha", 1e-6), ("window_size", 300), ("stat_size", 100)),
    ),
}


def make_detector(name: str, seed: int, params: Params = ()) -> ChangeDetector:
    """A detector at its documented defaults, except ``params`` (KSWIN gets ``seed``)."""
    options: dict[str, Any] = dict(params)
    if name == "ADWIN":
        return ADWIN(**options)
    if name == "PageHinkley":
        return PageHinkley(**options)
    if name == "CUSUM":
        return CUSUM(**options)
    if name == "KSWIN":
        return KSWIN(seed=seed, **options)
    raise ValueError(f"unknown detector {name!r}; expected one of {DETECTORS}")


def draw(kind: str, param: float, rng: np.random.Generator, n: int) -> FloatArray:
    """``n`` values of N(param, 1) or Bernoulli(param) as float64."""
    if kind == "normal":
        return rng.normal(param, 1.0, n)
    return (rng.random(n) < param).astype(np.float64)


@dataclass(frozen=True)
class FalseAlarms:
    detector: str
    stream: str
    runs: int
    length: int
    alarms: int
    params: Params = ()

    @property
    def mtbfa(self) -> float:
        """Values per false alarm (``inf`` when there was none)."""
        return self.runs * self.length / self.alarms if self.alarms else float("inf")


@dataclass(frozen=True)
class Delay:
    detector: str
    scenario: str
    runs: int
    delays: tuple[int, ...]  # one per detected run
    early_alarms: int  # runs with at least one alarm before the change
    params: Params = ()

    @property
    def missed_rate(self) -> float:
        return 1.0 - len(self.delays) / self.runs

    @property
    def mean_delay(self) -> float:
        return statistics.fmean(self.delays) if self.delays else float("nan")

    @property
    def median_delay(self) -> float:
        return statistics.median(self.delays) if self.delays else float("nan")


def detect(
    det: str, seed: int, params: Params, x: FloatArray, impl: str = "driftline"
) -> list[int]:
    """Alarm indices of a fresh detector on ``x``; ``impl="river"`` runs river's namesake."""
    if impl == "driftline":
        return make_detector(det, seed, params).update_many(x).detections
    river_drift = importlib.import_module("river.drift")  # only in .bench/venv-river
    options: dict[str, Any] = dict(params) | ({"seed": seed} if det == "KSWIN" else {})
    detector = getattr(river_drift, det)(**options)
    hits = []
    for i, value in enumerate(x.tolist()):
        detector.update(value)
        if detector.drift_detected:
            hits.append(i)
    return hits


def _label(det: str, impl: str) -> str:
    return det if impl == "driftline" else f"{det} ({impl})"


def false_alarms(
    det: str,
    stream: str,
    runs: int,
    length: int,
    seed: int,
    params: Params = (),
    impl: str = "driftline",
) -> FalseAlarms:
    kind, param, _ = STATIONARY[stream]
    code = [seed, DETECTORS.index(det), list(STATIONARY).index(stream)]
    alarms = 0
    for r in range(runs):
        rng = np.random.default_rng([*code, r])
        alarms += len(detect(det, r, params, draw(kind, param, rng, length), impl))
    return FalseAlarms(_label(det, impl), stream, runs, length, alarms, params)


def delays(
    det: str,
    scenario: str,
    runs: int,
    change_at: int,
    horizon: int,
    seed: int,
    params: Params = (),
    impl: str = "driftline",
) -> Delay:
    kind, before, after = CHANGES[scenario]
    code = [seed, DETECTORS.index(det), 10 + list(CHANGES).index(scenario)]
    found: list[int] = []
    early = 0
    for r in range(runs):
        rng = np.random.default_rng([*code, r])
        x = np.concatenate((draw(kind, before, rng, change_at), draw(kind, after, rng, horizon)))
        hits = detect(det, r, params, x, impl)
        early += any(i < change_at for i in hits)
        late = [i for i in hits if i >= change_at]
        if late:
            found.append(late[0] - change_at + 1)
    return Delay(_label(det, impl), scenario, runs, tuple(found), early, params)


def _task(args: tuple[Any, ...]) -> FalseAlarms | Delay:
    if args[0] == "fa":
        return false_alarms(*args[1:])
    return delays(*args[1:])


def run(
    *,
    runs: int = 200,
    length: int = 20_000,
    change_at: int = 1_000,
    horizon: int = 3_000,
    seed: int = 20261126,
    workers: int = 2,
    grid: bool = False,
    river: bool = False,
) -> tuple[list[FalseAlarms], list[Delay]]:
    """Run every (detector, stream) task; identical results for any ``workers``.

    With ``grid=True``, run the calibration grid instead: every setting in ``GRID`` on the
    N(0,1) stream and the two Gaussian mean shifts. With ``river=True``, run the default
    comparison for ADWIN, PageHinkley and KSWIN side by side with river's (needs river).
    """
    configs: list[tuple[str, Params, str]] = [(d, (), "driftline") for d in DETECTORS]
    stationary, changes = list(STATIONARY), list(CHANGES)
    if grid:
        configs = [(d, p, "driftline") for d in DETECTORS for p in GRID[d]]
        stationary, changes = stationary[:1], changes[:2]
    if river:
        peers = ("ADWIN", "PageHinkley", "KSWIN")
        configs = [(d, (), impl) for d in peers for impl in ("driftline", "river")]
    tasks: list[tuple[Any, ...]] = [
        ("fa", d, s, runs, length, seed, p, i) for d, p, i in configs for s in stationary
    ] + [
        ("delay", d, c, runs, change_at, horizon, seed, p, i)
        for d, p, i in configs
        for c in changes
    ]
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_task, tasks))
    else:
        results = [_task(t) for t in tasks]
    fa = [r for r in results if isinstance(r, FalseAlarms)]
    dl = [r for r in results if isinstance(r, Delay)]
    return fa, dl


def format_tables(fa: Sequence[FalseAlarms], dl: Sequence[Delay]) -> str:
    """Both result tables as markdown."""
    lines = [
        "| detector | stationary stream | runs x length | false alarms | MTBFA (values) |",
        "|---|---|---|---:|---:|",
    ]
    for r in fa:
        total = r.runs * r.length
        mtbfa = f"> {total:,}" if not r.alarms else f"{r.mtbfa:,.0f}"
        lines.append(
            f"| {r.detector} | {r.stream} | {r.runs} x {r.length:,} | {r.alarms:,} | {mtbfa} |"
        )
    lines += [
        "",
        "| detector | change | mean delay | median delay | missed | false alarm before change |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for d in dl:
        lines.append(
            f"| {d.detector} | {d.scenario} | {d.mean_delay:.1f} | {d.median_delay:.1f} | "
            f"{d.missed_rate:.1%} | {d.early_alarms / d.runs:.1%} |"
        )
    return "\n".join(lines)


def format_grid(fa: Sequence[FalseAlarms], dl: Sequence[Delay]) -> str:
    """The calibration grid as one markdown table (a row per setting)."""
    lines = [
        "| detector | setting | MTBFA on N(0,1) | median delay +0.5 sd (missed) "
        "| median delay +1 sd (missed) |",
        "|---|---|---:|---:|---:|",
    ]
    for r in fa:
        mtbfa = f"> {r.runs * r.length:,}" if not r.alarms else f"{r.mtbfa:,.0f}"
        cells = [
            f"{d.median_delay:.0f} ({d.missed_rate:.1%})"
            for d in dl
            if (d.detector, d.params) == (r.detector, r.params)
        ]
        setting = ", ".join(f"{k}={v:g}" for k, v in r.params)
        lines.append(f"| {r.detector} | {setting} | {mtbfa} | {' | '.join(cells)} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--length", type=int, default=20_000)
    parser.add_argument("--change-at", type=int, default=1_000)
    parser.add_argument("--horizon", type=int, default=3_000)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--grid", action="store_true", help="run the calibration grid")
    parser.add_argument(
        "--river", action="store_true", help="compare with river (run in .bench/venv-river)"
    )
    ns = parser.parse_args(argv)
    start = time.perf_counter()
    fa, dl = run(
        runs=ns.runs,
        length=ns.length,
        change_at=ns.change_at,
        horizon=ns.horizon,
        seed=ns.seed,
        workers=ns.workers,
        grid=ns.grid,
        river=ns.river,
    )
    print(
        f"runs={ns.runs} length={ns.length} change_at={ns.change_at} horizon={ns.horizon} "
        f"seed={ns.seed}{' grid' if ns.grid else ''}{' river' if ns.river else ''}\n"
    )
    print(format_grid(fa, dl) if ns.grid else format_tables(fa, dl))
    print(f"\n({time.perf_counter() - start:.0f} s with {ns.workers} worker(s))")
    return 0


if __name__ == "__main__":
    sys.exit(main())
