"""Data-quality findings computed from profiles alone (no raw rows).

Checks per column: missing rate, type violations, values outside the reference
range, cardinality, constant and near-constant columns, categorical columns whose
values look like formatted numbers, categories not seen in the reference, columns
added, removed or whose kind changed.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal

import pyarrow as pa

from driftline._params import Constraints, Interval, validate
from driftline.exceptions import ParameterError
from driftline.profiles._boolean import BooleanProfile
from driftline.profiles._categorical import CategoricalProfile
from driftline.profiles._column import ColumnProfile
from driftline.profiles._dataset import DatasetProfile
from driftline.profiles._numeric import NumericProfile, _iso
from driftline.report import format_count, format_number

if TYPE_CHECKING:
    from driftline.report import Report
from driftline.tabular import numeric_looking

__all__ = ["QualityFinding", "QualityReport", "QualityThresholds", "check_quality"]

Severity = Literal["info", "warning", "error"]
FindingKind = Literal[
    "missing",
    "type_violation",
    "out_of_range",
    "cardinality",
    "constant",
    "near_constant",
    "new_category",
    "missing_column",
    "new_column",
    "kind_changed",
    "looks_numeric",
]
_ORDER: Final = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class QualityThresholds:
    """Thresholds of :func:`check_quality` (fractions of rows unless noted).

    ``missing_warning`` / ``missing_error``: missing rate that raises a finding (with a
    reference, the increase over the reference rate). ``invalid_error``: share of type
    violations above which a finding is an error (any violation is a warning).
    ``out_of_range_warning`` / ``out_of_range_error``: estimated share of values outside the
    reference [min, max] that raises a finding (a fresh sample of a continuous column
    exceeds the reference extremes half of the time, so a few values are not reported). ``near_constant``: share of the most common value.
    ``cardinality_ratio``: distinct-count ratio current/reference (or its inverse) that
    raises a finding. ``new_category_error``: share of rows in unseen categories above
    which the finding is an error.
    """

    missing_warning: float = 0.05
    missing_error: float = 0.5
    invalid_error: float = 0.01
    out_of_range_warning: float = 0.001
    out_of_range_error: float = 0.01
    near_constant: float = 0.99
    cardinality_ratio: float = 2.0
    new_category_error: float = 0.01

    _parameter_constraints: ClassVar[Constraints] = {
        **dict.fromkeys(
            (
                "missing_warning", "missing_error", "invalid_error", "out_of_range_warning",
                "out_of_range_error", "near_constant", "new_category_error",
            ),
            (Interval("real", 0, 1),),
        ),
        "cardinality_ratio": [Interval("real", 1, math.inf)],
    }  # fmt: skip

    def __post_init__(self) -> None:
        validate(self)


@dataclass(frozen=True)
class QualityFinding:
    """One data-quality problem in one column."""

    column: str
    kind: FindingKind
    severity: Severity
    message: str
    value: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form."""
        return asdict(self)


@dataclass(frozen=True)
class QualityReport:
    """All findings for a profile, most severe first.

    >>> import numpy as np
    >>> from driftline.profiles import profile
    >>> ref = profile({"x": np.arange(100.0)})
    >>> cur = profile({"x": np.arange(50.0, 150.0)})
    >>> [f.kind for f in check_quality(cur, ref).findings]
    ['out_of_range']
    """

    n_rows: int
    n_columns: int
    has_reference: bool
    findings: tuple[QualityFinding, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        """True when no finding is an error."""
        return not any(f.severity == "error" for f in self.findings)

    def by_column(self, column: str) -> list[QualityFinding]:
        """Findings for one column."""
        return [f for f in self.findings if f.column == column]

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form."""
        return {
            "n_rows": self.n_rows,
            "n_columns": self.n_columns,
            "has_reference": self.has_reference,
            "passed": self.passed,
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_report(self, *, title: str = "Data quality") -> Report:
        """The page of the findings (worst first, coloured by severity)."""
        from driftline.profiles._page import quality_section
        from driftline.report import Report, format_count

        page = Report(title, subtitle=f"{format_count(self.n_rows, 'row')}, "
                      f"{format_count(self.n_columns, 'column')}")  # fmt: skip
        quality_section(page, self, title="Findings")
        return page

    def _repr_html_(self) -> str:
        """Jupyter's rich display (a self-contained fragment, no scripts)."""
        return self.to_report().to_html(fragment=True)

    def summary(self) -> list[str]:
        """Readable text lines: a headline, then one line per finding."""
        from driftline.report import format_count

        counts = {s: sum(f.severity == s for f in self.findings) for s in _ORDER}
        head = (
            f"Data quality: {format_count(self.n_rows, 'row')} x "
            f"{format_count(self.n_columns, 'column')}"
            f"{' against a reference' if self.has_reference else ''}: "
            f"{format_count(counts['error'], 'error')}, "
            f"{format_count(counts['warning'], 'warning')}, {format_count(counts['info'], 'note')}"
        )
        width = max((len(f.column) for f in self.findings), default=0)
        lines = [head]
        lines.extend(
            f"  {f.severity.upper():<7} {f.column:<{width}}  {f.kind:<14} {f.message}"
            for f in self.findings
        )
        return lines


def _missing(
    col: ColumnProfile, ref: ColumnProfile | None, t: QualityThresholds
) -> list[QualityFinding]:
    rate = col.missing_rate
    base = ref.missing_rate if ref is not None else 0.0
    excess = rate - base
    if col.n_rows and col.n_missing == col.n_rows:
        return [QualityFinding(col.name, "missing", "error", "every value is missing", rate)]
    if excess <= t.missing_warning:
        return []
    severity: Severity = "error" if excess > t.missing_error else "warning"
    ref_txt = f" (reference {base:.1%})" if ref is not None else ""
    return [QualityFinding(col.name, "missing", severity, f"{rate:.1%} missing{ref_txt}", rate)]


def _invalid(col: ColumnProfile, t: QualityThresholds) -> list[QualityFinding]:
    if col.n_invalid == 0:
        return []
    rate = col.invalid_rate
    severity: Severity = "error" if rate > t.invalid_error else "warning"
    msg = f"{col.n_invalid:,} values ({rate:.2%}) are not valid {col.kind} values"
    return [QualityFinding(col.name, "type_violation", severity, msg, rate)]


def _constant(col: ColumnProfile, t: QualityThresholds) -> list[QualityFinding]:
    if isinstance(col, NumericProfile) and col.count > 1:
        if col.min == col.max:
            return [
                QualityFinding(
                    col.name, "constant", "warning", f"every value is {_show(col, col.min)}"
                )
            ]
        lo, hi = col.quantiles([(1 - t.near_constant) / 2, (1 + t.near_constant) / 2])
        if lo == hi:
            msg = f"at least {t.near_constant:.0%} of values equal {_show(col, lo)}"
            return [QualityFinding(col.name, "near_constant", "info", msg)]
    if isinstance(col, CategoricalProfile) and col.count > 1 and col.frequent.keys:
        top_key, top_count = col.frequent.top(1)[0]
        share = top_count / col.count
        if col.distinct == 1:
            msg = f"every value is {top_key!r}"
            return [QualityFinding(col.name, "constant", "warning", msg, 1.0)]
        if share >= t.near_constant:
            msg = f"{share:.1%} of values are {top_key!r}"
            return [QualityFinding(col.name, "near_constant", "info", msg, share)]
    if isinstance(col, BooleanProfile) and col.count > 1 and min(col.n_true, col.n_false) == 0:
        msg = f"every value is {col.n_true > 0}"
        return [QualityFinding(col.name, "constant", "warning", msg)]
    return []


def _show(col: NumericProfile, value: float) -> str:
    """A value of the column as people write it (ISO 8601 for a datetime column)."""
    return str(_iso(value)) if col.kind == "datetime" else format_number(value, digits=4)


def _range(col: NumericProfile, ref: NumericProfile, t: QualityThresholds) -> list[QualityFinding]:
    if col.count == 0 or ref.count == 0:
        return []
    below = float(col.cdf([ref.min], inclusive=False)[0]) if col.min < ref.min else 0.0
    above = 1.0 - float(col.cdf([ref.max])[0]) if col.max > ref.max else 0.0
    if col.min >= ref.min and col.max <= ref.max:
        return []
    share = below + above
    if share <= t.out_of_range_warning:
        return []
    severity: Severity = "error" if share > t.out_of_range_error else "warning"

    def fmt(v: float) -> str:
        return _show(col, v)

    msg = (
        f"range [{fmt(col.min)}, {fmt(col.max)}] leaves the reference range "
        f"[{fmt(ref.min)}, {fmt(ref.max)}]; about {share:.2%} of values outside"
    )
    return [QualityFinding(col.name, "out_of_range", severity, msg, share)]


def _categories(
    col: CategoricalProfile, ref: CategoricalProfile, t: QualityThresholds
) -> list[QualityFinding]:
    out: list[QualityFinding] = []
    if ref.count and col.count:
        ratio = col.distinct / max(ref.distinct, 1)
        if ratio >= t.cardinality_ratio or ratio <= 1 / t.cardinality_ratio:
            msg = f"{col.distinct:,} distinct values against {ref.distinct:,} in the reference"
            out.append(QualityFinding(col.name, "cardinality", "warning", msg, ratio))
    if not ref.frequent.is_exact or col.count == 0:
        return out  # a non-exact reference cannot prove a category is new
    known = ref.frequent.as_dict()
    new = [(k, c) for k, c in col.frequent.top(len(col.frequent.keys)) if k not in known]
    if new:
        share = sum(c for _, c in new) / col.count
        severity: Severity = "error" if share > t.new_category_error else "warning"
        examples = ", ".join(repr(k) for k, _ in new[:5])
        msg = (
            f"{format_count(len(new), 'category', 'categories')} not in the reference "
            f"({share:.2%} of values): {examples}"
        )
        out.append(QualityFinding(col.name, "new_category", severity, msg, share))
    return out


def _looks_numeric(col: ColumnProfile) -> list[QualityFinding]:
    """A categorical column whose values look like numbers a reader did not parse."""
    if not isinstance(col, CategoricalProfile) or col.kind != "categorical":
        return []
    reason = numeric_looking(pa.array(list(col.frequent.keys), pa.large_string()))
    if reason is None:
        return []
    msg = (
        f"read as categorical, but {reason}; if it is a number, read it as one "
        f"(CLI: --numeric {col.name} and --thousands/--decimal)"
    )
    return [QualityFinding(col.name, "looks_numeric", "warning", msg)]


def _column(
    col: ColumnProfile, ref: ColumnProfile | None, t: QualityThresholds
) -> list[QualityFinding]:
    found = _missing(col, ref, t) + _invalid(col, t) + _constant(col, t) + _looks_numeric(col)
    if ref is None:
        return found
    empty = col.n_rows > 0 and col.n_null == col.n_rows  # no value: its kind is unknown
    if {col.kind, ref.kind} != {"categorical", "text"} and col.kind != ref.kind and not empty:
        msg = f"kind is {col.kind!r}; it was {ref.kind!r} in the reference"
        return [*found, QualityFinding(col.name, "kind_changed", "error", msg)]
    if isinstance(col, NumericProfile) and isinstance(ref, NumericProfile):
        found += _range(col, ref, t)
    if isinstance(col, CategoricalProfile) and isinstance(ref, CategoricalProfile):
        found += _categories(col, ref, t)
    return found


def check_quality(
    current: DatasetProfile,
    reference: DatasetProfile | None = None,
    *,
    thresholds: QualityThresholds | None = None,
) -> QualityReport:
    """Data-quality findings for ``current``, optionally against a ``reference`` profile."""
    if not isinstance(current, DatasetProfile):
        raise ParameterError(
            f"The 'current' parameter must be a DatasetProfile; got {type(current).__name__}."
        )
    if reference is not None and not isinstance(reference, DatasetProfile):
        raise ParameterError(
            "The 'reference' parameter must be a DatasetProfile or None; "
            f"got {type(reference).__name__}."
        )
    t = thresholds or QualityThresholds()
    findings: list[QualityFinding] = []
    for col in current.columns:
        ref = reference[col.name] if reference is not None and col.name in reference else None
        findings += _column(col, ref, t)
        if reference is not None and ref is None:
            findings.append(
                QualityFinding(col.name, "new_column", "warning", "not in the reference")
            )
    if reference is not None:
        findings += [
            QualityFinding(c.name, "missing_column", "error", "in the reference but not here")
            for c in reference.columns
            if c.name not in current
        ]
    findings.sort(key=lambda f: _ORDER[f.severity])
    return QualityReport(
        n_rows=current.n_rows,
        n_columns=len(current.columns),
        has_reference=reference is not None,
        findings=tuple(findings),
    )
