"""Column names given to the detector: which exist, and a did-you-mean for those that do not."""

from __future__ import annotations

import difflib
import os
import warnings
from collections.abc import Mapping, Sequence

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from driftline.exceptions import SchemaMismatchError
from driftline.profiles import DatasetProfile

__all__ = ["available_columns", "check_names", "did_you_mean"]


def did_you_mean(name: str, available: Sequence[str]) -> str:
    """``" (did you mean 'age'?)"`` when a close match exists, else ``""``.

    >>> did_you_mean("agee", ["age", "income"])
    " (did you mean 'age'?)"
    """
    close = difflib.get_close_matches(name, list(available), n=1, cutoff=0.75)
    if not close:
        lowered = {a.lower(): a for a in available}
        close = [lowered[name.lower()]] if name.lower() in lowered else []
    return f" (did you mean {close[0]!r}?)" if close else ""


def available_columns(data: object) -> list[str] | None:
    """The column names of ``data`` without reading its values (``None``: unknown here)."""
    if isinstance(data, DatasetProfile):
        return list(data.column_names)
    if isinstance(data, pa.Table | pa.RecordBatch):
        return list(data.column_names)
    if isinstance(data, Mapping):
        return [str(k) for k in data]
    columns = getattr(data, "columns", None)
    if columns is not None and not isinstance(data, str | os.PathLike):
        return [str(c) for c in columns]
    if isinstance(data, str | os.PathLike):
        name = os.fspath(data).lower()
        try:
            if name.endswith((".parquet", ".pq")):
                return list(pq.read_schema(data).names)
            if name.endswith((".csv", ".csv.gz", ".csv.bz2")):
                reader = pa_csv.open_csv(data)
                names = list(reader.schema.names)
                reader.close()
                return names
        except (OSError, pa.ArrowException):
            return None  # the reader reports the problem with the file itself
    return None


def _listing(available: Sequence[str]) -> str:
    shown = list(available[:20])
    more = f" and {len(available) - 20} more" if len(available) > 20 else ""
    return f"{shown}{more}"


def check_names(
    available: Sequence[str] | None,
    *,
    columns: Sequence[str] | None,
    exclude: Sequence[str],
    schema: Mapping[str, str],
) -> None:
    """Refuse unknown ``columns``; warn about unknown ``exclude`` and ``schema`` names."""
    if available is None:
        return
    known = set(available)
    if columns is not None:
        unknown = [c for c in columns if c not in known]
        if unknown:
            hints = "".join(did_you_mean(c, available) for c in unknown[:1])
            raise SchemaMismatchError(
                f"DriftDetector(columns=...) names column(s) {unknown} that the reference does "
                f"not have{hints}. The reference has {_listing(available)}."
            )
    for option, names in (("exclude", exclude), ("schema", list(schema))):
        unknown = [c for c in names if c not in known]
        if unknown:
            hints = "".join(did_you_mean(c, available) for c in unknown[:1])
            warnings.warn(
                f"DriftDetector({option}=...) names column(s) {unknown} that the reference "
                f"does not have{hints}; they are ignored.",
                UserWarning,
                stacklevel=3,  # the caller of fit()
            )
