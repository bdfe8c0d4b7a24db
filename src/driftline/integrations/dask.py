"""Profiles of a Dask DataFrame, computed partition by partition on the cluster.

Each partition is profiled where it lives (``map_partitions``) and shipped as profile
bytes (:meth:`~driftline.profiles.DatasetProfile.to_bytes`, a few kB per column); the
driver merges them in a balanced tree. The result equals :func:`driftline.profile` of
the same rows: counts, nulls, extremes and category counts exactly, moments to floating
point, sketches within their stated bounds. Kinds are decided once on the driver (see
:mod:`driftline.integrations`), so every partition profiles a column with the same kind.

Needs the ``dask`` extra: ``pip install 'driftline[dask]'``.

>>> import numpy as np, pandas as pd
>>> import dask.dataframe as dd
>>> from driftline.integrations.dask import profile
>>> frame = pd.DataFrame({"x": np.arange(1000.0), "c": ["a", "b"] * 500})
>>> p = profile(dd.from_pandas(frame, npartitions=4))
>>> p.n_rows, p["x"].max, p.kinds
(1000, 999.0, {'x': 'numeric', 'c': 'categorical'})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from driftline._deps import require
from driftline.exceptions import ParameterError
from driftline.integrations._core import (
    HEAD_ROWS,
    Kinds,
    SketchOptions,
    check_options,
    decide_kinds,
    merge_profiles,
    profile_partition,
    sketch_options,
)
from driftline.profiles import DatasetProfile
from driftline.tabular import to_table

if TYPE_CHECKING:
    from driftline.profiles import ColumnKind

__all__ = ["profile", "profile_bytes"]


def _dask() -> Any:
    require("dask", extra="dask")
    return require("dask.dataframe", extra="dask")


def _check_frame(ddf: object) -> Any:
    dd = _dask()
    if not isinstance(ddf, dd.DataFrame):
        raise ParameterError(
            f"The 'ddf' parameter must be a dask.dataframe.DataFrame; got "
            f"{type(ddf).__module__}.{type(ddf).__qualname__}. Read files with "
            "dask.dataframe.read_parquet(path) first."
        )
    return ddf


def _head(ddf: Any, names: list[str]) -> pa.Table:
    import pandas as pd

    frames = []
    rows = 0
    sub = ddf[names]
    for i in range(sub.npartitions):
        part = sub.partitions[i].compute()
        frames.append(part.iloc[: HEAD_ROWS - rows])
        rows += len(frames[-1])
        if rows >= HEAD_ROWS:
            break
    return to_table(pd.concat(frames) if len(frames) > 1 else frames[0])


def _non_null(frame: Any, names: list[str]) -> dict[str, pa.Table]:
    table = to_table(frame, columns=names)
    out = {}
    for name in names:
        column = table.column(name)
        if column.null_count < len(column):
            values = column.drop_null().slice(0, HEAD_ROWS)
            out[name] = pa.Table.from_arrays([values], schema=pa.schema([table.schema.field(name)]))
    return out


def _first_values(ddf: Any, names: list[str]) -> dict[str, pa.Table]:
    dask: Any = require("dask", extra="dask")
    parts = ddf[names].to_delayed()
    found: list[dict[str, pa.Table]] = dask.compute(
        *[dask.delayed(_non_null)(part, names) for part in parts]
    )
    out: dict[str, pa.Table] = {}
    for name in names:
        pieces = [f[name] for f in found if name in f]
        if pieces:
            out[name] = pa.concat_tables(pieces).slice(0, HEAD_ROWS)
    return out


def _partition(
    frame: Any, kinds: Kinds, forced: dict[str, ColumnKind], options: SketchOptions
) -> Any:
    import pandas as pd

    payload = profile_partition([frame], kinds, forced, options)
    return pd.Series([payload], dtype=object)


def profile_bytes(
    ddf: object,
    *,
    columns: Sequence[str] | None = None,
    schema: Mapping[str, str] | None = None,
    category_cap: int | None = None,
    quantile_k: int | None = None,
) -> list[bytes]:
    """The profile bytes of every partition of ``ddf``, in partition order.

    Options as :func:`profile`; merge them with
    :func:`driftline.integrations.merge_profiles` (or upload each, see
    ``docs/scale-out.md``).

    >>> import pandas as pd, dask.dataframe as dd
    >>> parts = profile_bytes(dd.from_pandas(pd.DataFrame({"x": range(10)}), npartitions=2))
    >>> len(parts), [DatasetProfile.from_bytes(b).n_rows for b in parts]
    (2, [5, 5])
    """
    import pandas as pd

    frame = _check_frame(ddf)
    cols, forced = check_options(columns, schema, 2)
    options = sketch_options(category_cap, quantile_k)
    if cols is not None:
        frame = frame[cols]
    types = to_table(frame._meta).schema
    kinds = decide_kinds(
        types,
        forced,
        lambda names: _head(frame, names),
        lambda names: _first_values(frame, names),
    )
    series = frame.map_partitions(_partition, kinds, forced, options, meta=pd.Series(dtype=object))
    return [bytes(b) for b in series.compute().tolist()]


def profile(
    ddf: object,
    *,
    columns: Sequence[str] | None = None,
    schema: Mapping[str, str] | None = None,
    category_cap: int | None = None,
    quantile_k: int | None = None,
    fan_in: int = 2,
) -> DatasetProfile:
    """Profile a Dask DataFrame on its cluster: one profile per partition, merged on the driver.

    Options as :func:`driftline.profile`: ``columns`` selects columns, ``schema`` fixes
    kinds (column name -> kind), ``category_cap`` and ``quantile_k`` size the sketches.
    ``fan_in`` is the number of profiles merged at each level of the tree. Runs on the
    current Dask scheduler (a ``distributed.Client`` when one is active).

    >>> import pandas as pd, dask.dataframe as dd
    >>> frame = pd.DataFrame({"zip": ["02139", "94105", None, "10001"]})
    >>> profile(dd.from_pandas(frame, npartitions=2)).kinds
    {'zip': 'categorical'}
    """
    check_options(columns, schema, fan_in)
    parts = profile_bytes(
        ddf, columns=columns, schema=schema, category_cap=category_cap, quantile_k=quantile_k
    )
    return merge_profiles(parts, fan_in=fan_in)
