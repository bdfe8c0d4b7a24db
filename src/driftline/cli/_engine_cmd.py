"""``driftline profile --engine dask|spark PATH``: profile Parquet on a Dask or Spark cluster.

The engine reads PATH (a Parquet file or a directory of Parquet files) itself and runs
:func:`driftline.integrations.dask.profile` or
:func:`driftline.integrations.spark.profile`. Dask runs on the scheduler Dask is
configured with (local threads by default); Spark on the session ``getOrCreate`` gives
(``spark-submit``'s master, else ``local[*]``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from driftline.exceptions import DataError

if TYPE_CHECKING:
    from driftline.profiles import ColumnKind, DatasetProfile

Engine = Literal["local", "dask", "spark"]

EngineOption = Annotated[
    Engine,
    typer.Option(
        "--engine",
        help="Where to compute the profile: local (this process, streamed), dask or spark "
        "(PATH is then a Parquet file or a directory of Parquet files).",
    ),
]


def _parquet_path(path: Path) -> str:
    if not path.exists():
        raise DataError(f"The data path {str(path)!r} does not exist.")
    if path.is_file() and path.suffix.lower() not in (".parquet", ".pq"):
        raise DataError(
            f"--engine dask|spark reads Parquet; {str(path)!r} is not a .parquet file. "
            "Give a Parquet file or a directory of Parquet files, or use --engine local."
        )
    return str(path)


def engine_profile(
    path: Path,
    engine: Engine,
    *,
    columns: list[str] | None,
    schema: dict[str, ColumnKind],
) -> DatasetProfile:
    """Profile the Parquet data at ``path`` with ``engine`` (``dask`` or ``spark``)."""
    source = _parquet_path(path)
    if engine == "dask":
        from driftline._deps import require
        from driftline.integrations import dask as on_dask

        dd = require("dask.dataframe", extra="dask")
        return on_dask.profile(dd.read_parquet(source), columns=columns, schema=schema or None)
    from driftline._deps import require
    from driftline.integrations import spark as on_spark

    require("pyspark", extra="spark")
    from pyspark.sql import SparkSession

    session = SparkSession.builder.appName("driftline-profile").getOrCreate()
    return on_spark.profile(session.read.parquet(source), columns=columns, schema=schema or None)
