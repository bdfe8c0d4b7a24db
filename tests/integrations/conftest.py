"""One Dask LocalCluster (worker processes) and one Spark session (``local[2]``) per test
session, started on first use. Both run in every CI run: when Java or an engine is
missing the tests fail under ``CI=true`` and are skipped otherwise."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from typing import Any

import pytest


def _missing(what: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} (CI=true: the Dask and Spark tests must run)", pytrace=False)
    pytest.skip(what)


@pytest.fixture(scope="session")
def dask_client() -> Iterator[Any]:
    """A ``distributed.Client`` on a LocalCluster of 2 worker processes, 1 thread each."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        _missing("dask[distributed] is not installed: pip install -e '.[dev]'")
    cluster = LocalCluster(
        processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A SparkSession ``local[2]`` (UTC session time zone, no UI)."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        _missing("Java is not installed (Spark needs a JRE: apt-get install default-jre-headless)")
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        _missing("pyspark is not installed: pip install -e '.[dev]'")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("driftline-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
