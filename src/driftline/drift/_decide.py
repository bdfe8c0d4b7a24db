"""Verdicts: one false-discovery family over every test of a report, then each column decided.

The family holds, for every part of the report (the whole current data and each chunk)
and every column, the distribution test's p-value (pure distances have none) and the
missing-rate test's p-value (only where a value is missing on either side: with no
missing value at all the test cannot reject, so leaving it out loses nothing and keeps
the family small). The p-values are adjusted together — Benjamini–Hochberg by default —
so that adding columns or chunks does not add chances to be wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from driftline import stats
from driftline.drift._result import ColumnDrift

__all__ = ["Correction", "decide"]

Correction = Literal["fdr_bh", "bonferroni", "holm", "none"]


def decide(
    parts: Sequence[dict[str, ColumnDrift]], *, alpha: float, correction: Correction
) -> list[dict[str, ColumnDrift]]:
    """Adjust every p-value of ``parts`` together and decide each column."""
    keys: list[tuple[int, str, bool]] = []
    p_values: list[float] = []
    for i, part in enumerate(parts):
        for name, col in part.items():
            if col.compared and col.p_value is not None:
                keys.append((i, name, False))
                p_values.append(col.p_value)
            if col.missing is not None:
                keys.append((i, name, True))
                p_values.append(col.missing.p_value)
    adjusted: dict[tuple[int, str, bool], float] = {}
    if p_values:
        adj = stats.adjust_p_values(np.asarray(p_values, dtype=np.float64), method=correction)
        adjusted = dict(zip(keys, adj.tolist(), strict=True))
    return [
        {
            name: col.decided(
                p_value_adjusted=adjusted.get((i, name, False)),
                missing_p_value_adjusted=adjusted.get((i, name, True)),
                alpha=alpha,
            )
            for name, col in part.items()
        }
        for i, part in enumerate(parts)
    ]
