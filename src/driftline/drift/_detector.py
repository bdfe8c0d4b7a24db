"""``DriftDetector``: fit on a reference, compare current data, get a sound verdict."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Literal, Self, TypeVar

import numpy as np

from driftline import stats
from driftline.drift._columns import (
    CATEGORICAL_METHODS,
    DEFAULT_THRESHOLDS,
    NUMERIC_METHODS,
    ColumnDrift,
    ColumnMethod,
    compare_categorical,
    compare_numeric,
)
from driftline.drift._multivariate import (
    DomainClassifierDetector,
    MultivariateDrift,
    PCAReconstructionDetector,
)
from driftline.drift._report import DriftReport
from driftline.drift._sides import (
    CategoricalSide,
    NumericSide,
    Side,
    pandas_float_columns,
    side_from_array,
    side_from_profile,
    side_from_values,
)
from driftline.exceptions import NotFittedError, ParameterError, SchemaMismatchError
from driftline.profiles._dataset import DatasetProfile
from driftline.stats._bucketed import BucketLayout
from driftline.tabular import to_table

__all__ = ["DriftDetector"]

Correction = Literal["fdr_bh", "bonferroni", "holm", "none"]
Multivariate = Literal["domain_classifier", "pca"]
_MULTIVARIATE: tuple[Multivariate, ...] = ("domain_classifier", "pca")
_CORRECTIONS: tuple[Correction, ...] = ("fdr_bh", "bonferroni", "holm", "none")
_T = TypeVar("_T")
_R = TypeVar("_R")


def _map(fn: Callable[[_T], _R], items: Sequence[_T], n_jobs: int) -> list[_R]:
    """Map over columns, in threads when it helps (numpy sorts and Arrow release the GIL)."""
    if n_jobs <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(n_jobs, len(items))) as pool:
        return list(pool.map(fn, items))


class DriftDetector:
    """Detect distribution drift between a reference and current data, column by column.

    Parameters
    ----------
    method:
        ``"auto"`` picks per column kind: the Kolmogorov–Smirnov test for numeric and
        datetime columns (effect size: Wasserstein-1 distance in reference standard
        deviations) and the chi-squared test with sparse-category pooling for
        categorical and boolean columns (effect size: total-variation distance). A
        mapping ``{column: method}`` overrides single columns; methods are
        ``"ks"``, ``"wasserstein"``, ``"psi"``, ``"jensen_shannon"`` (numeric) and
        ``"chi2"``, ``"total_variation"``, ``"psi"``, ``"jensen_shannon"`` (categorical).
    alpha:
        Level of the tests after correction across columns.
    correction:
        Multiple-testing correction across columns: Benjamini–Hochberg (``"fdr_bh"``),
        ``"bonferroni"``, ``"holm"`` or ``"none"``.
    thresholds:
        Effect-size thresholds by effect name, overriding
        ``{"wasserstein_sd": 0.1, "total_variation": 0.1, "psi": 0.2, "jensen_shannon": 0.1}``.
    columns, exclude:
        Which columns to compare (default: all columns of the reference).
    min_rows:
        Columns with fewer non-missing values on either side are reported as not tested.
    n_jobs:
        Threads used across columns (default: up to 4, bounded by the CPU count).
    multivariate:
        Multivariate detectors to run as well, on bounded samples of raw rows:
        ``"domain_classifier"`` (:class:`DomainClassifierDetector`) and ``"pca"``
        (:class:`PCAReconstructionDetector`). They need a raw reference, not a profile.
    random_state:
        Seed of the multivariate detectors' sampling and models.

    A column drifts when its adjusted p-value is at most ``alpha`` **and** its effect
    size reaches its threshold; the data set drifts when any column does.

    >>> from driftline.testing import make_monitoring_data
    >>> reference, current = make_monitoring_data(2_000, drift=False)
    >>> DriftDetector().fit(reference).compare(current).drifted
    False
    """

    def __init__(
        self,
        *,
        method: Literal["auto"] | Mapping[str, ColumnMethod] = "auto",
        alpha: float = 0.05,
        correction: Correction = "fdr_bh",
        thresholds: Mapping[str, float] | None = None,
        columns: Sequence[str] | None = None,
        exclude: Sequence[str] = (),
        min_rows: int = 30,
        n_jobs: int | None = None,
        multivariate: Sequence[Multivariate] = (),
        random_state: int | None = 0,
    ) -> None:
        if not (isinstance(method, str) and method == "auto") and not isinstance(method, Mapping):
            raise ParameterError(
                "The 'method' parameter must be 'auto' or a mapping {column: method}; "
                f"got {method!r}."
            )
        if isinstance(method, Mapping):
            allowed = set(NUMERIC_METHODS) | set(CATEGORICAL_METHODS)
            bad = {k: v for k, v in method.items() if v not in allowed}
            if bad:
                raise ParameterError(f"Unknown drift method(s) {bad}; allowed: {sorted(allowed)}.")
        if not (isinstance(alpha, float | int) and 0 < alpha < 1):
            raise ParameterError(f"The 'alpha' parameter must be in (0, 1); got {alpha!r}.")
        if correction not in _CORRECTIONS:
            raise ParameterError(
                f"The 'correction' parameter must be one of {list(_CORRECTIONS)}; "
                f"got {correction!r}."
            )
        merged = dict(DEFAULT_THRESHOLDS)
        for key, value in (thresholds or {}).items():
            if key not in DEFAULT_THRESHOLDS:
                raise ParameterError(
                    f"Unknown threshold {key!r}; thresholds are set per effect size: "
                    f"{sorted(DEFAULT_THRESHOLDS)}."
                )
            if not (isinstance(value, float | int) and value >= 0):
                raise ParameterError(f"Threshold {key!r} must be a number >= 0; got {value!r}.")
            merged[key] = float(value)
        if not (isinstance(min_rows, int) and min_rows >= 2):
            raise ParameterError(
                f"The 'min_rows' parameter must be an integer >= 2; got {min_rows!r}."
            )
        if n_jobs is not None and not (isinstance(n_jobs, int) and n_jobs >= 1):
            raise ParameterError(f"The 'n_jobs' parameter must be an integer >= 1; got {n_jobs!r}.")
        unknown = [m for m in multivariate if m not in _MULTIVARIATE]
        if unknown or isinstance(multivariate, str):
            raise ParameterError(
                f"The 'multivariate' parameter must be a list drawn from {list(_MULTIVARIATE)}; "
                f"got {multivariate!r}."
            )
        self.multivariate = list(multivariate)
        self.random_state = random_state
        self.method = method
        self.alpha = float(alpha)
        self.correction: Correction = correction
        self.thresholds = merged
        self.columns = None if columns is None else list(columns)
        self.exclude = list(exclude)
        self.min_rows = min_rows
        self.n_jobs = n_jobs if n_jobs is not None else min(4, os.cpu_count() or 1)

    # ------------------------------------------------------------------ fit

    def _read(
        self,
        data: object,
        names: Sequence[str] | None,
        role: str,
        layouts: Mapping[str, BucketLayout] | None = None,
    ) -> tuple[dict[str, Side], dict[str, str], int]:
        sides: dict[str, Side] = {}
        untestable: dict[str, str] = {}
        if isinstance(data, DatasetProfile):
            wanted = list(names) if names is not None else data.column_names
            missing = [n for n in wanted if n not in data]
            if missing:
                raise SchemaMismatchError(
                    f"The {role} profile has no column(s) {missing}; it has {data.column_names}."
                )
            for name in wanted:
                if name in self.exclude:
                    continue
                side = side_from_profile(data[name])
                if side is None:
                    untestable[name] = f"{data[name].kind} columns are not tested for drift"
                else:
                    sides[name] = side
            return sides, untestable, data.n_rows
        wanted, build, n_rows = self._raw_sides(data, names, layouts)
        built = _map(build, wanted, self.n_jobs)
        for name, side in zip(wanted, built, strict=True):
            if side is None:
                untestable[name] = "text-like or untyped columns are not tested for drift"
            else:
                sides[name] = side
        return sides, untestable, n_rows

    def _raw_sides(
        self,
        data: object,
        names: Sequence[str] | None,
        layouts: Mapping[str, BucketLayout] | None,
    ) -> tuple[list[str], Callable[[str], Side | None], int]:
        """The columns to read from raw ``data``, a function building one side, the rows.

        Sides are built on demand so that ``compare`` can build and compare a column in
        one step (and drop its current side right after).
        """
        floats = pandas_float_columns(data, names)
        order: list[str] | None = list(names) if names is not None else None
        if floats and names is None:
            order = [str(c) for c in data.columns]  # type: ignore[attr-defined]
        rest = None if order is None else [n for n in order if n not in floats]
        table = to_table(data, columns=rest) if rest is None or rest or not floats else None
        if order is None:
            order = table.column_names if table is not None else []
        wanted = [n for n in order if n not in self.exclude]
        fitting = layouts is None
        found = layouts or {}

        def build(name: str) -> Side | None:
            if name in floats:
                return side_from_values(floats[name], layout=found.get(name), bucket=fitting)
            assert table is not None
            return side_from_array(
                table.schema.field(name), table.column(name), layout=found.get(name), bucket=fitting
            )

        has_table = table is not None and table.num_columns > 0
        n_rows = table.num_rows if has_table else len(data)  # type: ignore[union-attr,arg-type]
        return wanted, build, n_rows

    def fit(self, reference: object) -> Self:
        """Learn the reference: raw data in any format ``driftline.profile`` accepts, or a profile.

        Raw numeric columns keep their values (large ones also counted into fine
        buckets, so that ``compare`` needs no sort; exact statistics later); profiles keep
        their sketches (statistics within the sketches' error bound).
        """
        sides, untestable, n_rows = self._read(reference, self.columns, "reference")
        self.reference_: dict[str, Side] = sides
        self.untestable_: dict[str, str] = untestable
        self.n_reference_: int = n_rows
        self.feature_names_in_: list[str] = list(sides) + list(untestable)
        self.multivariate_: dict[str, DomainClassifierDetector | PCAReconstructionDetector] = {}
        if self.multivariate:
            if isinstance(reference, DatasetProfile):
                raise ParameterError(
                    "Multivariate drift needs raw reference rows (it keeps a bounded sample); "
                    "fit on data instead of a profile, or pass multivariate=()."
                )
            columns = list(sides)
            table = to_table(reference, columns=columns)
            for name in self.multivariate:
                detector = (
                    DomainClassifierDetector(random_state=self.random_state)
                    if name == "domain_classifier"
                    else PCAReconstructionDetector(random_state=self.random_state)
                )
                self.multivariate_[name] = detector.fit(table)
        return self

    # -------------------------------------------------------------- compare

    def _method_for(self, name: str, side: Side) -> ColumnMethod:
        chosen: ColumnMethod | None = None
        if isinstance(self.method, Mapping):
            chosen = self.method.get(name)
        allowed = NUMERIC_METHODS if isinstance(side, NumericSide) else CATEGORICAL_METHODS
        if chosen is None:
            return "ks" if isinstance(side, NumericSide) else "chi2"
        if chosen not in allowed:
            raise ParameterError(
                f"Method {chosen!r} does not apply to {side.kind} column {name!r}; "
                f"use one of {list(allowed)}."
            )
        return chosen

    def _compare_one(self, item: tuple[str, Side, Side]) -> ColumnDrift | str:
        name, ref, cur = item
        if type(ref) is not type(cur):
            return f"kind changed: {ref.kind} in the reference, {cur.kind} now"
        if ref.n < self.min_rows or cur.n < self.min_rows:
            return (
                f"too few values: {ref.n} in the reference and {cur.n} now; "
                f"at least {self.min_rows} are needed on each side"
            )
        method = self._method_for(name, ref)
        if isinstance(ref, NumericSide) and isinstance(cur, NumericSide):
            return compare_numeric(name, ref, cur, method=method, thresholds=self.thresholds)
        if isinstance(ref, CategoricalSide) and isinstance(cur, CategoricalSide):
            return compare_categorical(name, ref, cur, method=method, thresholds=self.thresholds)
        return "unsupported column kind"

    def compare(self, current: object) -> DriftReport:
        """Compare ``current`` (raw data or a profile) with the fitted reference."""
        if not hasattr(self, "reference_"):
            raise NotFittedError("This DriftDetector is not fitted yet. Call 'fit' first.")
        names = list(self.reference_)
        layouts = {
            n: side.buckets.layout
            for n, side in self.reference_.items()
            if isinstance(side, NumericSide) and side.buckets is not None
        }
        try:
            if isinstance(current, DatasetProfile):
                current_sides, _, n_rows = self._read(
                    current, self._present(current, names), "current", layouts
                )
                present = [n for n in names if n in current_sides]
                outcomes = _map(
                    lambda n: self._compare_one((n, self.reference_[n], current_sides[n])),
                    present,
                    self.n_jobs,
                )
            else:
                present, outcomes, n_rows = self._read_and_compare(current, names, layouts)
        except SchemaMismatchError as exc:
            raise SchemaMismatchError(
                f"The current data lacks columns the reference has: {exc} "
                "Pass columns=[...] to DriftDetector to compare a subset."
            ) from exc
        missing = [n for n in names if n not in present]
        if missing:
            raise SchemaMismatchError(
                f"The current data lacks column(s) {missing} that the reference has. "
                "Pass columns=[...] to DriftDetector to compare a subset."
            )
        skipped = dict(self.untestable_)
        results: dict[str, ColumnDrift] = {}
        for name, outcome in zip(names, outcomes, strict=True):
            if isinstance(outcome, str):
                skipped[name] = outcome
            else:
                results[name] = outcome
        multivariate: dict[str, MultivariateDrift] = {}
        if self.multivariate_:
            if isinstance(current, DatasetProfile):
                raise ParameterError(
                    "Multivariate drift needs raw current rows; compare data, not a profile."
                )
            table = to_table(current, columns=list(self.reference_))
            for key, detector in self.multivariate_.items():
                multivariate[key] = detector.compare(table)
        return DriftReport(
            columns=self._decide(results),
            multivariate=multivariate,
            alpha=self.alpha,
            correction=self.correction,
            n_reference=self.n_reference_,
            n_current=n_rows,
            skipped=skipped,
        )

    def _read_and_compare(
        self, current: object, names: list[str], layouts: Mapping[str, BucketLayout]
    ) -> tuple[list[str], list[ColumnDrift | str], int]:
        """Build each current side and compare it at once (its buckets are freed early)."""
        wanted, build, n_rows = self._raw_sides(current, names, layouts)

        def one(name: str) -> ColumnDrift | str | None:
            side = build(name)
            if side is None:
                return None
            return self._compare_one((name, self.reference_[name], side))

        found = _map(one, wanted, self.n_jobs)
        present = [n for n, outcome in zip(wanted, found, strict=True) if outcome is not None]
        outcomes = [outcome for outcome in found if outcome is not None]
        return present, outcomes, n_rows

    def _present(self, current: object, names: Iterable[str]) -> list[str]:
        wanted = list(names)
        if isinstance(current, DatasetProfile):
            return [n for n in wanted if n in current]  # missing ones are reported below
        return wanted

    def _decide(self, results: dict[str, ColumnDrift]) -> dict[str, ColumnDrift]:
        tested = [n for n, r in results.items() if r.p_value is not None]
        adjusted: dict[str, float] = {}
        if tested:
            p = np.array([results[n].p_value for n in tested], dtype=np.float64)
            adj = stats.adjust_p_values(p, method=self.correction)
            adjusted = dict(zip(tested, adj.tolist(), strict=True))
        return {
            n: r.decided(p_value_adjusted=adjusted.get(n), alpha=self.alpha)
            for n, r in results.items()
        }
