"""Multivariate drift on bounded samples: a domain classifier and PCA reconstruction error.

Both keep at most ``max_rows`` rows of each side (a uniform random sample), so their
cost does not grow with the data. Columns are encoded once: numeric columns as floats
(missing values become NaN), categorical columns as integer codes of the reference's
categories (unseen and missing categories get their own codes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray
from scipy import stats as sps

from driftline._params import Constraint, Constraints, Interval, validate
from driftline.drift._sides import numeric_values
from driftline.exceptions import InsufficientDataError, NotFittedError, ParameterError
from driftline.tabular import ColumnKind, infer_kind, to_table
from driftline.tabular import string_values as _to_strings

__all__ = ["DomainClassifierDetector", "MultivariateDrift", "PCAReconstructionDetector"]

_MIN_ROWS = 50
_MAX_CATEGORIES = 253


@dataclass(frozen=True)
class MultivariateDrift:
    """The result of a multivariate drift detector.

    ``statistic`` is the detector's score (cross-validated ROC AUC of telling current
    from reference rows, or the mean reconstruction error of current rows);
    ``effect_size`` is what ``threshold`` applies to (``AUC - 0.5``, or the relative
    increase of the mean reconstruction error); drift needs ``p_value <= alpha`` and
    ``effect_size >= threshold``. ``top_features`` lists the features that drive it.
    """

    method: str
    statistic: float
    p_value: float
    effect_size: float
    threshold: float
    alpha: float
    n_reference: int
    n_current: int
    top_features: list[tuple[str, float]] = field(default_factory=list)
    threshold_direction: str = ">="

    @property
    def drifted(self) -> bool:
        """True when the test is significant and the effect reaches the threshold."""
        return self.p_value <= self.alpha and self.effect_size >= self.threshold

    def explanation(self) -> str:
        """One line: what the detector saw and which features drive it."""
        drivers = ", ".join(name for name, _ in self.top_features[:3])
        if self.method == "domain_classifier":
            text = (
                f"a classifier tells current from reference rows with ROC AUC {self.statistic:.3f}"
            )
        else:
            text = f"reconstruction error {self.effect_size:+.0%} against the reference"
        return f"{text}; driven by {drivers}" if drivers else text

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python dictionary (JSON-serializable)."""
        return {
            "method": self.method,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "effect_size": self.effect_size,
            "threshold": self.threshold,
            "threshold_direction": self.threshold_direction,
            "alpha": self.alpha,
            "drifted": self.drifted,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "top_features": [[name, score] for name, score in self.top_features],
            "explanation": self.explanation(),
        }


class _Encoder:
    """Encodes columns to a float matrix: numeric as floats, categories as integer codes.

    The kinds come from the reference. Which categories get their own code is chosen by
    :meth:`fit_categories` from *both* samples pooled, so that under no drift the encoding
    treats the two sides alike (choosing on the reference alone would favour its own
    frequent values and leak the side into the codes).
    """

    def __init__(self, table: pa.Table) -> None:
        self.numeric: list[str] = []
        self.kinds: dict[str, ColumnKind] = {}
        self.categories: dict[str, pa.Array] = {}
        categorical: list[str] = []
        for name in table.column_names:
            arr = table.column(name).combine_chunks()
            kind = infer_kind(table.schema.field(name), arr)
            if kind in ("numeric", "datetime"):
                self.numeric.append(name)
                self.kinds[name] = kind
            elif kind in ("categorical", "boolean"):
                categorical.append(name)
        if not self.numeric and not categorical:
            raise ParameterError(
                "Multivariate drift needs at least one numeric or categorical column."
            )
        empty = pa.array([], type=pa.large_string())
        self.categories = dict.fromkeys(categorical, empty)

    def fit_categories(self, *tables: pa.Table) -> None:
        """Keep the most frequent categories of the pooled tables (at most 253 per column)."""
        for name in self.categories:
            pooled: dict[str, int] = {}
            for table in tables:
                counted = pc.value_counts(
                    _to_strings(table.column(name).combine_chunks()).drop_null()
                )
                for value, count in zip(
                    counted.field("values").to_pylist(),
                    counted.field("counts").to_pylist(),
                    strict=True,
                ):
                    pooled[str(value)] = pooled.get(str(value), 0) + int(count)
            top = sorted(pooled.items(), key=lambda t: (-t[1], t[0]))[:_MAX_CATEGORIES]
            self.categories[name] = pa.array(sorted(v for v, _ in top), type=pa.large_string())

    @property
    def names(self) -> list[str]:
        return self.numeric + list(self.categories)

    def transform(self, table: pa.Table) -> NDArray[np.float64]:
        columns = []
        for name in self.numeric:
            arr = table.column(name).combine_chunks()
            if pa.types.is_dictionary(arr.type):
                arr = arr.dictionary_decode()
            kind = self.kinds[name]
            columns.append(numeric_values(arr, "datetime" if kind == "datetime" else "numeric"))
        for name, kept in self.categories.items():
            values = _to_strings(table.column(name).combine_chunks())
            codes = pc.index_in(values, value_set=kept)  # null where not kept or missing
            unseen = pc.if_else(pc.is_null(values), _MAX_CATEGORIES + 1, _MAX_CATEGORIES)
            filled = pc.coalesce(codes, pc.cast(unseen, codes.type))
            columns.append(filled.to_numpy(zero_copy_only=False).astype(np.float64))
        matrix = np.column_stack(columns)
        matrix[~np.isfinite(matrix)] = np.nan
        return matrix


def _sample(table: pa.Table, max_rows: int, rng: np.random.Generator) -> pa.Table:
    if table.num_rows <= max_rows:
        return table
    return table.take(np.sort(rng.choice(table.num_rows, size=max_rows, replace=False)))


def _common() -> dict[str, list[Constraint]]:
    """Constraints both multivariate detectors share."""
    return {
        "max_rows": [Interval("int", 2 * _MIN_ROWS, None)],
        "alpha": [Interval("real", 0, 1, closed="neither")],
        "threshold": [Interval("real", 0, None)],
        "random_state": [Interval("int", 0, None), None],
    }


def _enough(n: int, role: str) -> None:
    if n < _MIN_ROWS:
        raise InsufficientDataError(
            f"Multivariate drift needs at least {_MIN_ROWS} {role} rows; got {n}."
        )


def _auc_pvalue(auc: float, n_ref: int, n_cur: int) -> float:
    """One-sided p-value of an AUC under "scores independent of the side" (Mann–Whitney)."""
    mean = 0.5
    sd = np.sqrt((n_ref + n_cur + 1) / (12.0 * n_ref * n_cur))
    return float(sps.norm.sf((auc - mean) / sd))


class DomainClassifierDetector:
    """Can a classifier tell current rows from reference rows?

    A gradient-boosting classifier is trained to separate a sample of the reference
    from a sample of the current data; its out-of-fold ROC AUC (``n_folds``-fold
    cross-validation) is the statistic. Under no drift the out-of-fold scores carry no
    information about the side, so the AUC follows the Mann–Whitney null distribution,
    which gives the p-value. Drift needs ``p <= alpha`` and ``AUC - 0.5 >= threshold``.
    Permutation importance on the out-of-fold predictions names the driving features.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> ref = {"a": rng.normal(size=1_000), "b": rng.normal(size=1_000)}
    >>> cur = {"a": rng.normal(1.0, size=1_000), "b": rng.normal(size=1_000)}
    >>> result = DomainClassifierDetector(random_state=0).fit(ref).compare(cur)
    >>> result.drifted, result.top_features[0][0]
    (True, 'a')
    """

    _parameter_constraints: ClassVar[Constraints] = {
        **_common(),
        "n_folds": [Interval("int", 2, None)],
    }

    def __init__(
        self,
        *,
        max_rows: int = 10_000,
        n_folds: int = 5,
        alpha: float = 0.05,
        threshold: float = 0.05,
        random_state: int | None = 0,
    ) -> None:
        validate(self, locals())
        self.max_rows = max_rows
        self.n_folds = n_folds
        self.alpha = alpha
        self.threshold = threshold
        self.random_state = random_state

    def fit(self, reference: object) -> Self:
        """Keep a bounded sample of the reference (any format ``driftline.profile`` accepts)."""
        rng = np.random.default_rng(self.random_state)
        table = _sample(to_table(reference), self.max_rows, rng)
        _enough(table.num_rows, "reference")
        self.encoder_ = _Encoder(table)
        self.reference_ = table.select(self.encoder_.names)
        return self

    def compare(self, current: object) -> MultivariateDrift:
        """Train the domain classifier and return its verdict."""
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.metrics import roc_auc_score
        from sklearn.model_selection import StratifiedKFold

        if not hasattr(self, "reference_"):
            raise NotFittedError(
                "This DomainClassifierDetector is not fitted yet. Call 'fit' first."
            )
        rng = np.random.default_rng(self.random_state)
        table = _sample(to_table(current, columns=self.encoder_.names), self.max_rows, rng)
        _enough(table.num_rows, "current")
        self.encoder_.fit_categories(self.reference_, table)
        ref = self.encoder_.transform(self.reference_)
        cur = self.encoder_.transform(table)
        x = np.vstack((ref, cur))
        y = np.r_[np.zeros(len(ref)), np.ones(len(cur))]
        n_cat = len(self.encoder_.categories)
        categorical = np.r_[np.zeros(x.shape[1] - n_cat, bool), np.ones(n_cat, bool)]
        oof = np.empty(len(y))
        importances = np.zeros(x.shape[1])
        folds = StratifiedKFold(self.n_folds, shuffle=True, random_state=self.random_state)
        for train, test in folds.split(x, y):
            model = HistGradientBoostingClassifier(
                max_iter=60,
                learning_rate=0.15,
                categorical_features=categorical if n_cat else None,
                random_state=self.random_state,
            )
            model.fit(x[train], y[train])
            oof[test] = model.predict_proba(x[test])[:, 1]
            base = roc_auc_score(y[test], oof[test])
            for j in range(x.shape[1]):
                shuffled = x[test].copy()
                shuffled[:, j] = rng.permutation(shuffled[:, j])
                importances[j] += base - roc_auc_score(y[test], model.predict_proba(shuffled)[:, 1])
        auc = float(roc_auc_score(y, oof))
        ranked = sorted(
            zip(self.encoder_.names, (importances / self.n_folds).tolist(), strict=True),
            key=lambda item: -item[1],
        )
        return MultivariateDrift(
            method="domain_classifier",
            statistic=auc,
            p_value=_auc_pvalue(auc, len(ref), len(cur)),
            effect_size=auc - 0.5,
            threshold=self.threshold,
            alpha=self.alpha,
            n_reference=len(ref),
            n_current=len(cur),
            top_features=[(n, round(s, 6)) for n, s in ranked if s > 0][:10],
        )


class PCAReconstructionDetector:
    """Does the reference's correlation structure still describe the current data?

    Numeric columns are standardized (missing values imputed with the reference
    median) and projected on the principal components that explain
    ``variance`` of the reference; the reconstruction error of each row measures how
    far it lies from the reference's main directions. Half of the reference sample fits
    the PCA, the other half gives the null distribution of errors; a one-sided
    Mann–Whitney test compares current errors with it. Drift needs ``p <= alpha`` and
    a relative increase of the mean error of at least ``threshold``. The columns whose
    squared residuals grew most drive it.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(4_000, 3))
    >>> ref = {"a": x[:, 0], "b": x[:, 0] + 0.1 * x[:, 1], "c": x[:, 2]}
    >>> cur = {"a": x[:, 0], "b": -x[:, 0] + 0.1 * x[:, 1], "c": x[:, 2]}  # correlation flips
    >>> result = PCAReconstructionDetector(random_state=0).fit(ref).compare(cur)
    >>> result.drifted, result.top_features[0][0] in {"a", "b"}
    (True, True)
    """

    _parameter_constraints: ClassVar[Constraints] = {
        **_common(),
        "variance": [Interval("real", 0, 1, closed="neither")],
    }

    def __init__(
        self,
        *,
        variance: float = 0.65,
        max_rows: int = 10_000,
        alpha: float = 0.05,
        threshold: float = 0.1,
        random_state: int | None = 0,
    ) -> None:
        validate(self, locals())
        self.variance = variance
        self.max_rows = max_rows
        self.alpha = alpha
        self.threshold = threshold
        self.random_state = random_state

    def _standardize(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        filled = np.where(np.isnan(x), self.median_, x)
        return np.asarray((filled - self.mean_) / self.scale_, dtype=np.float64)

    def _residuals(self, z: NDArray[np.float64]) -> NDArray[np.float64]:
        projected = (z @ self.components_.T) @ self.components_
        return np.asarray((z - projected) ** 2, dtype=np.float64)

    def fit(self, reference: object) -> Self:
        """Fit the PCA on half of a bounded reference sample; keep the other half's errors."""
        rng = np.random.default_rng(self.random_state)
        table = _sample(to_table(reference), self.max_rows, rng)
        _enough(table.num_rows, "reference")
        encoder = _Encoder(table)
        if not encoder.numeric:
            raise ParameterError("PCA reconstruction needs at least one numeric column.")
        numeric_only = _Encoder(table.select(encoder.numeric))
        x = numeric_only.transform(table.select(encoder.numeric))
        order = rng.permutation(len(x))
        fit_rows, null_rows = order[: len(x) // 2], order[len(x) // 2 :]
        self.encoder_ = numeric_only
        self.median_ = np.nanmedian(x[fit_rows], axis=0)
        filled = np.where(np.isnan(x[fit_rows]), self.median_, x[fit_rows])
        self.mean_ = filled.mean(axis=0)
        scale = filled.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        z = (filled - self.mean_) / self.scale_
        _, singular, vt = np.linalg.svd(z, full_matrices=False)
        explained = np.cumsum(singular**2) / np.sum(singular**2)
        k = int(np.searchsorted(explained, self.variance) + 1)
        self.components_ = vt[: min(k, vt.shape[0])]
        self.reference_residuals_ = self._residuals(self._standardize(x[null_rows]))
        return self

    def compare(self, current: object) -> MultivariateDrift:
        """Compare the current rows' reconstruction errors with the reference's."""
        if not hasattr(self, "components_"):
            raise NotFittedError(
                "This PCAReconstructionDetector is not fitted yet. Call 'fit' first."
            )
        rng = np.random.default_rng(self.random_state)
        table = _sample(to_table(current, columns=self.encoder_.names), self.max_rows, rng)
        _enough(table.num_rows, "current")
        residuals = self._residuals(self._standardize(self.encoder_.transform(table)))
        ref_err = self.reference_residuals_.sum(axis=1)
        cur_err = residuals.sum(axis=1)
        test = sps.mannwhitneyu(cur_err, ref_err, alternative="greater")
        ref_mean = float(ref_err.mean())
        effect = float(cur_err.mean() / ref_mean - 1.0) if ref_mean > 0 else float("inf")
        growth = residuals.mean(axis=0) - self.reference_residuals_.mean(axis=0)
        ranked = sorted(zip(self.encoder_.names, growth.tolist(), strict=True), key=lambda t: -t[1])
        return MultivariateDrift(
            method="pca_reconstruction",
            statistic=float(cur_err.mean()),
            p_value=float(test.pvalue),
            effect_size=effect,
            threshold=self.threshold,
            alpha=self.alpha,
            n_reference=len(ref_err),
            n_current=len(cur_err),
            top_features=[(n, round(g, 6)) for n, g in ranked if g > 0][:10],
        )
