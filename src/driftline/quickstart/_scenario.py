"""The quickstart's demo world: a credit-default model meeting a changing population.

Everything is generated from a seed; nothing is downloaded. The production period
starts stable, then a downturn sets in: incomes fall, debt and card utilization rise,
a new ``partner_api`` sales channel appears, a pipeline bug starts dropping
``months_at_job``, and the link between late payments and default strengthens
(concept shift) — so the model's accuracy decays while nobody has labels yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["FEATURES", "CreditScenario", "make_credit_scenario"]

NUMERIC_FEATURES = (
    "age",
    "income",
    "debt_to_income",
    "credit_utilization",
    "num_credit_lines",
    "months_at_job",
    "late_payments_12m",
)
CATEGORICAL_FEATURES = ("region", "employment", "channel")
FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES

_REGIONS = np.array(["north", "south", "east", "west", "central"], dtype=object)
_EMPLOYMENT = np.array(["salaried", "self_employed", "contractor", "retired"], dtype=object)
_CHANNELS = np.array(["branch", "web", "mobile", "partner_api"], dtype=object)
_START = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


@dataclass(frozen=True)
class CreditScenario:
    """Training, reference and production frames of the demo, and their timeline."""

    train: pd.DataFrame
    reference: pd.DataFrame
    production: pd.DataFrame
    drift_starts_week: int
    target: str = "defaulted"

    @property
    def production_weeks(self) -> list[str]:
        """Labels of the production weeks, in order."""
        return sorted(self.production["week"].unique().tolist())


def _population(rng: np.random.Generator, n: int, severity: np.ndarray) -> dict[str, np.ndarray]:
    """Draw ``n`` applicants; ``severity`` in [0, 1] per row scales the downturn."""
    s = severity
    age = np.clip(rng.normal(41.0, 12.0, n), 18, 85).round()
    income = rng.lognormal(np.log(52_000.0), 0.45, n) * (1.0 - 0.22 * s)
    dti = np.clip(rng.beta(2.0, 5.0, n) + 0.06 * s, 0.0, 1.5)
    utilization = np.clip(rng.beta(2.0 + 1.5 * s, 3.0 - 0.5 * s), 0.0, 1.0)
    lines = rng.poisson(5.0, n).astype(np.float64)
    months = rng.exponential(48.0, n).round()
    months[rng.random(n) < 0.01 + 0.17 * s] = np.nan  # a pipeline bug drops values
    late = rng.poisson(0.35 + 0.25 * s, n).astype(np.float64)
    region = _REGIONS[rng.choice(5, size=n, p=[0.24, 0.22, 0.2, 0.18, 0.16])]
    employment = _EMPLOYMENT[rng.choice(4, size=n, p=[0.62, 0.18, 0.12, 0.08])]
    # The channel mix moves online and a new partner channel appears.
    u = rng.random(n)
    partner = u < 0.22 * s
    web = (~partner) & (u < 0.22 * s + 0.40)
    mobile = (~partner) & (~web) & (u < 0.22 * s + 0.40 + 0.25 + 0.1 * s)
    channel_idx = np.select([partner, web, mobile], [3, 1, 2], default=0)
    return {
        "age": age,
        "income": income.round(-1),
        "debt_to_income": dti.round(4),
        "credit_utilization": utilization.round(4),
        "num_credit_lines": lines,
        "months_at_job": months,
        "late_payments_12m": late,
        "region": region,
        "employment": employment,
        "channel": _CHANNELS[channel_idx],
    }


def _default_probability(cols: dict[str, np.ndarray], severity: np.ndarray) -> np.ndarray:
    months = np.nan_to_num(cols["months_at_job"], nan=48.0)
    logit = (
        -2.7
        + 5.0 * (1.0 - 0.6 * severity) * (cols["credit_utilization"] - 0.4)
        + 4.5 * (cols["debt_to_income"] - 0.28)
        + 0.8 * (1.0 - 0.6 * severity) * cols["late_payments_12m"]
        - 1.2 * np.log(cols["income"] / 52_000.0)
        - 0.02 * (cols["age"] - 41.0)
        - 0.008 * (months - 48.0)
        + 0.5 * (cols["employment"] == "self_employed")
        + 0.3 * (cols["employment"] == "contractor")
        # Concept shift: risks the model never saw in training take over.
        + 1.6 * severity * (cols["channel"] == "partner_api")
        + 1.3 * severity * (cols["region"] == "south")
        + 1.0 * severity * (cols["employment"] == "retired")
    )
    return np.asarray(1.0 / (1.0 + np.exp(-logit)))


def _frame(
    rng: np.random.Generator, weeks: range, rows_per_week: int, severity_of_week: np.ndarray
) -> pd.DataFrame:
    n = rows_per_week * len(weeks)
    week_index = np.repeat(np.arange(weeks.start, weeks.stop), rows_per_week)
    severity = severity_of_week[week_index - weeks.start] if len(weeks) else np.zeros(n)
    cols = _population(rng, n, severity)
    defaulted = (rng.random(n) < _default_probability(cols, severity)).astype(np.int64)
    seconds = rng.uniform(0, 7 * 24 * 3600, n)
    timestamps = pd.to_datetime(
        [
            _START + dt.timedelta(weeks=int(w), seconds=float(x))
            for w, x in zip(week_index, seconds, strict=True)
        ]
    )
    frame = pd.DataFrame(cols)
    frame.insert(0, "timestamp", timestamps)
    frame.insert(1, "week", [f"W{int(w) + 1:02d}" for w in week_index])
    frame["defaulted"] = defaulted
    frame.insert(0, "prediction_id", [f"p{w:02d}-{i:06d}" for i, w in enumerate(week_index)])
    return frame.sort_values("timestamp", kind="stable").reset_index(drop=True)


def make_credit_scenario(
    *,
    seed: int = 7,
    rows_per_week: int = 2_000,
    train_weeks: int = 10,
    reference_weeks: int = 6,
    production_weeks: int = 14,
    drift_starts_week: int = 4,
) -> CreditScenario:
    """Generate the demo: training data, a reference period and a drifting production period.

    The downturn ramps linearly from production week ``drift_starts_week`` to the
    last week.

    >>> scenario = make_credit_scenario(rows_per_week=100)
    >>> len(scenario.reference), len(scenario.production)
    (600, 1400)
    >>> scenario.production_weeks[:2]
    ['W17', 'W18']
    """
    if min(rows_per_week, train_weeks, reference_weeks, production_weeks) < 1:
        raise ValueError("rows_per_week and the numbers of weeks must all be at least 1.")
    rng = np.random.default_rng(seed)
    span = max(production_weeks - 1 - drift_starts_week, 1)
    ramp = np.clip((np.arange(production_weeks) - drift_starts_week + 1) / span, 0.0, 1.0)
    train = _frame(rng, range(0, train_weeks), rows_per_week, np.zeros(train_weeks))
    ref_weeks = range(train_weeks, train_weeks + reference_weeks)
    reference = _frame(rng, ref_weeks, rows_per_week, np.zeros(reference_weeks))
    start = train_weeks + reference_weeks
    production = _frame(rng, range(start, start + production_weeks), rows_per_week, ramp)
    return CreditScenario(
        train=train,
        reference=reference,
        production=production,
        drift_starts_week=drift_starts_week,
    )
