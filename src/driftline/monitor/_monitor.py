"""The monitoring loop: plan a fair pass, compute each due window, close windows, alert."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import ClassVar, cast

from sqlalchemy import Engine

from driftline._params import BOOLEAN, Constraints, InstanceOf, Interval, validate
from driftline.monitor._alerting import AlertStep
from driftline.monitor._claims import claim
from driftline.monitor._estimators import EstimatorCache
from driftline.monitor._failures import RateLimitedLog, one_line, retry_delay
from driftline.monitor._schedule import Plan, plan_pass, still_due
from driftline.monitor._stats import MonitorStats
from driftline.monitor._versions import VersionCache
from driftline.monitor._window import WindowWorker
from driftline.store import WindowStore

__all__ = ["Monitor", "MonitorStats"]

logger = logging.getLogger("driftline.monitor")


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Monitor:
    """Computes every window's results as predictions and labels arrive.

    Each :meth:`run_once` folds the batches not merged yet into their window's stored
    profile (reading only those batches), computes the results of windows that changed
    (new rows, new labels) or that close (time windows ``grace_seconds`` after their end,
    row windows once full), stores them, and evaluates the alert rules. A batch is marked
    merged in the same transaction that stores the merged profile, so a crash or a
    restart neither skips nor repeats a batch. Several monitors may run against one
    database: writes are optimistic (a window changed by another writer is re-read),
    and on PostgreSQL each window is claimed with an advisory lock before it is
    computed, so that monitors share the windows without computing one twice.

    One tenant cannot stall the others: a pass takes at most ``max_windows_per_run``
    windows, shared fairly between projects and then versions (the smallest demands
    first), and plans again every ``replan_seconds``, so that a window that became due
    meanwhile does not wait for the end of a long pass; a pass that left due windows for
    later is followed at once by the next. A window
    whose computation fails is retried on the next pass, then after ``retry_base_seconds``,
    twice that, ... up to ``retry_max_seconds``; after ``quarantine_after`` failures in a
    row it is marked quarantined (the window listing shows its error). Each failure logs
    one line (rate-limited); the traceback is logged at DEBUG.

    ``clock`` returns the current time (timezone-aware UTC), for tests.

    >>> from driftline.store import create_engine_from_url, migrate
    >>> engine = create_engine_from_url("sqlite://"); migrate(engine)
    >>> Monitor(engine, alerts=False).run_once().windows_computed
    0
    """

    _parameter_constraints: ClassVar[Constraints] = {
        "interval_seconds": [Interval("real", 0, None)],
        "grace_seconds": [Interval("real", 0, None)],
        "alerts": [BOOLEAN],
        "clock": [
            InstanceOf((cast(type, Callable),), "a callable returning an aware datetime"),
            None,
        ],
        "min_labels": [Interval("int", 1, None)],
        "min_estimation_rows": [Interval("int", 1, None)],
        "max_rows_per_step": [Interval("int", 1, None)],
        "max_windows_per_run": [Interval("int", 1, None)],
        "replan_seconds": [Interval("real", 0, None, closed="neither")],
        "max_versions": [Interval("int", 1, None)],
        "max_estimators": [Interval("int", 1, None)],
        "retry_base_seconds": [Interval("real", 0, None)],
        "retry_max_seconds": [Interval("real", 0, None)],
        "quarantine_after": [Interval("int", 1, None)],
    }

    def __init__(
        self,
        engine: Engine,
        *,
        interval_seconds: float = 5.0,
        grace_seconds: float = 60.0,
        alerts: bool = True,
        clock: Callable[[], datetime] | None = None,
        min_labels: int = 30,
        min_estimation_rows: int = 30,
        max_rows_per_step: int = 200_000,
        max_windows_per_run: int = 1_000,
        replan_seconds: float = 5.0,
        max_versions: int = 64,
        max_estimators: int = 32,
        retry_base_seconds: float = 30.0,
        retry_max_seconds: float = 3_600.0,
        quarantine_after: int = 5,
    ) -> None:
        params = validate(self, locals())
        self.interval_seconds: float = params["interval_seconds"]
        self.grace_seconds: float = params["grace_seconds"]
        self.replan_seconds: float = params["replan_seconds"]
        self.retry_base_seconds: float = params["retry_base_seconds"]
        self.retry_max_seconds: float = params["retry_max_seconds"]
        self.min_labels: int = params["min_labels"]
        self.min_estimation_rows: int = params["min_estimation_rows"]
        self.max_rows_per_step: int = params["max_rows_per_step"]
        self.max_windows_per_run: int = params["max_windows_per_run"]
        self.max_versions: int = params["max_versions"]
        self.quarantine_after: int = params["quarantine_after"]
        self.engine = engine
        self.alerts = alerts
        self.clock: Callable[[], datetime] = clock or _utcnow
        self.store = WindowStore(engine)
        self.estimators = EstimatorCache(max_estimators)
        self.versions = VersionCache(self.max_versions)
        self.totals = MonitorStats()
        self.last_stats: MonitorStats | None = None
        self._log = RateLimitedLog(logger)
        self._worker = WindowWorker(
            self.store,
            self.versions,
            self.estimators,
            grace_seconds=self.grace_seconds,
            min_labels=self.min_labels,
            min_estimation_rows=self.min_estimation_rows,
            max_rows_per_step=self.max_rows_per_step,
        )
        self._alerts = AlertStep(engine, self.clock, self._log)
        self._passes = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ the loop
    def run_once(self) -> MonitorStats:
        """One pass: merge, compute, close, alert. Returns what it did."""
        return self._pass(None)

    def _pass(self, stop_event: threading.Event | None) -> MonitorStats:
        """One pass; between two windows it ends early once ``stop_event`` is set."""
        with self._lock:
            started = time.perf_counter()
            stats = MonitorStats()
            now = self.clock()
            computed: list[tuple[str, str]] = []
            done: set[str] = set()
            while len(done) < self.max_windows_per_run:
                plan = self._plan(now, self.max_windows_per_run - len(done), done)
                stats.windows_deferred = plan.due
                replan_at = time.perf_counter() + self.replan_seconds
                for i, window_id in enumerate(plan.window_ids):
                    if stop_event is not None and stop_event.is_set():
                        break
                    if i and time.perf_counter() > replan_at:
                        break
                    done.add(window_id)
                    stats.windows_deferred -= 1
                    version_id = self._compute(window_id, now, stats)
                    if version_id is not None:
                        computed.append((version_id, window_id))
                else:
                    break  # the plan is done: so is the pass
                if stop_event is not None and stop_event.is_set():
                    break
                now = self.clock()  # windows that became due meanwhile take their turn
            if self.alerts:  # deliveries due for a retry go out even when nothing changed
                self._alerts.run(computed, stats)
            stats.seconds = time.perf_counter() - started
            self.totals.add(stats)
            self.last_stats = stats
            return stats

    def _plan(self, now: datetime, limit: int, done: set[str]) -> Plan:
        with self.engine.connect() as conn:
            plan = plan_pass(
                conn,
                now,
                grace_seconds=self.grace_seconds,
                limit=limit,
                offset=self._passes,
                exclude=done,
            )
        self._passes += 1
        return plan

    def _compute(self, window_id: str, now: datetime, stats: MonitorStats) -> str | None:
        """Compute one window; its version id when results were stored.

        On PostgreSQL the window is claimed first: one another monitor holds, or one
        that is no longer due once held (another monitor computed it meanwhile), is
        skipped, so that several monitors never compute the same window twice.
        """
        try:
            with claim(self.engine, window_id) as mine:
                if not mine or not self._still_due(window_id, now):
                    stats.windows_skipped += 1
                    return None
                return self._worker.process(window_id, now, stats)
        except Exception as exc:  # a bug or bad data in this window only
            self._failed(window_id, exc, now, stats)
            return None

    def _still_due(self, window_id: str, now: datetime) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True  # one writer at a time: the optimistic writes suffice
        with self.engine.connect() as conn:
            return still_due(conn, window_id, now, grace_seconds=self.grace_seconds)

    def _retry_after(self, failures: int) -> float:
        return retry_delay(failures, base=self.retry_base_seconds, cap=self.retry_max_seconds)

    def _failed(self, window_id: str, exc: Exception, now: datetime, stats: MonitorStats) -> None:
        """Record a window's failure (backoff, quarantine) and log it without flooding."""
        stats.errors += 1
        stats.windows_failed += 1
        message = one_line(exc)
        try:
            failures = self.store.record_window_failure(
                window_id,
                message,
                retry_after=self._retry_after,
                quarantine_after=self.quarantine_after,
                now=now,
            )
        except Exception:  # e.g. the database is gone; the window stays due
            logger.debug("recording the failure of window %s failed", window_id, exc_info=True)
            failures = 0
        state = "quarantined, " if failures >= self.quarantine_after else ""
        self._log.warning(
            "computing window %s failed (%d in a row; %snext attempt in %.0f s): %s",
            window_id,
            failures,
            state,
            self._retry_after(failures),
            message,
        )
        logger.debug("computing window %s failed", window_id, exc_info=exc)

    def run_forever(self, stop_event: threading.Event) -> None:
        """Call :meth:`run_once` every ``interval_seconds`` until ``stop_event`` is set.

        A pass that left due windows for later (its limits) is followed at once by the next.
        """
        while not stop_event.is_set():
            wait = self.interval_seconds
            try:
                if self._pass(stop_event).windows_deferred:
                    wait = 0.0
            except Exception as exc:  # the loop survives database outages and bugs alike
                self._log.warning("monitor pass failed: %s", one_line(exc))
                logger.debug("monitor pass failed", exc_info=exc)
            stop_event.wait(wait)

    def start(self) -> None:
        """Run the loop in a daemon thread (no-op when already running)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self.run_forever, args=(self._stop,), name="driftline-monitor", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float | None = 10.0) -> bool:
        """Ask the loop to stop and wait up to ``timeout`` s; True when it has stopped."""
        self._stop.set()
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        if thread.is_alive():
            return False
        self._thread = None
        return True

    @property
    def running(self) -> bool:
        """True while the background thread runs."""
        return self._thread is not None and self._thread.is_alive()
