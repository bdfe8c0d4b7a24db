"""Chart data of a column: shared-bin histograms, or bars for few distinct values."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from driftline.drift._bucketed import BucketedSample
from driftline.drift._sides import NumericSide
from driftline.report import format_date, format_number

__all__ = ["categorical_chart", "numeric_chart"]

_CHART_BINS: Final = 30
_CHART_TOP: Final = 12


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _distinct_values(ref: NumericSide, cur: NumericSide) -> NDArray[np.float64] | None:
    """The union of both sides' values when both are raw and have few distinct values."""
    if ref.values is None or cur.values is None:
        return None
    values = np.unique(np.concatenate((ref.values[::97], cur.values[::97])))
    if values.size > _CHART_TOP:
        return None
    values = np.unique(np.concatenate((ref.values, cur.values)))
    return values if values.size <= _CHART_TOP else None


def _chart_quantiles(side: NumericSide) -> tuple[float, float]:
    """Approximate 0.5 % and 99.5 % points: the chart range only needs to be close."""
    b = side.buckets
    if b is not None and "sorted_values" not in side.__dict__:
        ranks = np.array([0.005, 0.995]) * b.n
        k = np.searchsorted(b.cumulative, ranks, side="right") - 1
        inner = (k > 0) & (k < b.layout.n_buckets - 1)
        if inner.all():  # the middle of the bucket holding each rank
            lo, hi = b.layout.lo + (k - 0.5) / b.layout.scale
            return float(lo), float(hi)
    lo, hi = side.quantiles(np.array([0.005, 0.995]))
    return float(lo), float(hi)


def _histogram_shares(side: NumericSide, edges: NDArray[np.float64]) -> list[float]:
    """Shares of ``side`` in ``[e_0, e_1], (e_1, e_2], ...``."""
    cdf = np.concatenate((side.cdf_below(edges[:1]), side.cdf(edges[1:])))
    out: list[float] = np.clip(np.diff(cdf), 0.0, None).round(6).tolist()
    return out


def _snap_to_buckets(
    ref: NumericSide, cur: NumericSide, edges: NDArray[np.float64]
) -> tuple[NDArray[np.float64], list[float], list[float]] | None:
    """Chart edges moved to bucket boundaries, where both sides' counts are known
    without touching the values (``None`` when the edges fall outside the buckets)."""
    a, b = ref.buckets, cur.buckets
    if a is None or b is None or a.layout != b.layout:
        return None
    layout = a.layout
    k = np.rint(layout.transform(edges)).astype(np.int64)  # boundary k: bucket k | k + 1
    if k[0] < 1 or k[-1] > layout.n_buckets - 3 or bool((np.diff(k) <= 0).any()):
        return None
    snapped = layout.lo + k / layout.scale

    def shares(side: BucketedSample) -> list[float]:
        below = side.cumulative[k + 1]  # values in buckets 0 .. k
        out: list[float] = (np.diff(below) / side.n).round(6).tolist()
        return out

    return snapped, shares(a), shares(b)


def numeric_chart(ref: NumericSide, cur: NumericSide) -> dict[str, Any]:
    """Histogram shares on shared bins (bars for a few distinct values), with moments."""
    moments: dict[str, Any] = {
        "reference_mean": _finite(ref.mean),
        "current_mean": _finite(cur.mean),
        "reference_std": _finite(ref.std),
        "current_std": _finite(cur.std),
        "axis": "datetime" if ref.kind == "datetime" else "number",
    }
    values = _distinct_values(ref, cur)
    if values is not None:  # a few distinct values (flags, counts): one bar per value

        def point_shares(side: NumericSide) -> list[float]:
            out: list[float] = (side.cdf(values) - side.cdf_below(values)).round(6).tolist()
            return out

        return {
            "type": "bars",
            "categories": [
                format_date(v) if ref.kind == "datetime" else format_number(v, digits=6)
                for v in values
            ],
            "reference": point_shares(ref),
            "current": point_shares(cur),
            **moments,
        }
    (lo_r, hi_r), (lo_c, hi_c) = _chart_quantiles(ref), _chart_quantiles(cur)
    lo, hi = min(lo_r, lo_c), max(hi_r, hi_c)
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, _CHART_BINS + 1)
    snapped = _snap_to_buckets(ref, cur, edges)
    if snapped is not None:
        edges, ref_shares, cur_shares = snapped
    else:
        ref_shares, cur_shares = _histogram_shares(ref, edges), _histogram_shares(cur, edges)
    return {
        "type": "histogram",
        "edges": edges.tolist(),
        "reference": ref_shares,
        "current": cur_shares,
        **moments,
    }


def categorical_chart(
    labels: list[str], ref_share: NDArray[np.float64], cur_share: NDArray[np.float64]
) -> dict[str, Any]:
    """Shares of the top categories on both sides, the rest as "(all others)"."""
    order = np.argsort(-np.maximum(ref_share, cur_share), kind="stable")[:_CHART_TOP]
    rest_ref = float(1.0 - ref_share[order].sum())
    rest_cur = float(1.0 - cur_share[order].sum())
    cats = [labels[i] for i in order]
    ref_vals = ref_share[order].round(6).tolist()
    cur_vals = cur_share[order].round(6).tolist()
    if len(labels) > len(order):
        cats.append("(all others)")
        ref_vals.append(round(max(rest_ref, 0.0), 6))
        cur_vals.append(round(max(rest_cur, 0.0), 6))
    return {"type": "bars", "categories": cats, "reference": ref_vals, "current": cur_vals}
