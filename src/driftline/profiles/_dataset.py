"""DatasetProfile and ``profile()``: one pass over batches, one column profile per column."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

from driftline._params import Interval, validate_params
from driftline.exceptions import SchemaMismatchError
from driftline.profiles._build import column_from_array
from driftline.profiles._column import ColumnKind, ColumnProfile
from driftline.profiles._frequent import DEFAULT_CAP
from driftline.profiles._quantiles import DEFAULT_K
from driftline.profiles._serialize import COLUMN_CLASSES, FORMAT_VERSION, decode, encode
from driftline.profiles._summary import profile_lines
from driftline.tabular import CsvOptions, check_kind, check_schema, infer_kind, iter_slices

if TYPE_CHECKING:
    from driftline.profiles._quality import QualityReport
    from driftline.report import Report

__all__ = ["DatasetProfile", "profile"]


def _pad(col: ColumnProfile, kind: ColumnKind, n_missing: int) -> ColumnProfile:
    """``col`` (or nothing) plus ``n_missing`` rows where the column was absent."""
    empty = COLUMN_CLASSES[kind].empty(col.name, kind, n_null=n_missing)
    return col.merge(empty) if n_missing else col


@dataclass(frozen=True)
class DatasetProfile:
    """Mergeable, serializable profile of a data set: one :class:`ColumnProfile` per column.

    >>> import numpy as np
    >>> a = profile({"x": np.arange(5.0), "c": np.array(list("aabbc"))})
    >>> b = profile({"x": np.arange(5.0, 10.0), "c": np.array(list("ccccd"))})
    >>> both = a + b
    >>> len(both), both["x"].max, both["c"].distinct
    (10, 9.0, 4)
    >>> DatasetProfile.from_bytes(both.to_bytes()).to_bytes() == both.to_bytes()
    True
    """

    n_rows: int
    columns: tuple[ColumnProfile, ...]
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {c.name: i for i, c in enumerate(self.columns)}
        if len(index) != len(self.columns):
            raise SchemaMismatchError("Column names in a profile must be unique.")
        object.__setattr__(self, "_index", index)

    def __len__(self) -> int:
        return self.n_rows

    def __getitem__(self, name: str) -> ColumnProfile:
        try:
            return self.columns[self._index[name]]
        except KeyError:
            raise KeyError(
                f"No column {name!r} in this profile; columns: {self.column_names}"
            ) from None

    def get(self, name: str, default: ColumnProfile | None = None) -> ColumnProfile | None:
        """The profile of column ``name``, or ``default`` if there is none."""
        return self.columns[self._index[name]] if name in self._index else default

    def __contains__(self, name: object) -> bool:
        return name in self._index

    @property
    def column_names(self) -> list[str]:
        """Column names, in order."""
        return [c.name for c in self.columns]

    @property
    def kinds(self) -> dict[str, ColumnKind]:
        """Kind of every column."""
        return {c.name: c.kind for c in self.columns}

    def adopt_kinds(self, kinds: Mapping[str, str]) -> DatasetProfile:
        """This profile, where each column without any value takes its kind from ``kinds``.

        A column whose every row is missing (a CSV column left empty) has no kind of its
        own; given the kind it has elsewhere (the reference's, a schema's), it becomes an
        all-missing column of that kind, so that comparisons report it as missing rather
        than as a change of kind. Columns with values are unchanged.

        >>> import numpy as np
        >>> p = profile({"x": np.array([None, None], dtype=object)})
        >>> p.kinds, p.adopt_kinds({"x": "numeric"}).kinds
        ({'x': 'categorical'}, {'x': 'numeric'})
        """
        columns = []
        for col in self.columns:
            kind = kinds.get(col.name)
            if kind is not None and kind != col.kind and col.n_rows and col.n_null == col.n_rows:
                kind = check_kind(kind, parameter=f"kinds[{col.name!r}]")
                col = COLUMN_CLASSES[kind].empty(col.name, kind, n_null=col.n_null)
            columns.append(col)
        return DatasetProfile(self.n_rows, tuple(columns))

    def merge(self, other: DatasetProfile) -> DatasetProfile:
        """Profile of the rows of both profiles.

        A column present in only one side counts as missing for the other side's rows.
        Columns keep this profile's order, then the other's new ones.
        """
        if not isinstance(other, DatasetProfile):
            raise TypeError(f"Can only merge a DatasetProfile; got {type(other).__name__}.")
        merged: list[ColumnProfile] = []
        names = self.column_names + [n for n in other.column_names if n not in self._index]
        for name in names:
            mine = self.get(name)
            theirs = other.get(name)
            if mine is not None and theirs is not None:
                merged.append(mine.merge(theirs))
            elif mine is not None:
                merged.append(_pad(mine, mine.kind, other.n_rows))
            elif theirs is not None:
                merged.append(_pad(theirs, theirs.kind, self.n_rows))
        return DatasetProfile(self.n_rows + other.n_rows, tuple(merged))

    def __add__(self, other: DatasetProfile) -> DatasetProfile:
        return self.merge(other)

    def to_bytes(self) -> bytes:
        """Serialize (format version :data:`FORMAT_VERSION`; see ``from_bytes``)."""
        return encode(self.n_rows, self.columns)

    @classmethod
    def from_bytes(cls, payload: bytes) -> Self:
        """Read bytes from :meth:`to_bytes` of this or any older format version.

        Raises :class:`~driftline.exceptions.SerializationError` for corrupt bytes or
        bytes written by a newer, unknown format version.
        """
        n_rows, columns = decode(payload)
        return cls(n_rows, tuple(columns))

    @property
    def format_version(self) -> int:
        """Format version :meth:`to_bytes` writes."""
        return FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary: ``{"n_rows": ..., "columns": {name: {...}}}``."""
        return {
            "n_rows": self.n_rows,
            "n_columns": len(self.columns),
            "format_version": FORMAT_VERSION,
            "columns": {c.name: c.to_dict() for c in self.columns},
        }

    def summary(self) -> list[str]:
        """Readable text lines (a table of columns) for a terminal."""
        return profile_lines(self)

    def to_report(
        self, quality: QualityReport | None = None, *, title: str = "Data profile"
    ) -> Report:
        """The HTML/Markdown page: one row per column with a small chart, then ``quality``."""
        from driftline.profiles._page import profile_report

        return profile_report(self, quality, title=title)

    def _repr_html_(self) -> str:
        """Jupyter's rich display (a self-contained fragment, no scripts)."""
        return self.to_report().to_html(fragment=True)


@validate_params(
    {"category_cap": [Interval("int", 1, None)], "quantile_k": [Interval("int", 8, None)]}
)
def profile(
    data: object,
    *,
    columns: Sequence[str] | None = None,
    schema: Mapping[str, str] | None = None,
    category_cap: int = DEFAULT_CAP,
    quantile_k: int = DEFAULT_K,
    batch_size: int | None = None,
    csv: CsvOptions | None = None,
) -> DatasetProfile:
    """Profile ``data`` in one streaming pass.

    ``data`` is a pandas / polars DataFrame, a pyarrow Table or RecordBatch, a dict of
    numpy arrays, or a path to a Parquet or CSV file (streamed in batches of
    ``batch_size`` rows; 262,144 by default, 1,048,576 for in-memory data; read by
    :mod:`driftline.tabular`, CSV files as ``csv`` says or as sniffed). ``schema``
    maps column names to kinds (``"numeric"``, ``"categorical"``, ``"boolean"``,
    ``"datetime"``, ``"text"``) and overrides inference. ``category_cap`` is the number of exact category counts kept per
    column; ``quantile_k`` the quantile-sketch parameter (rank error about 0.15 % at
    the default 2048, see :attr:`NumericProfile.rank_error`).

    >>> import numpy as np
    >>> p = profile({"x": np.array([1.0, 2.0, 3.0]), "ok": np.array([True, False, True])})
    >>> p["x"].mean, p["ok"].n_true, p.kinds
    (2.0, 2, {'x': 'numeric', 'ok': 'boolean'})
    """
    kinds: dict[str, ColumnKind | None] = dict(check_schema(schema))
    cap, k = int(category_cap), int(quantile_k)
    acc: dict[str, ColumnProfile] = {}
    pending: dict[str, int] = {}
    order: list[str] = []
    n_rows = 0
    seen_schema = False
    batches = iter_slices(data, columns=columns, batch_size=batch_size, csv=csv, schema=schema)
    for batch in batches:
        if not seen_schema:
            order = list(batch.schema.names)
            seen_schema = True
        n_rows += batch.num_rows
        for i, fld in enumerate(batch.schema):
            arr = batch.column(i)
            kind = kinds.get(fld.name)
            if kind is None:
                kind = infer_kind(fld, arr)
                if kind is None:
                    pending[fld.name] = pending.get(fld.name, 0) + len(arr)
                    continue
                kinds[fld.name] = kind
            col = column_from_array(fld, arr, kind, k=k, cap=cap)
            if fld.name in pending:
                col = _pad(col, kind, pending.pop(fld.name))
            prev = acc.get(fld.name)
            acc[fld.name] = col if prev is None else prev.merge(col)
    for name, n in pending.items():
        acc[name] = COLUMN_CLASSES["categorical"].empty(name, "categorical", n_null=n)
    return DatasetProfile(n_rows, tuple(acc[name] for name in order))
