"""Tabular input, once, at the edge: every source read the same way, one column-kind rule.

Profiles, drift, estimation, the gate, the store, the client and the CLI read data
through this package, so that a CSV file and a Parquet file of the same rows give the
same table, and a column has the same kind everywhere.

- :func:`read_table` reads a Parquet or CSV file whole; :func:`to_table` accepts any
  supported data (pandas / polars DataFrames, Arrow tables, dicts of arrays, paths);
  :func:`iter_slices` / :func:`iter_batches` stream it in bounded memory.
- :func:`infer_kind` is the column-kind rule (:data:`ColumnKind`: numeric, categorical,
  boolean, datetime, text). A schema (:data:`Schema`, :func:`read_schema`,
  :func:`build_schema`) overrides it for the columns it names.
- :class:`CsvOptions` says how CSV files are written (delimiter, decimal mark, thousands
  separator, encoding, null spellings); what it leaves open is sniffed from the file.

>>> import pandas as pd
>>> from driftline.tabular import table_kinds, to_table
>>> frame = pd.DataFrame({
...     "age": [31, 45], "zip": ["02139", "94105"], "vip": [True, False],
...     "since": pd.to_datetime(["2024-01-05", "2024-03-01"]),
...     "plan": pd.Categorical([1, 2]),
... })
>>> table_kinds(to_table(frame))
{'age': 'numeric', 'zip': 'categorical', 'vip': 'boolean', 'since': 'datetime', 'plan': 'categorical'}
"""

from driftline.tabular._csv import CsvOptions
from driftline.tabular._kinds import (
    KIND_KEY,
    KINDS,
    ColumnKind,
    check_kind,
    infer_kind,
    numeric_looking,
)
from driftline.tabular._memory import MIXED_TYPES_KEY
from driftline.tabular._patterns import NULL_VALUES
from driftline.tabular._read import (
    DEFAULT_BATCH_SIZE,
    FILE_BATCH_SIZE,
    iter_batches,
    iter_slices,
    read_table,
    to_table,
)
from driftline.tabular._schema import Schema, build_schema, check_schema, read_schema, table_kinds
from driftline.tabular._typing import INVALID_KEY, invalid_count
from driftline.tabular._values import (
    boolean_values,
    nan_text_count,
    numeric_values,
    string_values,
)

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "FILE_BATCH_SIZE",
    "INVALID_KEY",
    "KINDS",
    "KIND_KEY",
    "MIXED_TYPES_KEY",
    "NULL_VALUES",
    "ColumnKind",
    "CsvOptions",
    "Schema",
    "boolean_values",
    "build_schema",
    "check_kind",
    "check_schema",
    "infer_kind",
    "invalid_count",
    "iter_batches",
    "iter_slices",
    "nan_text_count",
    "numeric_looking",
    "numeric_values",
    "read_schema",
    "read_table",
    "string_values",
    "table_kinds",
    "to_table",
]
