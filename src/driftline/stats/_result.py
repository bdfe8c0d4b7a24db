"""The result of a two-sample hypothesis test."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TestResult"]


@dataclass(frozen=True, slots=True)
class TestResult:
    """Outcome of a two-sample test: the statistic, its p-value and how it was computed.

    ``p_value`` is a probability under the null hypothesis of "same distribution"; it is
    never a decision threshold. ``p_value_bounds`` is the interval the method can report:
    ``(0.0, 1.0)`` for most tests, ``(0.001, 0.25)`` for the interpolated Anderson–Darling
    p-value, where a value at an edge means "at most" / "at least" that value.
    ``n_ref`` and ``n_cur`` are the (effective) sample sizes the p-value was computed for,
    and ``dof`` the degrees of freedom of chi-squared-type tests.

    >>> r = TestResult(statistic=0.12, p_value=0.03, method="ks_asymp", n_ref=500, n_cur=400)
    >>> r.to_dict()["p_value"]
    0.03
    """

    __test__ = False  # not a pytest test class, despite the name

    statistic: float
    p_value: float
    method: str
    n_ref: float | None = None
    n_cur: float | None = None
    dof: int | None = None
    p_value_bounds: tuple[float, float] = (0.0, 1.0)

    def to_dict(self) -> dict[str, object]:
        """Plain-Python dictionary (JSON-serializable)."""
        return {
            "statistic": self.statistic,
            "p_value": self.p_value,
            "method": self.method,
            "n_ref": self.n_ref,
            "n_cur": self.n_cur,
            "dof": self.dof,
            "p_value_bounds": list(self.p_value_bounds),
        }
