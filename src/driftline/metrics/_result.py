"""Result objects shared by every metric: a value with its confidence interval."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["MetricComparison", "MetricResult"]


def _num(x: float) -> float | None:
    """JSON-friendly float: NaN becomes ``None``."""
    return None if math.isnan(x) else float(x)


@dataclass(frozen=True)
class MetricResult:
    """A metric value with a confidence interval and the method that produced it.

    ``method`` names the interval: ``"wilson"``, ``"delong"``, ``"delta"`` (normal
    approximation with the delta method), ``"bootstrap-percentile"`` or ``"bootstrap-bca"``.
    ``n`` is the number of rows the metric was computed on. ``reason`` says why the value
    is undefined (NaN, e.g. precision when no row is predicted positive) or what was left
    out of an average; it is ``None`` otherwise.

    >>> r = MetricResult("accuracy", 0.9, 0.85, 0.94, 0.95, "wilson", 200)
    >>> r.to_dict()["ci_high"]
    0.94
    >>> r.contains(0.88)
    True
    >>> MetricResult.undefined("precision", "no row is predicted positive", n=10).defined
    False
    """

    name: str
    value: float
    ci_low: float
    ci_high: float
    confidence: float
    method: str
    n: int
    reason: str | None = None

    @classmethod
    def undefined(cls, name: str, reason: str, *, n: int, confidence: float = 0.95) -> MetricResult:
        """A result whose value is undefined on these rows, with the reason."""
        nan = float("nan")
        return cls(name, nan, nan, nan, confidence, "undefined", n, reason)

    @property
    def defined(self) -> bool:
        """False when the value is NaN (undefined on these rows; see ``reason``)."""
        return not math.isnan(self.value)

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies inside the closed interval ``[ci_low, ci_high]``."""
        return self.ci_low <= x <= self.ci_high

    @property
    def width(self) -> float:
        """Width of the interval, ``ci_high - ci_low``."""
        return self.ci_high - self.ci_low

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python representation (NaN becomes ``None``)."""
        return {
            "name": self.name,
            "value": _num(self.value),
            "ci_low": _num(self.ci_low),
            "ci_high": _num(self.ci_high),
            "confidence": self.confidence,
            "method": self.method,
            "n": self.n,
            "reason": self.reason,
        }

    def __str__(self) -> str:
        pct = round(100 * self.confidence)
        if not self.defined:
            return f"{self.name} undefined ({self.reason or 'no value'}, n={self.n})"
        return (
            f"{self.name} = {self.value:.4f} [{self.ci_low:.4f}, {self.ci_high:.4f}] "
            f"({pct}% {self.method}, n={self.n})"
        )


@dataclass(frozen=True)
class MetricComparison:
    """Paired comparison of one metric for two models scored on the same rows.

    ``difference = value_a - value_b``; the interval and the two-sided ``p_value`` (for
    the null hypothesis of no difference) account for the pairing.

    >>> c = MetricComparison("roc_auc", 0.80, 0.75, 0.05, 0.01, 0.09, 0.014, 0.95, "delong", 500)
    >>> c.to_dict()["difference"]
    0.05
    """

    name: str
    value_a: float
    value_b: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    confidence: float
    method: str
    n: int

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python representation (NaN becomes ``None``)."""
        return {
            "name": self.name,
            "value_a": _num(self.value_a),
            "value_b": _num(self.value_b),
            "difference": _num(self.difference),
            "ci_low": _num(self.ci_low),
            "ci_high": _num(self.ci_high),
            "p_value": _num(self.p_value),
            "confidence": self.confidence,
            "method": self.method,
            "n": self.n,
        }
