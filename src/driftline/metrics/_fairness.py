"""Group fairness: per-group rates and fairlearn's parity metrics, with bootstrap intervals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import sparse

from driftline._params import validate_params
from driftline.exceptions import InsufficientDataError
from driftline.metrics._bootstrap import bootstrap_sums
from driftline.metrics._core import check_common
from driftline.metrics._intervals import wilson_interval
from driftline.metrics._result import MetricResult
from driftline.metrics._validation import (
    FloatArray,
    IntArray,
    RandomState,
    as_binary,
    as_rng,
    as_weights,
    check_lengths,
    resampling,
)

__all__ = ["FairnessReport", "fairness_report", "group_codes"]

GROUP_METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate", "accuracy")


def group_codes(sensitive_features: Any, n: int) -> tuple[tuple[Any, ...], IntArray]:
    """Group labels and a code per row; several columns combine into intersections.

    >>> group_codes({"sex": ["f", "m", "f"]}, 3)
    (('f', 'm'), array([0, 1, 0]))
    """
    if hasattr(sensitive_features, "column_names") and hasattr(sensitive_features, "column"):
        cols = [np.asarray(sensitive_features.column(c)) for c in sensitive_features.column_names]
    elif hasattr(sensitive_features, "columns") and not isinstance(sensitive_features, np.ndarray):
        cols = [np.asarray(sensitive_features[c]) for c in sensitive_features.columns]
    elif isinstance(sensitive_features, Mapping):
        cols = [np.asarray(v) for v in sensitive_features.values()]
    else:
        cols = [np.asarray(sensitive_features)]
    for c in cols:
        check_lengths(sensitive_features=c, y_true=np.empty(n))
    keys = [c.astype(str) if c.dtype.kind == "O" else c for c in cols]
    if len(keys) == 1:
        labels, codes = np.unique(keys[0], return_inverse=True)
        return tuple(_py(v) for v in labels), codes.astype(np.int64)
    rec = np.rec.fromarrays(keys)
    labels, codes = np.unique(rec, return_inverse=True)
    return tuple(tuple(_py(v) for v in lab) for lab in labels), codes.astype(np.int64)


def _py(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _rates(s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Selection rate, TPR, FPR per group from cell sums ``(..., 4G)`` (tn, fp, fn, tp)."""
    c = s.reshape(*s.shape[:-1], -1, 4)
    tn, fp, fn, tp = c[..., 0], c[..., 1], c[..., 2], c[..., 3]
    tot = tn + fp + fn + tp
    z = np.zeros_like(tp)
    sel = np.divide(fp + tp, tot, out=z.copy(), where=tot > 0)
    tpr = np.divide(tp, tp + fn, out=z.copy(), where=(tp + fn) > 0)
    fpr = np.divide(fp, fp + tn, out=z.copy(), where=(fp + tn) > 0)
    return sel, tpr, fpr


def _ratio(r: FloatArray) -> FloatArray:
    mx = r.max(axis=-1)
    out: FloatArray = np.divide(r.min(axis=-1), mx, out=np.zeros_like(mx), where=mx > 0)
    return out


def _dp_diff(s: FloatArray) -> FloatArray:
    sel = _rates(s)[0]
    return sel.max(axis=-1) - sel.min(axis=-1)  # type: ignore[no-any-return]


def _dp_ratio(s: FloatArray) -> FloatArray:
    return _ratio(_rates(s)[0])


def _eo_diff(s: FloatArray) -> FloatArray:
    _, tpr, fpr = _rates(s)
    out: FloatArray = np.maximum(
        tpr.max(axis=-1) - tpr.min(axis=-1), fpr.max(axis=-1) - fpr.min(axis=-1)
    )
    return out


def _eo_ratio(s: FloatArray) -> FloatArray:
    _, tpr, fpr = _rates(s)
    return np.minimum(_ratio(tpr), _ratio(fpr))


@dataclass(frozen=True)
class FairnessReport:
    """Per-group rates and between-group parity metrics, each with an interval.

    Definitions follow fairlearn (``method="between_groups"``, ``agg="worst_case"``):
    demographic-parity difference = max - min selection rate over groups, ratio =
    min / max; equalized-odds difference = the larger of the TPR and FPR differences,
    ratio = the smaller of the TPR and FPR ratios.
    """

    groups: tuple[Any, ...]
    group_sizes: tuple[int, ...]
    by_group: Mapping[str, tuple[MetricResult, ...]]
    demographic_parity_difference: MetricResult
    demographic_parity_ratio: MetricResult
    equalized_odds_difference: MetricResult
    equalized_odds_ratio: MetricResult

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python representation."""
        return {
            "groups": [list(g) if isinstance(g, tuple) else g for g in self.groups],
            "group_sizes": list(self.group_sizes),
            "by_group": {k: [r.to_dict() for r in v] for k, v in self.by_group.items()},
            "demographic_parity_difference": self.demographic_parity_difference.to_dict(),
            "demographic_parity_ratio": self.demographic_parity_ratio.to_dict(),
            "equalized_odds_difference": self.equalized_odds_difference.to_dict(),
            "equalized_odds_ratio": self.equalized_odds_ratio.to_dict(),
        }

    def summary(self) -> str:
        """Text summary: the four parity metrics, then the rates per group."""
        lines = [
            str(self.demographic_parity_difference),
            str(self.demographic_parity_ratio),
            str(self.equalized_odds_difference),
            str(self.equalized_odds_ratio),
        ]
        for i, g in enumerate(self.groups):
            rates = ", ".join(f"{k}={v[i].value:.4f}" for k, v in self.by_group.items())
            lines.append(f"group {g!r} (n={self.group_sizes[i]}): {rates}")
        return "\n".join(lines)


@validate_params(resampling(("percentile", "bca")))
def fairness_report(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    sensitive_features: Any,
    sample_weight: ArrayLike | None = None,
    confidence: float = 0.95,
    ci: Literal["percentile", "bca"] = "percentile",
    n_resamples: int = 1000,
    random_state: RandomState = None,
) -> FairnessReport:
    """Selection rate, TPR, FPR and accuracy per group, and DP / EO differences and ratios.

    Binary labels and predictions. Per-group rates have Wilson intervals (bootstrap when
    weighted). The parity metrics have bootstrap intervals from resampling rows: without
    weights the ``(group, y, ŷ)`` cell counts are drawn from one multinomial (exact and
    O(n_resamples)); all four share the same resamples.

    >>> rep = fairness_report([1, 0, 1, 0, 1, 0], [1, 0, 1, 1, 0, 0],
    ...                       sensitive_features=["a", "a", "a", "b", "b", "b"],
    ...                       random_state=0)
    >>> round(rep.demographic_parity_difference.value, 4)
    0.3333
    """
    confidence = check_common(confidence, n_resamples)
    y = as_binary("y_true", y_true).astype(np.int64)
    p = as_binary("y_pred", y_pred).astype(np.int64)
    n = check_lengths(y_true=y, y_pred=p)
    w = as_weights(sample_weight, n)
    groups, g = group_codes(sensitive_features, n)
    if len(groups) < 2:
        raise InsufficientDataError(
            f"Fairness metrics need at least two groups; sensitive_features has {len(groups)}."
        )
    cell = g * 4 + y * 2 + p
    k = 4 * len(groups)
    if w is None:
        terms: Any = np.eye(k)
        counts: Any = np.bincount(cell, minlength=k)
        sums = counts.astype(np.float64)
    else:
        terms = sparse.csr_array((w, cell, np.arange(n + 1)), shape=(n, k))
        counts = None
        sums = np.bincount(cell, weights=w, minlength=k)
    seed = int(as_rng(random_state).integers(2**63 - 1))
    parity = {}
    for name, fn in (
        ("demographic_parity_difference", _dp_diff),
        ("demographic_parity_ratio", _dp_ratio),
        ("equalized_odds_difference", _eo_diff),
        ("equalized_odds_ratio", _eo_ratio),
    ):
        b = bootstrap_sums(terms, fn, counts=counts, n_resamples=n_resamples, method=ci,
                           confidence=confidence, random_state=seed)  # fmt: skip
        parity[name] = MetricResult(name, b.value, b.ci_low, b.ci_high, confidence, b.method, n)
    c = sums.reshape(-1, 4)
    num = {
        "selection_rate": (c[:, 1] + c[:, 3], c.sum(axis=1)),
        "true_positive_rate": (c[:, 3], c[:, 2] + c[:, 3]),
        "false_positive_rate": (c[:, 1], c[:, 0] + c[:, 1]),
        "accuracy": (c[:, 0] + c[:, 3], c.sum(axis=1)),
    }
    by_group: dict[str, tuple[MetricResult, ...]] = {}
    sizes = np.bincount(g, minlength=len(groups))
    for name, (succ, tot) in num.items():
        val = np.divide(succ, tot, out=np.zeros_like(succ), where=tot > 0)
        if w is None:
            lo, hi = wilson_interval(succ, tot, confidence=confidence)
            by_group[name] = tuple(
                MetricResult(name, float(v), float(a), float(b_), confidence, "wilson", int(m))
                for v, a, b_, m in zip(val, lo, hi, sizes, strict=True)
            )
        else:
            by_group[name] = tuple(
                _weighted_rate(name, i, y, p, g, w, confidence, n_resamples, seed)
                for i in range(len(groups))
            )
    return FairnessReport(
        groups, tuple(int(s) for s in sizes), by_group,
        parity["demographic_parity_difference"], parity["demographic_parity_ratio"],
        parity["equalized_odds_difference"], parity["equalized_odds_ratio"],
    )  # fmt: skip


def _weighted_rate(
    name: str, i: int, y: IntArray, p: IntArray, g: IntArray, w: FloatArray,
    confidence: float, n_resamples: int, seed: int,
) -> MetricResult:  # fmt: skip
    m = g == i
    if name == "true_positive_rate":
        rel, ok = m & (y == 1), p == 1
    elif name == "false_positive_rate":
        rel, ok = m & (y == 0), p == 1
    elif name == "selection_rate":
        rel, ok = m, p == 1
    else:
        rel, ok = m, p == y
    if not rel.any():
        return MetricResult(name, 0.0, np.nan, np.nan, confidence, "undefined", int(m.sum()))
    ww = w[rel]
    b = bootstrap_sums(np.column_stack([ww * ok[rel], ww]), lambda s: s[..., 0] / s[..., 1],
                       n_resamples=n_resamples, confidence=confidence, random_state=seed)  # fmt: skip
    return MetricResult(name, b.value, b.ci_low, b.ci_high, confidence, b.method, int(m.sum()))
