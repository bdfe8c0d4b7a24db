"""``DriftDetector``: fit on a reference, compare current data, get a sound verdict."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar, Literal, Self, TypeVar

import pyarrow as pa

from driftline._params import Constraints, InstanceOf, Interval, Options, check, invalid, validate
from driftline.drift._bucketed import BucketLayout
from driftline.drift._chunks import ChunkPeriod, split
from driftline.drift._column import measure_column
from driftline.drift._decide import Correction, decide
from driftline.drift._methods import (
    DEFAULT_METHODS,
    EFFECT_THRESHOLDS,
    DriftMethod,
    drift_methods,
    get_drift_method,
)
from driftline.drift._multivariate import (
    DomainClassifierDetector,
    MultivariateDrift,
    PCAReconstructionDetector,
)
from driftline.drift._names import available_columns, check_names, did_you_mean
from driftline.drift._report import DriftChunk, DriftReport
from driftline.drift._result import ColumnDrift
from driftline.drift._sides import (
    KINDS,
    ColumnKind,
    NumericSide,
    Side,
    empty_side,
    pandas_float_columns,
    side_from_array,
    side_from_profile,
    side_from_values,
)
from driftline.exceptions import NotFittedError, ParameterError, SchemaMismatchError
from driftline.profiles import DatasetProfile
from driftline.tabular import to_table

__all__ = ["DriftDetector"]

Multivariate = Literal["domain_classifier", "pca"]
_MULTIVARIATE: tuple[Multivariate, ...] = ("domain_classifier", "pca")
_CORRECTIONS: tuple[Correction, ...] = ("fdr_bh", "bonferroni", "holm", "none")
_T = TypeVar("_T")
_R = TypeVar("_R")
Built = Side | Literal["text", "empty"]
Outcome = ColumnDrift | str


def _map(fn: Callable[[_T], _R], items: Sequence[_T], n_jobs: int) -> list[_R]:
    """Map over columns, in threads when it helps (numpy sorts and Arrow release the GIL)."""
    if n_jobs <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(n_jobs, len(items))) as pool:
        return list(pool.map(fn, items))


def _check_method(method: object) -> None:
    if isinstance(method, str):
        return  # "auto", checked by the table
    known = drift_methods()
    bad = {k: v for k, v in method.items() if v not in known}  # type: ignore[attr-defined]
    if bad:
        raise invalid(
            "DriftDetector",
            "method",
            method,
            f"'auto' or a mapping {{column: method}} of known methods {sorted(known)}",
            f"Unknown drift method(s): {bad}.",
        )


def _check_schema(schema: Mapping[str, str] | None) -> dict[str, ColumnKind]:
    if schema is None:
        return {}
    bad = {k: v for k, v in schema.items() if v not in KINDS}
    if bad:
        raise invalid(
            "DriftDetector",
            "schema",
            schema,
            f"a mapping {{column: kind}} of kinds {list(KINDS)}",
            f"Unknown column kind(s): {bad}.",
        )
    return {str(k): v for k, v in schema.items()}  # type: ignore[misc]


class DriftDetector:
    """Detect distribution drift between a reference and current data, column by column.

    Parameters
    ----------
    method:
        ``"auto"``: the Kolmogorov–Smirnov test (tie-aware p-value) for numeric and
        datetime columns, effect size the Wasserstein-1 distance in reference standard
        deviations; the chi-squared test for categorical and boolean columns, effect
        sizes the total-variation distance and the PSI over categories. A mapping
        ``{column: method}`` overrides single columns with any of
        :func:`driftline.drift.drift_methods` (``"ks"``, ``"cvm"``, ``"anderson"``,
        ``"wasserstein"``, ``"chi2"``, ``"g_test"``, ``"total_variation"``, ``"psi"``,
        ``"jensen_shannon"``, ``"hellinger"``).
    alpha:
        Level of the tests after correction across columns (and chunks).
    correction:
        Multiple-testing correction across every test of a report: Benjamini–Hochberg
        (``"fdr_bh"``), ``"bonferroni"``, ``"holm"`` or ``"none"``.
    thresholds:
        Effect-size thresholds by effect name, overriding ``EFFECT_THRESHOLDS``
        (``wasserstein_sd`` 0.1, ``total_variation`` 0.1, ``category_psi`` 0.2, ``psi`` 0.2,
        ``jensen_shannon`` 0.1, ``hellinger`` 0.1, ``missing_cohens_h`` 0.2).
    columns, exclude:
        Which columns to compare (default: all columns of the reference).
    schema:
        ``{column: kind}`` overriding the inferred kind (``"numeric"``, ``"datetime"``,
        ``"categorical"``, ``"boolean"``, ``"text"``), e.g. integer-coded categories.
    min_rows:
        Columns with fewer non-missing values on either side are not compared ("too few
        values"); when no column can be tested the report's status is
        ``"not_enough_data"`` and ``drifted`` is ``None``.
    n_jobs:
        Threads used across columns (default: up to 4, bounded by the CPU count).
    multivariate:
        Multivariate detectors to run as well, on bounded samples of raw rows:
        ``"domain_classifier"`` (:class:`DomainClassifierDetector`) and ``"pca"``
        (:class:`PCAReconstructionDetector`). They need a raw reference, not a profile.
    random_state:
        Seed of the multivariate detectors' sampling and models.

    Notes
    -----
    A column drifts when its adjusted p-value is at most ``alpha`` **and** an effect size
    reaches its threshold, when its missing rate changed (the same rule, Cohen's h), or
    when its kind changed; the data set drifts when any column does.

    Examples
    --------
    >>> from driftline.testing import make_monitoring_data
    >>> reference, current = make_monitoring_data(2_000, drift=False)
    >>> DriftDetector().fit(reference).compare(current).drifted
    False
    """

    _parameter_constraints: ClassVar[Constraints] = {
        "method": [Options("auto"), InstanceOf((Mapping,), "a mapping {column: method}")],
        "alpha": [Interval("real", 0, 1, closed="neither")],
        "correction": [Options(*_CORRECTIONS)],
        "thresholds": [InstanceOf((Mapping,), "a mapping {effect: threshold}"), None],
        "schema": [InstanceOf((Mapping,), "a mapping {column: kind}"), None],
        "min_rows": [Interval("int", 2, None)],
        "n_jobs": [Interval("int", 1, None), None],
        "random_state": [Interval("int", 0, None), None],
    }

    def __init__(
        self,
        *,
        method: Literal["auto"] | Mapping[str, str] = "auto",
        alpha: float = 0.05,
        correction: Correction = "fdr_bh",
        thresholds: Mapping[str, float] | None = None,
        columns: Sequence[str] | None = None,
        exclude: Sequence[str] = (),
        schema: Mapping[str, ColumnKind] | None = None,
        min_rows: int = 30,
        n_jobs: int | None = None,
        multivariate: Sequence[Multivariate] = (),
        random_state: int | None = 0,
    ) -> None:
        validate(self, locals())
        _check_method(method)
        merged = dict(EFFECT_THRESHOLDS)
        for key, value in (thresholds or {}).items():
            if key not in EFFECT_THRESHOLDS:
                raise ParameterError(
                    f"Unknown threshold {key!r}; thresholds are set per effect size: "
                    f"{sorted(EFFECT_THRESHOLDS)}."
                )
            merged[key] = check(self, f"thresholds[{key!r}]", value, Interval("real", 0, math.inf))
        unknown = [m for m in multivariate if m not in _MULTIVARIATE]
        if unknown or isinstance(multivariate, str):
            raise invalid(self, "multivariate", multivariate, f"a list drawn from {_MULTIVARIATE}")
        for name, names in (("columns", columns), ("exclude", exclude)):
            if isinstance(names, str):
                raise invalid(self, name, names, "a list of column names, not one string")
        self.multivariate = list(multivariate)
        self.random_state = random_state
        self.method = method
        self.alpha = float(alpha)
        self.correction: Correction = correction
        self.thresholds = merged
        self.columns = None if columns is None else list(columns)
        self.exclude = list(exclude)
        self.schema = _check_schema(schema)
        self.min_rows = min_rows
        self.n_jobs = n_jobs if n_jobs is not None else min(4, os.cpu_count() or 1)

    # ------------------------------------------------------------------ reading

    def _profile_sides(
        self, data: DatasetProfile, names: Sequence[str] | None, role: str
    ) -> tuple[dict[str, Built], int]:
        wanted = list(names) if names is not None else data.column_names
        missing = [n for n in wanted if n not in data]
        if missing:
            raise SchemaMismatchError(
                f"The {role} profile has no column(s) {missing}; it has {data.column_names}."
            )
        built: dict[str, Built] = {}
        for name in wanted:
            if name in self.exclude:
                continue
            column = data[name]
            declared = self.schema.get(name)
            if declared is not None and declared != column.kind:
                raise ParameterError(
                    f"schema declares {name!r} {declared}, but the {role} profile holds it "
                    f"as {column.kind}; a profile cannot be re-typed. Profile the data with "
                    "the same schema, or leave the column out of schema."
                )
            side = side_from_profile(column)
            built[name] = side if side is not None else "text"
        return built, data.n_rows

    def _raw_sides(
        self,
        data: object,
        names: Sequence[str] | None,
        layouts: Mapping[str, BucketLayout] | None,
    ) -> tuple[list[str], Callable[[str], Built], int]:
        """The columns to read from raw ``data``, a function building one side, the rows.

        Sides are built on demand so that ``compare`` can build and compare a column in
        one step (and drop its current side right after).
        """
        floats = {
            n: v
            for n, v in pandas_float_columns(data, names).items()
            if self.schema.get(n, "numeric") == "numeric"
        }
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

        def build(name: str) -> Built:
            if name in floats:
                return side_from_values(floats[name], layout=found.get(name), bucket=fitting)
            assert table is not None
            arr = table.column(name)
            side = side_from_array(
                table.schema.field(name),
                arr,
                layout=found.get(name),
                bucket=fitting,
                kind=self.schema.get(name),
            )
            if side is not None:
                return side
            return "empty" if arr.null_count == len(arr) else "text"

        has_table = table is not None and table.num_columns > 0
        n_rows = table.num_rows if has_table else len(data)  # type: ignore[union-attr,arg-type]
        return wanted, build, n_rows

    # ---------------------------------------------------------------------- fit

    def fit(self, reference: object) -> Self:
        """Learn the reference: raw data in any format ``driftline.profile`` accepts, or a profile.

        Raw numeric columns keep their values (large ones also counted into fine
        buckets, so that ``compare`` needs no sort; exact statistics later); profiles keep
        their sketches (statistics within the sketches' error bound).
        """
        available = available_columns(reference)
        check_names(available, columns=self.columns, exclude=self.exclude, schema=self.schema)
        if isinstance(reference, DatasetProfile):
            built, n_rows = self._profile_sides(reference, self.columns, "reference")
        else:
            wanted, build, n_rows = self._raw_sides(reference, self.columns, None)
            built = dict(zip(wanted, _map(build, wanted, self.n_jobs), strict=True))
        self.reference_: dict[str, Side] = {}
        self.untestable_: dict[str, str] = {}
        for name, side in built.items():
            if side == "text":
                self.untestable_[name] = "text-like columns are not tested for drift"
            elif side == "empty":
                self.untestable_[name] = "no values in the reference (every row is missing)"
            else:
                assert not isinstance(side, str)
                self.reference_[name] = side
        self.n_reference_: int = n_rows
        self.feature_names_in_: list[str] = list(self.reference_) + list(self.untestable_)
        self.multivariate_: dict[str, DomainClassifierDetector | PCAReconstructionDetector] = {}
        if self.multivariate:
            if isinstance(reference, DatasetProfile):
                raise ParameterError(
                    "Multivariate drift needs raw reference rows (it keeps a bounded sample); "
                    "fit on data instead of a profile, or pass multivariate=()."
                )
            table = to_table(reference, columns=list(self.reference_))
            for name in self.multivariate:
                detector = (
                    DomainClassifierDetector(random_state=self.random_state)
                    if name == "domain_classifier"
                    else PCAReconstructionDetector(random_state=self.random_state)
                )
                self.multivariate_[name] = detector.fit(table)
        return self

    # ------------------------------------------------------------------ compare

    def _method_for(self, name: str, side: Side) -> DriftMethod:
        chosen = self.method.get(name) if isinstance(self.method, Mapping) else None
        method = get_drift_method(chosen or DEFAULT_METHODS[side.family])
        if side.family not in method.kinds:
            allowed = sorted(n for n, m in drift_methods().items() if side.family in m.kinds)
            raise ParameterError(
                f"Method {method.name!r} does not apply to {side.kind} column {name!r}; "
                f"use one of {allowed}."
            )
        return method

    def _compare_one(self, name: str, built: Built) -> Outcome:
        ref = self.reference_[name]
        method = self._method_for(name, ref)
        cur = None if isinstance(built, str) else built
        return measure_column(
            name,
            ref,
            cur,
            method=method,
            thresholds=self.thresholds,
            min_rows=self.min_rows,
            current_kind="text" if cur is None else None,
        )

    def _compare_data(self, current: object, names: list[str]) -> tuple[dict[str, Outcome], int]:
        """Build each current side and compare it at once (its buckets are freed early)."""
        if isinstance(current, DatasetProfile):
            present = [n for n in names if n in current]
            built, n_rows = self._profile_sides(current, present, "current")
            outcomes = _map(lambda n: self._compare_one(n, built[n]), present, self.n_jobs)
            return dict(zip(present, outcomes, strict=True)), n_rows
        layouts = {
            n: side.buckets.layout
            for n, side in self.reference_.items()
            if isinstance(side, NumericSide) and side.buckets is not None
        }
        wanted, build, n_rows = self._raw_sides(current, names, layouts)

        def one(name: str) -> Outcome:
            made = build(name)
            if made == "empty":
                made = empty_side(self.reference_[name].kind, n_rows) or "text"
            return self._compare_one(name, made)

        found = _map(one, wanted, self.n_jobs)
        return dict(zip(wanted, found, strict=True)), n_rows

    def _check_current(self, current: object, names: list[str]) -> None:
        available = available_columns(current)
        if available is None:
            return
        missing = [n for n in names if n not in set(available)]
        if missing:
            extra = [a for a in available if a not in set(self.feature_names_in_)]
            hint = did_you_mean(missing[0], extra)
            raise SchemaMismatchError(
                f"The current data lacks column(s) {missing} that the reference has{hint}. "
                "Pass columns=[...] or exclude=[...] to DriftDetector to compare a subset."
            )

    def compare(
        self,
        current: object,
        *,
        timestamp: str | None = None,
        chunk_period: ChunkPeriod | None = None,
        chunk_size: int | None = None,
    ) -> DriftReport:
        """Compare ``current`` (raw data or a profile) with the fitted reference.

        With ``chunk_period`` (``"H"``, ``"D"``, ``"W"``, ``"M"``, ``"Q"``, ``"Y"``; needs
        the ``timestamp`` column) or ``chunk_size`` (rows, in timestamp order when
        ``timestamp`` is given), the current data is also compared chunk by chunk:
        ``report.chunks`` holds one report per chunk, and the false-discovery-rate
        control runs over every test of every chunk and of the whole period together.
        """
        if not hasattr(self, "reference_"):
            raise NotFittedError("This DriftDetector is not fitted yet. Call 'fit' first.")
        names = [n for n in self.reference_ if n != timestamp]
        chunking = chunk_period is not None or chunk_size is not None or timestamp is not None
        if not chunking:
            self._check_current(current, names)
            outcomes, n_rows = self._compare_data(current, names)
            return self._report([outcomes], [n_rows], current, [])[0]
        if isinstance(current, DatasetProfile):
            raise ParameterError(
                "Chunking needs raw current rows with a timestamp; compare data, not a profile."
            )
        available = available_columns(current)
        if timestamp is not None and available is not None and timestamp not in available:
            raise SchemaMismatchError(
                f"The current data has no timestamp column {timestamp!r}"
                f"{did_you_mean(timestamp, available)}; it has {available[:20]}."
            )
        self._check_current(current, names)
        wanted = [*names, *([timestamp] if timestamp and timestamp not in names else [])]
        table = to_table(current, columns=wanted)
        table, chunks, dropped = split(
            table, timestamp=timestamp, period=chunk_period, size=chunk_size
        )
        parts = [table, *(table.slice(c.offset, c.length) for c in chunks)]
        results = [self._compare_data(part, names) for part in parts]
        reports = self._report(
            [r[0] for r in results], [r[1] for r in results], table, [None, *chunks]
        )
        drift_chunks = tuple(
            DriftChunk(label=c.label, start=c.start, end=c.end, report=r)
            for c, r in zip(chunks, reports[1:], strict=True)
        )
        overall = reports[0]
        return DriftReport(
            columns=overall.columns,
            alpha=overall.alpha,
            correction=overall.correction,
            n_reference=overall.n_reference,
            n_current=overall.n_current,
            skipped=overall.skipped,
            multivariate=overall.multivariate,
            chunks=drift_chunks,
            chunking={
                "timestamp": timestamp,
                "period": chunk_period,
                "size": chunk_size,
                "rows_without_timestamp": dropped,
            },
        )

    def _report(
        self,
        outcomes: list[dict[str, Outcome]],
        n_rows: list[int],
        raw: object,
        chunks: Sequence[object],
    ) -> list[DriftReport]:
        """Decide every part in one false-discovery family; one report per part."""
        tested: list[dict[str, ColumnDrift]] = []
        skipped: list[dict[str, str]] = []
        for part in outcomes:
            tested.append({n: o for n, o in part.items() if not isinstance(o, str)})
            skipped.append(
                {**self.untestable_, **{n: o for n, o in part.items() if isinstance(o, str)}}
            )
        decided = decide(tested, alpha=self.alpha, correction=self.correction)
        multivariate: dict[str, MultivariateDrift] = {}
        if self.multivariate_:
            if isinstance(raw, DatasetProfile):
                raise ParameterError(
                    "Multivariate drift needs raw current rows; compare data, not a profile."
                )
            table = (
                raw if isinstance(raw, pa.Table) else to_table(raw, columns=list(self.reference_))
            )
            for key, detector in self.multivariate_.items():
                multivariate[key] = detector.compare(table.select(list(self.reference_)))
        return [
            DriftReport(
                columns=columns,
                alpha=self.alpha,
                correction=self.correction,
                n_reference=self.n_reference_,
                n_current=rows,
                skipped=skip,
                multivariate=multivariate if i == 0 else {},
                min_rows=self.min_rows,
            )
            for i, (columns, skip, rows) in enumerate(zip(decided, skipped, n_rows, strict=True))
        ]
