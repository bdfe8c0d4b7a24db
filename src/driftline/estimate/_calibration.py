"""Isotonic calibration of scores, and the choice of whether to calibrate at all.

The isotonic fit sorts the scores once and runs the pool-adjacent-violators
algorithm (scikit-learn's ``isotonic_regression``) on the per-unique-score label
means, so it costs one sort plus O(n). Cross-validation reuses that sort: the
training rows of a fold, taken in the global sorted order, are already sorted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from sklearn.isotonic import isotonic_regression

from driftline.exceptions import InsufficientDataError, ParameterError

__all__ = ["CalibrationChoice", "IsotonicMap", "choose_calibration", "expected_calibration_error"]

FloatArray = npt.NDArray[np.float64]

#: Folds of the cross-validated isotonic fit used to decide whether to calibrate.
CV_FOLDS = 5
#: Above this many distinct scores, isotonic fits run on this many runs of sorted rows
#: (at 1M rows, ~60 rows each: far below the size of a PAVA block there).
MAX_GROUPS = 16_384
#: Equal-mass bins of the expected calibration error (reported, not used to decide).
ECE_BINS = 15


@dataclass(frozen=True)
class IsotonicMap:
    """An increasing map from raw score to probability (linear between knots, flat outside)."""

    knots: FloatArray
    values: FloatArray

    def __call__(self, scores: FloatArray) -> FloatArray:
        return np.asarray(np.interp(scores, self.knots, self.values), dtype=np.float64)


def _fit_groups(x: FloatArray, weight: FloatArray, label_sum: FloatArray) -> IsotonicMap:
    """Centred isotonic regression on groups of rows sorted by score.

    ``x`` is each group's mean score, ``weight`` its row count and ``label_sum`` its
    number of positives. PAVA gives constant blocks; the map passes through each
    block's value at the block's mean score and is linear between those centres
    (Oron & Flournoy, 2017). A step function would tie every row of a block, which
    biases the expected ROC AUC down (pairs inside a block would count 1/2).
    """
    keep = weight > 0
    x, weight, label_sum = x[keep], weight[keep], label_sum[keep]
    fitted = np.asarray(
        isotonic_regression(label_sum / weight, sample_weight=weight, increasing=True),
        dtype=np.float64,
    )
    block_start = np.flatnonzero(np.concatenate([[True], fitted[1:] != fitted[:-1]]))
    block_weight = np.add.reduceat(weight, block_start)
    centres = np.add.reduceat(x * weight, block_start) / block_weight
    return IsotonicMap(centres, fitted[block_start].copy())


def _groups(s_sorted: FloatArray) -> npt.NDArray[np.intp]:
    """Group id of each sorted row: one group per distinct score, or, beyond
    ``MAX_GROUPS`` distinct scores, ``MAX_GROUPS`` runs of consecutive sorted rows."""
    n = s_sorted.size
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.not_equal(s_sorted[1:], s_sorted[:-1], out=new[1:])
    if int(new.sum()) <= MAX_GROUPS:
        return np.cumsum(new) - 1
    return (np.arange(n) * MAX_GROUPS // n).astype(np.intp)


def _ece(gap: FloatArray, count: FloatArray, bins: int = ECE_BINS) -> float:
    """ECE from per-group ``gap`` = Σ (probability − label) and row ``count``, groups in
    score order: equal-mass bins of rows (a group is not split across bins)."""
    n = float(count.sum())
    start = np.cumsum(count) - count
    which = np.minimum((start * bins / n).astype(np.intp), bins - 1)
    return float(np.abs(np.bincount(which, weights=gap, minlength=bins)).sum() / n)


def expected_calibration_error(
    prob_sorted: FloatArray, y_sorted: FloatArray, *, bins: int = ECE_BINS
) -> float:
    """ECE over equal-mass bins of rows already sorted by (raw) score.

    >>> p = np.linspace(0.05, 0.95, 100)
    >>> expected_calibration_error(p, p)
    0.0
    """
    return _ece(prob_sorted - y_sorted, np.ones(prob_sorted.size), bins)


@dataclass(frozen=True)
class CalibrationChoice:
    """What was measured on the reference and what was decided."""

    calibrated: bool
    brier_raw: float
    brier_isotonic_cv: float
    ece_raw: float
    ece_isotonic_cv: float
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {
            "calibrated": self.calibrated,
            "brier_raw": self.brier_raw,
            "brier_isotonic_cv": self.brier_isotonic_cv,
            "ece_raw": self.ece_raw,
            "ece_isotonic_cv": self.ece_isotonic_cv,
            "reason": self.reason,
        }


def choose_calibration(
    scores: FloatArray,
    y: FloatArray,
    mode: Literal["auto", "isotonic", "none"],
    *,
    seed: int = 0,
    order: npt.NDArray[np.intp] | None = None,
) -> tuple[IsotonicMap | None, list[IsotonicMap], CalibrationChoice]:
    """Decide whether to calibrate ``scores`` against labels ``y`` (0/1), and fit the map.

    ``auto`` calibrates when the Brier score of 5-fold cross-validated isotonic
    probabilities is lower than that of the raw scores (or when raw scores leave [0, 1]).
    Returns the map (None when not calibrating), the per-fold maps (each fitted without
    one fold; used for the delete-a-fold jackknife of the estimate) and the decision.
    ``order`` (optional) is ``argsort(scores)``, when already known.

    >>> rng = np.random.default_rng(0)
    >>> s = rng.random(5_000)
    >>> y = (rng.random(5_000) < s**3).astype(float)   # raw scores are miscalibrated
    >>> cal, fold_maps, choice = choose_calibration(s, y, "auto")
    >>> choice.calibrated, choice.brier_isotonic_cv < choice.brier_raw
    (True, True)
    """
    n = scores.size
    if n < 2 * CV_FOLDS:
        raise InsufficientDataError(
            f"Calibration needs at least {2 * CV_FOLDS} labelled reference rows; got {n}."
        )
    raw_ok = bool(scores.min() >= 0.0 and scores.max() <= 1.0)
    if mode == "none" and not raw_ok:
        raise ParameterError(
            "calibration='none' needs scores that are probabilities in [0, 1]; the reference "
            f"scores span [{scores.min():.4g}, {scores.max():.4g}]. Use calibration='auto' "
            "or 'isotonic'."
        )
    if order is None:
        order = np.argsort(scores)
    s_sorted = scores[order]
    y_sorted = y[order]
    # Folds are drawn in score order, so the result does not depend on the row order.
    folds = np.random.default_rng(seed).integers(0, CV_FOLDS, n)
    group = _groups(s_sorted)
    n_groups = int(group[-1]) + 1
    key = group * CV_FOLDS + folds
    size = n_groups * CV_FOLDS

    def per_fold(weights: FloatArray | None) -> FloatArray:
        counts = np.bincount(key, weights=weights, minlength=size)
        return np.asarray(counts, dtype=np.float64).reshape(n_groups, CV_FOLDS)

    count, positives, score_sum = per_fold(None), per_fold(y_sorted), per_fold(s_sorted)
    total_c, total_y, total_s = count.sum(axis=1), positives.sum(axis=1), score_sum.sum(axis=1)
    # Out-of-fold predictions at group level: the held-out rows of group g in fold f get
    # the fold map's value at their mean score (exact when a group is one distinct score).
    held_out = np.zeros((n_groups, CV_FOLDS))
    fold_maps = []
    for f in range(CV_FOLDS):
        c = total_c - count[:, f]
        if not c.any() or not count[:, f].any():
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            x = (total_s - score_sum[:, f]) / c
            x_out = np.where(count[:, f] > 0, score_sum[:, f] / count[:, f], 0.0)
        fold_map = _fit_groups(x, c, total_y - positives[:, f])
        held_out[:, f] = fold_map(x_out)
        fold_maps.append(fold_map)
    # Σ (q − y)² over the rows of a (group, fold) cell = count·q² − 2·q·positives + positives.
    brier_iso = float((count * held_out**2 - 2 * held_out * positives + positives).sum() / n)
    ece_iso = _ece((count * held_out - positives).sum(axis=1), total_c)
    if raw_ok:
        brier_raw = float(np.mean((s_sorted - y_sorted) ** 2))
        ece_raw = _ece(total_s - total_y, total_c)
    else:
        brier_raw = ece_raw = float("nan")
    if mode == "isotonic":
        calibrate, reason = True, "calibration='isotonic' was requested"
    elif mode == "none":
        calibrate, reason = False, "calibration='none' was requested"
    elif not raw_ok:
        calibrate, reason = True, "raw scores are not probabilities in [0, 1]"
    else:
        calibrate = brier_iso < brier_raw
        reason = (
            "cross-validated isotonic Brier score is lower than the raw scores'"
            if calibrate
            else "raw scores are at least as well calibrated as cross-validated isotonic ones"
        )
    choice = CalibrationChoice(calibrate, brier_raw, brier_iso, ece_raw, ece_iso, reason)
    if not calibrate:
        return None, [], choice
    return _fit_groups(total_s / total_c, total_c, total_y), fold_maps, choice
