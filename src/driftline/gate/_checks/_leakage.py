"""Leakage heuristics: one feature that predicts the target alone; rows shared with training."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import Field
from scipy import stats

from driftline.gate._registry import CheckOutcome, CheckSpec, fmt, register_check

if TYPE_CHECKING:
    from driftline.gate._context import GateContext

__all__ = ["TargetLeakageCheck", "TrainOverlapCheck", "single_feature_strength"]


def _auc(y: NDArray[np.float64], s: NDArray[np.float64]) -> float:
    """ROC AUC by ranks (ties averaged), folded so that 0.3 and 0.7 count the same."""
    pos = y == 1
    n1, n0 = int(pos.sum()), int((~pos).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = stats.rankdata(s)
    auc = (r[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)
    return float(max(auc, 1.0 - auc))


def _oof_encode(col: NDArray[Any], y: NDArray[np.float64], seed: int) -> NDArray[np.float64]:
    """Two-fold out-of-fold target-mean encoding (unseen categories get the fold's mean), so
    that an identifier column does not look predictive."""
    codes, _ = pd.factorize(pd.Series(col).astype("string"), use_na_sentinel=False)
    fold = np.random.default_rng(seed).random(len(y)) < 0.5
    out = np.empty(len(y))
    k = int(codes.max()) + 1 if len(codes) else 0
    for f in (True, False):
        train = fold == f
        sums = np.bincount(codes[train], weights=y[train], minlength=k)
        cnts = np.bincount(codes[train], minlength=k)
        base = y[train].mean() if train.any() else y.mean()
        rate = np.where(cnts > 0, sums / np.maximum(cnts, 1), base)
        out[~train] = rate[codes[~train]]
    return out


def single_feature_strength(
    frame: pd.DataFrame, y: NDArray[Any], *, task: str, seed: int = 0
) -> dict[str, float]:
    """Per column: folded ROC AUC (binary; multiclass: the mean over classes of the
    one-vs-rest folded AUC) or ``|Spearman rho|`` (regression) of the column alone against
    the target. Numeric columns are used as scores (missing values as the lowest value);
    other columns through an out-of-fold target-mean encoding.

    >>> import numpy as np, pandas as pd
    >>> y = np.array([0.0, 0.0, 1.0, 1.0])
    >>> single_feature_strength(pd.DataFrame({"x": [1, 2, 3, 4]}), y, task="binary")
    {'x': 1.0}
    """
    if task == "multiclass":
        per_class = [
            single_feature_strength(frame, (y == c).astype(np.float64), task="binary", seed=seed)
            for c in np.unique(y)
        ]
        mean: dict[str, float] = {}
        for name in frame.columns:
            values = np.array([p[str(name)] for p in per_class])
            finite = values[np.isfinite(values)]
            mean[str(name)] = float(finite.mean()) if finite.size else float("nan")
        return mean
    out: dict[str, float] = {}
    for name in frame.columns:
        col = frame[name]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            v = col.to_numpy(dtype=np.float64, na_value=np.nan)
            finite = np.isfinite(v)
            low = np.nanmin(v[finite]) - 1.0 if finite.any() else 0.0
            s = np.where(finite, v, low)
        else:
            s = _oof_encode(col.to_numpy(), y, seed)
        if task == "binary":
            out[str(name)] = _auc(y, s)
        else:
            rho = stats.spearmanr(s, y).statistic
            out[str(name)] = float(abs(rho)) if np.isfinite(rho) else float("nan")
    return out


@register_check("target_leakage")
class TargetLeakageCheck(CheckSpec):
    """No single feature predicts the target almost perfectly on the evaluation data:
    folded ROC AUC (binary) or ``|Spearman rho|`` (regression) below ``max_strength``.

    >>> TargetLeakageCheck().label
    'no single feature with strength >= 0.99'
    """

    kind: Literal["target_leakage"] = "target_leakage"
    max_strength: float = Field(default=0.99, gt=0.5, le=1.0)

    def describe(self) -> str:
        return f"no single feature with strength >= {self.max_strength:g}"

    def evaluate(self, ctx: GateContext) -> CheckOutcome:
        y = ctx.require_target(self.label)
        strength = single_feature_strength(
            ctx.X, y, task=ctx.policy.task, seed=ctx.policy.random_state
        )
        finite = {k: v for k, v in strength.items() if np.isfinite(v)}
        if not finite:
            return CheckOutcome.not_evaluated(
                "no feature could be scored (a constant target or no usable column)",
                self.max_strength, "<", details={"strength": strength},
            )  # fmt: skip
        top = max(finite, key=lambda k: finite[k])
        flagged = sorted(k for k, v in finite.items() if v >= self.max_strength)
        ok = not flagged
        what = {"binary": "ROC AUC", "multiclass": "mean one-vs-rest ROC AUC"}.get(
            ctx.policy.task, "|Spearman rho|"
        )
        reason = f"strongest single feature {top!r}: {what} {fmt(finite[top])}" + (
            f"; suspected leakage: {', '.join(flagged)}" if flagged else ""
        )
        return CheckOutcome(ok, finite[top], self.max_strength, "<", reason,
                            details={"strength": strength, "flagged": flagged})  # fmt: skip


def _row_hashes(frame: pd.DataFrame) -> NDArray[np.uint64]:
    out = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return np.asarray(out, dtype=np.uint64)


@register_check("train_overlap")
class TrainOverlapCheck(CheckSpec):
    """At most ``max_share`` of evaluation rows also appear in the training data (rows are
    compared by a 64-bit hash of their feature values, target excluded).

    >>> TrainOverlapCheck(max_share=0.01).label
    'rows shared with training <= 1.00%'
    """

    kind: Literal["train_overlap"] = "train_overlap"
    max_share: float = Field(default=0.0, ge=0.0, le=1.0)

    def describe(self) -> str:
        return f"rows shared with training <= {self.max_share:.2%}"

    def evaluate(self, ctx: GateContext) -> CheckOutcome:
        train = ctx.require_train(self.label)
        cols = [c for c in ctx.features if c in train.columns]
        ev = ctx.data[cols].reset_index(drop=True)
        tr = train[cols].reset_index(drop=True)
        tr = tr.astype(
            {c: ev[c].dtype for c in cols if tr[c].dtype != ev[c].dtype}, errors="ignore"
        )
        shared = np.isin(_row_hashes(ev), _row_hashes(tr))
        share = float(shared.mean()) if len(shared) else 0.0
        ok = share <= self.max_share
        reason = (
            f"{int(shared.sum())} of {len(shared)} evaluation rows ({share:.2%}) also in the "
            f"training data ({len(cols)} columns compared)"
        )
        return CheckOutcome(ok, share, self.max_share, "<=", reason,
                            details={"n_shared": int(shared.sum())})  # fmt: skip
