"""CSV files: the options, the sniffer (delimiter, number format) and the text reader.

Every cell is read as text by Arrow's streaming CSV reader, with the same null spellings
for every column (:data:`NULL_VALUES`; an empty cell is missing, also in string columns).
Typing the columns is left to :mod:`driftline.tabular._typing`, so that a value far down
the file that does not fit its column is counted instead of stopping the read.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import io
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Final

import pyarrow as pa
import pyarrow.csv as pa_csv

from driftline._params import Constraints, InstanceOf, Options, invalid, validate
from driftline.exceptions import DataError, ParameterError
from driftline.tabular._memory import select_columns
from driftline.tabular._patterns import NULL_VALUES

__all__ = ["CSV_SUFFIXES", "CsvFormat", "CsvOptions", "csv_text_batches", "sniff"]

CSV_SUFFIXES: Final = (".csv", ".csv.gz", ".csv.bz2", ".tsv", ".txt")
#: Delimiters the sniffer considers, in order of preference on a tie.
DELIMITERS: Final = (",", ";", "\t", "|")
_SNIFF_BYTES: Final = 1 << 18
_SNIFF_ROWS: Final = 5000
_BLOCK_SIZE: Final = 1 << 22
_ROW_SHARE: Final = 0.9

# Evidence for a number format, one pattern per reading of a value.
_COMMA_DECIMAL: Final = re.compile(r"^[-+]?(\d+,(\d{1,2}|\d{4,})|\d{1,3}(\.\d{3})+,\d+)$")
_DOT_DECIMAL: Final = re.compile(r"^[-+]?(\d*\.(\d{1,2}|\d{4,})|\d{1,3}(,\d{3})+\.\d+)$")
_COMMA_GROUPS: Final = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$")
_DOT_GROUPS: Final = re.compile(r"^[-+]?\d{1,3}(\.\d{3})+(,\d+)?$")
_SPACE_GROUPS: Final = re.compile(r"^[-+]?\d{1,3}([ \u00a0]\d{3})+([.,]\d+)?$")


def _known_encoding(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


@dataclass(frozen=True)
class CsvOptions:
    """How to read CSV files; ``None`` means "sniff it from the file".

    ``sep``: the delimiter (sniffed among ``,`` ``;`` tab ``|``). ``decimal``: ``"."`` or
    ``","``. ``thousands``: the digit-group separator (``","``, ``"."``, ``" "``, ``"'"``),
    or ``""`` for none. ``encoding``: the file's text encoding. ``null_values``: cells
    read as missing, in every column (by default pandas' list: empty, ``NA``, ``N/A``,
    ``NULL``, ``NaN``, ``None``, ...).

    >>> CsvOptions(sep=";", decimal=",").decimal
    ','
    >>> CsvOptions(decimal=";")
    Traceback (most recent call last):
    ...
    driftline.exceptions.ParameterError: The 'decimal' parameter of CsvOptions must be a str among {'.', ','} or None. Got ';' instead.
    """

    sep: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    encoding: str = "utf-8"
    null_values: Sequence[str] = NULL_VALUES

    _parameter_constraints: ClassVar[Constraints] = {
        "sep": [InstanceOf((str,), "one character (not a quote or a newline)"), None],
        "decimal": [Options(".", ","), None],
        "thousands": [InstanceOf((str,), "one character or '' for none"), None],
        "encoding": [InstanceOf((str,), "an encoding name such as 'utf-8'")],
        "null_values": [InstanceOf((list, tuple, set, frozenset), "a list of strings")],
    }

    def __post_init__(self) -> None:
        validate(self)
        constraints = self._parameter_constraints
        if self.sep is not None and (len(self.sep) != 1 or self.sep in '"\r\n'):
            raise invalid(self, "sep", self.sep, str(constraints["sep"][0]), "For example ';'.")
        if self.thousands is not None and len(self.thousands) > 1:
            raise invalid(self, "thousands", self.thousands, str(constraints["thousands"][0]))
        if self.thousands and self.thousands == self.decimal:
            raise ParameterError(
                f"The 'thousands' and 'decimal' CSV options must differ; both are {self.decimal!r}."
            )
        if not _known_encoding(self.encoding):
            raise invalid(self, "encoding", self.encoding, str(constraints["encoding"][0]))
        if not all(isinstance(v, str) for v in self.null_values):
            raise invalid(self, "null_values", self.null_values, "a list of strings")
        object.__setattr__(self, "null_values", tuple(self.null_values))


@dataclass(frozen=True)
class CsvFormat:
    """What was used to read one file: the options, with every sniffed choice filled in."""

    sep: str
    decimal: str
    thousands: str | None
    encoding: str
    null_values: tuple[str, ...]
    newlines_in_values: bool = False


def _start(path: Path, size: int) -> bytes:
    """The first ``size`` (decompressed) bytes of a file."""
    name = path.name.lower()
    if name.endswith(".gz"):
        with gzip.open(path, "rb") as fh:
            return fh.read(size)
    if name.endswith(".bz2"):
        with bz2.open(path, "rb") as fh:
            return fh.read(size)
    with path.open("rb") as fh:
        return fh.read(size)


def _head(path: Path, encoding: str) -> tuple[str, bool]:
    """The first bytes of the file as text, and whether that is the whole file."""
    try:
        raw = _start(path, _SNIFF_BYTES + 1)
        text = raw[:_SNIFF_BYTES].decode(encoding, errors="replace")
    except (OSError, EOFError, LookupError) as exc:
        raise DataError(f"Cannot read {str(path)!r}: {exc}.") from exc
    complete = len(raw) <= _SNIFF_BYTES
    if not complete:  # drop the last, probably partial, line
        cut = max(text.rfind("\n"), text.rfind("\r"))
        text = text[:cut] if cut > 0 else text
    return text, complete


def _rows(text: str, sep: str, limit: int = _SNIFF_ROWS) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    rows: list[list[str]] = []
    try:
        for row in reader:
            if row:
                rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass
    return rows


def _sniff_sep(text: str) -> str:
    best, best_width = ",", 1
    for sep in DELIMITERS:
        widths = [len(r) for r in _rows(text, sep, limit=200)]
        if not widths:
            continue
        width, n = Counter(widths).most_common(1)[0]
        if width > best_width and n >= _ROW_SHARE * len(widths) and widths[0] == width:
            best, best_width = sep, width
    return best


def _sniff_numbers(rows: list[list[str]]) -> tuple[str, str | None]:
    """The decimal mark and the thousands separator the values use."""
    values = [v.strip() for row in rows[1:] for v in row if v[-1:].isdigit()]
    commas = [v for v in values if "," in v]
    spaced = [v for v in values if " " in v or "\u00a0" in v]
    if not commas and not spaced:  # plain numbers (the common case): nothing to undo
        return ".", None
    comma_decimal = any(_COMMA_DECIMAL.match(v) for v in commas)
    dot_decimal = any(_DOT_DECIMAL.match(v) for v in values if "." in v)
    decimal = "," if comma_decimal and not dot_decimal else "."
    if decimal == "." and any(_COMMA_GROUPS.match(v) for v in commas):
        return decimal, ","
    if decimal == "," and any(_DOT_GROUPS.match(v) for v in values if "." in v):
        return decimal, "."
    grouped = [v for v in spaced if _SPACE_GROUPS.match(v)]
    if grouped:
        return decimal, "\u00a0" if any("\u00a0" in v for v in grouped) else " "
    return decimal, None


def sniff(path: Path, options: CsvOptions) -> CsvFormat:
    """Fill in what ``options`` leaves open from the first 256 KB of the file.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "prices.csv"
    >>> _ = p.write_text('item;price\\na;"1.303,48"\\nb;12,5\\n')
    >>> f = sniff(p, CsvOptions())
    >>> f.sep, f.decimal, f.thousands
    (';', ',', '.')
    """
    text, _ = _head(path, options.encoding)
    sep = options.sep if options.sep is not None else _sniff_sep(text)
    rows = _rows(text, sep)
    if options.decimal is not None:
        decimal = options.decimal
        thousands = options.thousands or None
        if options.thousands is None:
            sniffed_decimal, sniffed = _sniff_numbers(rows)
            thousands = sniffed if sniffed_decimal == decimal else None
    else:
        decimal, thousands = _sniff_numbers(rows)
        if options.thousands is not None:
            thousands = options.thousands or None
            if thousands == "," and decimal == ",":
                decimal = "."
    newlines = any("\n" in v or "\r" in v for row in rows for v in row)
    return CsvFormat(
        sep, decimal, thousands, options.encoding, tuple(options.null_values), newlines
    )


def _error(path: Path, exc: Exception, names: Sequence[str], fmt: CsvFormat) -> DataError:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    column = re.search(r"column #(\d+)", text)
    where = ""
    if column is not None and int(column.group(1)) < len(names):
        where = f" column {names[int(column.group(1))]!r}:"
    if "UTF8" in text or "UTF-8" in text or "decode" in text.lower():
        fix = (
            f"the file is not valid {fmt.encoding}; give its encoding "
            "(CLI: --encoding latin-1; API: CsvOptions(encoding=...))"
        )
    elif "Expected" in text and "columns" in text:
        fix = (
            f"a row has a different number of fields than the header; check the delimiter "
            f"(read with {fmt.sep!r}; CLI: --sep) and the quoting"
        )
    else:
        fix = "check that it is a CSV file"
    return DataError(f"Cannot read the CSV file {str(path)!r}:{where} {text}. Fix: {fix}.")


def _reader(
    path: Path, fmt: CsvFormat, columns: list[str] | None, names: list[str]
) -> pa_csv.CSVStreamingReader:
    convert = pa_csv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.large_string()),
        include_columns=columns,
        null_values=list(fmt.null_values),
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )
    return pa_csv.open_csv(
        path,
        read_options=pa_csv.ReadOptions(block_size=_BLOCK_SIZE, encoding=fmt.encoding),
        parse_options=pa_csv.ParseOptions(
            delimiter=fmt.sep, newlines_in_values=fmt.newlines_in_values
        ),
        convert_options=convert,
    )


def header(path: Path, fmt: CsvFormat) -> list[str]:
    """The column names of a CSV file (unique; else a :class:`DataError` naming the twin)."""
    try:
        probe = pa_csv.open_csv(
            path,
            read_options=pa_csv.ReadOptions(block_size=1 << 16, encoding=fmt.encoding),
            parse_options=pa_csv.ParseOptions(
                delimiter=fmt.sep, newlines_in_values=fmt.newlines_in_values
            ),
            convert_options=pa_csv.ConvertOptions(
                null_values=list(fmt.null_values), strings_can_be_null=True
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeError) as exc:
        if "Empty CSV file" in str(exc):
            raise DataError(
                f"The CSV file {str(path)!r} is empty; it needs a header row of column names."
            ) from exc
        raise _error(path, exc, [], fmt) from exc
    names = list(probe.schema.names)
    probe.close()
    twins = sorted({n for n in names if names.count(n) > 1})
    if twins:
        raise DataError(
            f"The CSV file {str(path)!r} has the column name(s) {twins} more than once; "
            "rename them so that every column name is unique."
        )
    return names


def csv_text_batches(
    path: Path, fmt: CsvFormat, columns: list[str] | None
) -> tuple[list[str], list[str], Iterator[pa.RecordBatch]]:
    """All column names, the selected ones, and the file's batches, every cell as text."""
    names = header(path, fmt)
    selected = select_columns(names, columns, repr(str(path)))
    return names, selected, _batches(path, fmt, selected, names)


def _batches(
    path: Path, fmt: CsvFormat, selected: list[str], names: list[str]
) -> Iterator[pa.RecordBatch]:
    try:
        reader = _reader(path, fmt, selected, names)
        for batch in reader:
            yield batch.select(selected) if batch.schema.names != selected else batch
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeError) as exc:
        raise _error(path, exc, names, fmt) from exc
