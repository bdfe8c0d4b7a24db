"""Helpers shared by benchmarks: fresh-process runs, peak RSS, medians, JSON results.

A measurement runs in a fresh Python process that prints one JSON object on its last
stdout line; :func:`run_fresh` returns it. Inside the worker, :func:`reset_peak_rss`
and :func:`peak_rss_bytes` measure the peak resident set of one phase (Linux
``/proc/self/clear_refs``), and :func:`max_rss_bytes` the process-wide peak from
``resource.getrusage``.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent
ONE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "POLARS_MAX_THREADS": "1",
    "DO_NOT_TRACK": "1",
    "WHYLOGS_NO_ANALYTICS": "True",
}


def max_rss_bytes() -> int:
    """Process-wide peak RSS (``getrusage``; KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def current_rss_bytes() -> int:
    """Current RSS from ``/proc/self/statm``."""
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS counter (VmHWM) of this process; False if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


def peak_rss_bytes() -> int:
    """Peak RSS (VmHWM) since the last :func:`reset_peak_rss`."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return max_rss_bytes()


def run_fresh(
    argv: Sequence[str], *, python: str = sys.executable, timeout: float = 3600.0
) -> dict[str, Any]:
    """Run ``python argv...`` in a fresh single-threaded process; parse its last stdout line."""
    env = {**os.environ, **ONE_THREAD}
    proc = subprocess.run(
        [python, *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=ROOT,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"worker failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def release_memory() -> None:
    """Return freed heap memory to the OS (glibc ``malloc_trim``, Arrow's pool), so that
    the RSS measured next reflects live data only."""
    import ctypes
    import gc

    gc.collect()
    try:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()
    except ImportError:
        pass
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def median(values: Sequence[float]) -> float:
    """Median of the measurements."""
    return float(statistics.median(values))


def machine() -> dict[str, Any]:
    """Where the numbers were measured."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_at_start": list(load),
    }


def write_results(name: str, payload: dict[str, Any]) -> Path:
    """Write ``benchmarks/results/<name>.json``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    return path


POSTGRES_ADMIN_URL = os.environ.get(
    "DRIFTLINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def scratch_database(backend: str, folder: str) -> tuple[str, Any]:
    """A fresh database for one measurement: its URL and a function that drops it (or None).

    SQLite: a file under ``folder``. PostgreSQL: a new database on the local server
    (``DRIFTLINE_TEST_POSTGRES_URL``), dropped by the returned function.
    """
    if backend == "sqlite":
        return f"sqlite:///{folder}/bench.db", None
    import secrets

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"driftline_bench_{secrets.token_hex(5)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop
