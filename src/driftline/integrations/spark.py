"""Profiles of a Spark DataFrame, computed partition by partition on the cluster.

Each partition is profiled on its executor (``mapInArrow``: Arrow record batches in,
one row of profile bytes out); the driver collects the bytes (a few kB per column and
partition) and merges them in a balanced tree. The result equals
:func:`driftline.profile` of the same rows: counts, nulls, extremes and category counts
exactly, moments to floating point, sketches within their stated bounds. Kinds are
decided once on the driver (see :mod:`driftline.integrations`), so every partition
profiles a column with the same kind.

The executors' Python needs driftline installed (the same version as the driver's).
Needs the ``spark`` extra: ``pip install 'driftline[spark]'``.

Example (not run here: it starts a JVM)::

    from pyspark.sql import SparkSession
    from driftline.integrations.spark import profile

    spark = SparkSession.builder.master("local[2]").getOrCreate()
    p = profile(spark.read.parquet("predictions/"))
    print(p.n_rows, p.kinds)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa

from driftline._deps import require
from driftline.exceptions import ParameterError
from driftline.integrations._core import (
    HEAD_ROWS,
    Kinds,
    SketchOptions,
    check_options,
    decide_kinds,
    empty_profile,
    merge_profiles,
    profile_partition,
    sketch_options,
)
from driftline.profiles import DatasetProfile
from driftline.tabular import FILE_BATCH_SIZE

if TYPE_CHECKING:
    from driftline.profiles import ColumnKind

__all__ = ["profile", "profile_bytes"]

#: The column of profile bytes that each partition's job returns.
_OUT: Final = "profile"


def _check_frame(sdf: object) -> Any:
    require("pyspark", extra="spark")
    from pyspark.sql import DataFrame

    if not isinstance(sdf, DataFrame):
        raise ParameterError(
            f"The 'sdf' parameter must be a pyspark.sql.DataFrame; got "
            f"{type(sdf).__module__}.{type(sdf).__qualname__}. Read files with "
            "spark.read.parquet(path) first."
        )
    return sdf


def _to_arrow(sdf: Any) -> pa.Table:
    return sdf.toArrow()


def _first_values(sdf: Any, names: list[str]) -> dict[str, pa.Table]:
    from pyspark.sql import functions

    out = {}
    for name in names:
        found = _to_arrow(sdf.select(name).where(functions.col(name).isNotNull()).limit(HEAD_ROWS))
        if found.num_rows:
            out[name] = found
    return out


def _pieces(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.Table]:
    """Consecutive tables of at least ``rows`` rows (the last may be shorter)."""
    held: list[pa.RecordBatch] = []
    n = 0
    for batch in batches:
        held.append(batch)
        n += batch.num_rows
        if n >= rows:
            yield pa.Table.from_batches(held)
            held, n = [], 0
    if held:
        yield pa.Table.from_batches(held)


def _job(kinds: Kinds, forced: dict[str, ColumnKind], options: SketchOptions) -> Any:
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        payload = profile_partition(_pieces(batches, FILE_BATCH_SIZE), kinds, forced, options)
        yield pa.RecordBatch.from_arrays([pa.array([payload], type=pa.binary())], names=[_OUT])

    return run


def profile_bytes(
    sdf: object,
    *,
    columns: Sequence[str] | None = None,
    schema: Mapping[str, str] | None = None,
    category_cap: int | None = None,
    quantile_k: int | None = None,
) -> list[bytes]:
    """The profile bytes of every partition of ``sdf`` (options as :func:`profile`).

    Merge them with :func:`driftline.integrations.merge_profiles`. A DataFrame without
    partitions gives one profile of no rows.
    """
    frame = _check_frame(sdf)
    cols, forced = check_options(columns, schema, 2)
    options = sketch_options(category_cap, quantile_k)
    if cols is not None:
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise ParameterError(
                f"Columns {missing} are not in the Spark DataFrame; its columns: {frame.columns}."
            )
        frame = frame.select(*cols)
    types = _to_arrow(frame.limit(0)).schema
    kinds = decide_kinds(
        types,
        forced,
        lambda names: _to_arrow(frame.select(*names).limit(HEAD_ROWS)),
        lambda names: _first_values(frame, names),
    )
    rows = frame.mapInArrow(_job(kinds, forced, options), f"{_OUT} binary").collect()
    if not rows:  # a DataFrame without partitions
        return [empty_profile(kinds, options).to_bytes()]
    return [bytes(row[0]) for row in rows]


def profile(
    sdf: object,
    *,
    columns: Sequence[str] | None = None,
    schema: Mapping[str, str] | None = None,
    category_cap: int | None = None,
    quantile_k: int | None = None,
    fan_in: int = 2,
) -> DatasetProfile:
    """Profile a Spark DataFrame on its cluster: one profile per partition, merged on the driver.

    Options as :func:`driftline.profile`: ``columns`` selects columns, ``schema`` fixes
    kinds (column name -> kind), ``category_cap`` and ``quantile_k`` size the sketches
    (None: ``profile``'s defaults). ``fan_in`` is the number of profiles merged at each
    level of the tree.
    """
    check_options(columns, schema, fan_in)
    parts = profile_bytes(
        sdf, columns=columns, schema=schema, category_cap=category_cap, quantile_k=quantile_k
    )
    return merge_profiles(parts, fan_in=fan_in)
