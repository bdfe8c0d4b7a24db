"""The monitoring loop: fold new batches into window profiles, compute results, close windows."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

import numpy as np
import pyarrow as pa
from sqlalchemy import (
    Connection,
    Engine,
    Float,
    and_,
    case,
    cast,
    func,
    select,
    true,
    update,
)

from driftline.exceptions import ParameterError
from driftline.monitor._estimators import EstimatorCache
from driftline.monitor._profiling import profile_rows
from driftline.monitor._results import WindowIndex, WindowInputs, compute_results
from driftline.store import (
    ModelVersion,
    Prediction,
    PredictionBatch,
    VersionSchema,
    Window,
    from_ipc,
    session_factory,
    write_options,
)
from driftline.store._types import utcnow

__all__ = ["Monitor", "MonitorStats"]

logger = logging.getLogger("driftline.monitor")

_ATTEMPTS: Final = 5


class _ConflictError(Exception):
    """Another writer changed the window (or merged its batches) since we read it."""


@dataclass
class MonitorStats:
    """What one :meth:`Monitor.run_once` did.

    >>> MonitorStats(windows_computed=2).to_dict()["windows_computed"]
    2
    """

    windows_computed: int = 0
    batches_merged: int = 0
    rows_merged: int = 0
    windows_closed: int = 0
    conflicts: int = 0
    errors: int = 0
    alert_events: int = 0
    notifications_delivered: int = 0
    notifications_failed: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)

    def add(self, other: MonitorStats) -> None:
        """Add ``other``'s counts to this one's."""
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)


@dataclass
class _Version:
    id: str
    schema: VersionSchema
    kind: str
    size: int
    fingerprint: str
    reference_profile: Any
    reference_data: pa.Table | None
    detectors: dict[tuple[str, ...], Any] = field(default_factory=dict)

    def detector(self, columns: Sequence[str]) -> Any:
        key = tuple(columns)
        found = self.detectors.get(key)
        if found is None:
            from driftline.drift import DriftDetector

            if len(self.detectors) >= 8:
                self.detectors.clear()
            found = DriftDetector(columns=list(columns), n_jobs=1).fit(self.reference_profile)
            self.detectors[key] = found
        return found


def _mark_batches(conn: Connection, batch_ids: list[str], now: datetime) -> None:
    """Mark merged batches profiled; a batch another monitor merged first is a conflict."""
    done = conn.execute(
        update(PredictionBatch)
        .where(PredictionBatch.id.in_(batch_ids), PredictionBatch.profiled_at.is_(None))
        .values(profiled_at=now)
    )
    if done.rowcount != len(batch_ids):
        raise _ConflictError


def _groups(pending: list[tuple[str, int]], max_rows: int) -> list[list[str]]:
    """Consecutive groups of batch ids of at most ``max_rows`` rows (at least one batch)."""
    groups: list[list[str]] = []
    current: list[str] = []
    rows = 0
    for batch_id, n in pending:
        if current and rows + n > max_rows:
            groups.append(current)
            current, rows = [], 0
        current.append(batch_id)
        rows += n
    if current:
        groups.append(current)
    return groups


class Monitor:
    """Computes every window's results as predictions and labels arrive.

    Each :meth:`run_once` folds the batches not merged yet into their window's stored
    profile (reading only those batches), computes the results of windows that changed
    (new rows, new labels) or that close (time windows ``grace_seconds`` after their end,
    row windows once full), stores them, and evaluates the alert rules. A batch is marked
    merged in the same transaction that stores the merged profile, so a crash or a
    restart neither skips nor repeats a batch. Several monitors may run against one
    database: writes are optimistic (a window changed by another writer is re-read).

    ``clock`` returns the current time (timezone-aware UTC), for tests.

    >>> from driftline.store import create_engine_from_url, migrate
    >>> engine = create_engine_from_url("sqlite://"); migrate(engine)
    >>> Monitor(engine, alerts=False).run_once().windows_computed
    0
    """

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
        max_versions: int = 64,
        max_estimators: int = 32,
    ) -> None:
        for name, value, low in (
            ("interval_seconds", interval_seconds, 0.0),
            ("grace_seconds", grace_seconds, 0.0),
        ):
            if isinstance(value, bool) or not isinstance(value, int | float) or value < low:
                raise ParameterError(
                    f"The {name!r} parameter must be a number >= 0; got {value!r}."
                )
        for name, ivalue in (
            ("min_labels", min_labels),
            ("min_estimation_rows", min_estimation_rows),
            ("max_rows_per_step", max_rows_per_step),
            ("max_windows_per_run", max_windows_per_run),
            ("max_versions", max_versions),
            ("max_estimators", max_estimators),
        ):
            if isinstance(ivalue, bool) or not isinstance(ivalue, int) or ivalue < 1:
                raise ParameterError(
                    f"The {name!r} parameter must be an integer >= 1; got {ivalue!r}."
                )
        self.engine = engine
        self.interval_seconds = float(interval_seconds)
        self.grace_seconds = float(grace_seconds)
        self.alerts = alerts
        self.clock: Callable[[], datetime] = clock or utcnow
        self.min_labels = min_labels
        self.min_estimation_rows = min_estimation_rows
        self.max_rows_per_step = max_rows_per_step
        self.max_windows_per_run = max_windows_per_run
        self.max_versions = max_versions
        self.estimators = EstimatorCache(max_estimators)
        self.totals = MonitorStats()
        self.last_stats: MonitorStats | None = None
        self._versions: OrderedDict[str, _Version] = OrderedDict()
        self._alert_engine: Any = None
        self._alerts_unavailable = False
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ the loop
    def run_once(self) -> MonitorStats:
        """One pass: merge, compute, close, alert. Returns what it did."""
        with self._lock:
            started = time.perf_counter()
            stats = MonitorStats()
            now = self.clock()
            computed: list[tuple[str, str]] = []
            for window_id in self._work(now):
                try:
                    done = self._process(window_id, now, stats)
                except Exception:
                    stats.errors += 1
                    logger.exception("computing window %s failed", window_id)
                    continue
                if done is not None:
                    computed.append((done, window_id))
            if self.alerts:  # deliveries due for a retry go out even when nothing changed
                self._evaluate_alerts(computed, stats)
            stats.seconds = time.perf_counter() - started
            self.totals.add(stats)
            self.last_stats = stats
            return stats

    def run_forever(self, stop_event: threading.Event) -> None:
        """Call :meth:`run_once` every ``interval_seconds`` until ``stop_event`` is set."""
        while not stop_event.is_set():
            try:
                self.run_once()
            except Exception:  # the loop survives database outages and bugs alike
                logger.exception("monitor pass failed")
            stop_event.wait(self.interval_seconds)

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

    # ------------------------------------------------------------------ finding work
    def _work(self, now: datetime) -> list[str]:
        cutoff = now - timedelta(seconds=self.grace_seconds)
        limit = self.max_windows_per_run
        with self.engine.connect() as conn:
            dirty = conn.execute(
                select(Window.id).where(Window.dirty == true()).order_by(Window.id).limit(limit)
            ).scalars()
            ids = list(dict.fromkeys(dirty))
            closing = conn.execute(
                select(Window.id)
                .where(
                    Window.status == "open",
                    Window.end_at.is_not(None),
                    Window.end_at < cutoff,
                )
                .order_by(Window.id)
                .limit(limit)
            ).scalars()
            full = conn.execute(
                select(Window.id)
                .join(ModelVersion, ModelVersion.id == Window.model_version_id)
                .where(
                    Window.status == "open",
                    ModelVersion.window_kind == "rows",
                    Window.row_count >= ModelVersion.window_size,
                )
                .order_by(Window.id)
                .limit(limit)
            ).scalars()
            ids = list(dict.fromkeys([*ids, *closing, *full]))
        return ids[:limit]

    # ------------------------------------------------------------------ versions
    def _version(self, conn: Connection, version_id: str) -> _Version:
        fp_row = conn.execute(
            select(
                func.length(ModelVersion.reference_profile),
                func.length(ModelVersion.reference_data),
            ).where(ModelVersion.id == version_id)
        ).first()
        if fp_row is None:
            raise ParameterError(f"No model version with id {version_id!r}.")
        fingerprint = f"{fp_row[0]}:{fp_row[1]}"
        cached = self._versions.get(version_id)
        if cached is not None and cached.fingerprint == fingerprint:
            self._versions.move_to_end(version_id)
            return cached
        row = conn.execute(
            select(
                ModelVersion.schema,
                ModelVersion.window_kind,
                ModelVersion.window_size,
                ModelVersion.reference_profile,
                ModelVersion.reference_data,
            ).where(ModelVersion.id == version_id)
        ).one()
        from driftline.profiles import DatasetProfile

        info = _Version(
            id=version_id,
            schema=VersionSchema.from_dict(row[0]),
            kind=str(row[1]),
            size=int(row[2]),
            fingerprint=fingerprint,
            reference_profile=None if row[3] is None else DatasetProfile.from_bytes(row[3]),
            reference_data=None if row[4] is None else from_ipc(row[4]),
        )
        self._versions[version_id] = info
        self._versions.move_to_end(version_id)
        while len(self._versions) > self.max_versions:
            self._versions.popitem(last=False)
        return info

    # ------------------------------------------------------------------ one window
    def _process(self, window_id: str, now: datetime, stats: MonitorStats) -> str | None:
        """Merge and compute one window; returns its version id when results were saved."""
        for _ in range(_ATTEMPTS):
            try:
                return self._attempt(window_id, now, stats)
            except _ConflictError:
                stats.conflicts += 1
        logger.warning(
            "window %s kept changing during %d attempts; retrying later", window_id, _ATTEMPTS
        )
        return None

    def _attempt(self, window_id: str, now: datetime, stats: MonitorStats) -> str | None:
        from driftline.profiles import DatasetProfile

        with self.engine.connect() as conn:
            row = conn.execute(
                select(
                    Window.model_version_id,
                    Window.window_key,
                    Window.start_at,
                    Window.end_at,
                    Window.row_count,
                    Window.label_count,
                    Window.profile,
                    Window.status,
                    Window.results,
                    Window.version,
                ).where(Window.id == window_id)
            ).first()
            if row is None:
                return None  # deleted meanwhile
            version = self._version(conn, row[0])
            pending = [
                (str(i), int(n))
                for i, n in conn.execute(
                    select(PredictionBatch.id, PredictionBatch.row_count)
                    .where(
                        PredictionBatch.window_id == window_id,
                        PredictionBatch.profiled_at.is_(None),
                    )
                    .order_by(PredictionBatch.id)
                ).all()
            ]
        version_id, key, start, end, row_count, label_count = row[:6]
        stored, status, previous, expected = row[6], str(row[7]), row[8], int(row[9])
        profile = None if stored is None else DatasetProfile.from_bytes(stored)
        groups = _groups(pending, self.max_rows_per_step)
        last_rows = 0
        for i, group in enumerate(groups):
            part, n_rows = self._profile_batches(version.schema, group)
            profile = part if profile is None else profile.merge(part)
            if i < len(groups) - 1:  # an intermediate step: profile and batches only
                self._write(window_id, expected, now, profile=profile.to_bytes(), batches=group)
                expected += 1
                stats.batches_merged += len(group)
                stats.rows_merged += n_rows
            else:
                last_rows = n_rows
        last = groups[-1] if groups else []
        new_status = status
        if status == "open":
            if version.kind == "time" and end is not None:
                if now > end + timedelta(seconds=self.grace_seconds):
                    new_status = "closed"
            elif version.kind == "rows" and int(row_count) >= version.size:
                new_status = "closed"
        index = self._read_index(window_id)
        prev = previous if isinstance(previous, dict) else None
        changed = (
            bool(pending)
            or prev is None
            or (prev.get("volume") or {}).get("rows") != int(row_count)
        )
        inputs = WindowInputs(
            key=int(key),
            start=start,
            end=end,
            status=new_status,
            task=version.schema.task,
            window_kind=version.kind,
            window_size=version.size,
            row_count=int(row_count),
            version_id=version_id,
            fingerprint=version.fingerprint,
            profile=profile,
            reference_profile=version.reference_profile,
            reference_data=version.reference_data,
            index=index,
            detector=version.detector if version.reference_profile is not None else None,
            previous=prev,
            profile_changed=changed,
        )
        results = compute_results(
            inputs,
            cache=self.estimators,
            min_labels=self.min_labels,
            min_estimation_rows=self.min_estimation_rows,
        )
        self._write(
            window_id,
            expected,
            now,
            profile=profile.to_bytes() if pending and profile is not None else None,
            batches=last,
            results=results,
            status=new_status,
            counts=(int(row_count), int(label_count)),
        )
        stats.batches_merged += len(last)
        stats.rows_merged += last_rows
        stats.windows_computed += 1
        if new_status == "closed" and status != "closed":
            stats.windows_closed += 1
        return str(version_id)

    def _read_index(self, window_id: str) -> WindowIndex:
        """The window's narrow index (what ``PredictionStore.read_index`` reads, as arrays).

        Only the needed columns, no sort, and label times converted to epoch seconds by
        the database (a Python datetime per row costs more than the rest of the read).
        """
        c = Prediction.__table__.c
        if self.engine.dialect.name == "sqlite":  # stored as naive UTC text
            label_epoch: Any = (func.julianday(c.label_at) - 2440587.5) * 86400.0
        else:
            label_epoch = func.extract("epoch", c.label_at)
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    c.score,
                    c.prediction,
                    c.label,
                    c.ts_us,
                    cast(label_epoch, Float),
                ).where(c.window_id == window_id)
            ).all()
        columns = list(zip(*rows, strict=True)) if rows else [(), (), (), (), ()]
        score, prediction, label, ts_us, label_at = (
            np.array(col, dtype=np.float64)
            for col in columns  # None -> NaN
        )
        labelled = ~np.isnan(label) & ~np.isnan(label_at)
        return WindowIndex(
            score=score,
            prediction=prediction,
            label=label,
            label_delay_seconds=label_at[labelled] - ts_us[labelled] / 1e6,
        )

    def _profile_batches(self, schema: VersionSchema, batch_ids: list[str]) -> tuple[Any, int]:
        with self.engine.connect() as conn:
            payloads = conn.execute(
                select(PredictionBatch.payload)
                .where(PredictionBatch.id.in_(batch_ids))
                .order_by(PredictionBatch.id)
            ).scalars()
            tables = [from_ipc(p) for p in payloads]
        table = pa.concat_tables(tables, promote_options="default")
        return profile_rows(schema, table), table.num_rows

    def _write(
        self,
        window_id: str,
        expected_version: int,
        now: datetime,
        *,
        profile: bytes | None,
        batches: list[str],
        results: dict[str, Any] | None = None,
        status: str | None = None,
        counts: tuple[int, int] | None = None,
    ) -> None:
        values: dict[str, Any] = {"version": Window.version + 1}
        if profile is not None:
            values["profile"] = profile
        if results is not None:
            values["results"] = results
            values["computed_at"] = now
            values["status"] = status
            rows, labels = counts or (-1, -1)
            # Clear ``dirty`` only if no rows or labels arrived since the window was read:
            # rows that arrive meanwhile stay unmerged and are folded in by the next pass.
            values["dirty"] = case(
                (and_(Window.row_count == rows, Window.label_count == labels), False),
                else_=True,
            )
        options = write_options(self.engine)
        with self.engine.connect().execution_options(**options) as conn, conn.begin():
            done = conn.execute(
                update(Window)
                .where(Window.id == window_id, Window.version == expected_version)
                .values(**values)
            )
            if done.rowcount != 1:
                raise _ConflictError
            if batches:
                _mark_batches(conn, batches, now)

    # ------------------------------------------------------------------ alerts
    def _engine_for_alerts(self) -> Any:
        if self._alert_engine is None and not self._alerts_unavailable:
            try:
                from driftline.alerts import AlertEngine
            except ImportError:
                self._alerts_unavailable = True
                logger.warning(
                    "driftline.alerts.AlertEngine is not available: window results are "
                    "computed but no alert rules are evaluated"
                )
                return None
            self._alert_engine = AlertEngine(session_factory(self.engine), clock=self.clock)
        return self._alert_engine

    def _evaluate_alerts(self, computed: list[tuple[str, str]], stats: MonitorStats) -> None:
        engine = self._engine_for_alerts()
        if engine is None:
            return
        for version_id, window_id in computed:
            try:
                events = engine.evaluate_window(version_id, window_id)
                stats.alert_events += len(events)
            except Exception:
                stats.errors += 1
                logger.exception("evaluating alert rules for window %s failed", window_id)
        try:
            delivery = engine.deliver_pending()
            stats.notifications_delivered += int(getattr(delivery, "delivered", 0))
            stats.notifications_failed += int(getattr(delivery, "failed", 0)) + int(
                getattr(delivery, "gave_up", 0)
            )
        except Exception:
            stats.errors += 1
            logger.exception("delivering alert notifications failed")
