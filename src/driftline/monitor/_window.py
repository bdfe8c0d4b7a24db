"""One window: fold its new batches into its profile, compute its results, store them."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final, Literal, cast

from driftline.monitor._estimators import EstimatorCache
from driftline.monitor._profiling import profile_rows
from driftline.monitor._results import WindowInputs, compute_results
from driftline.monitor._stats import MonitorStats
from driftline.monitor._versions import VersionCache, VersionInfo
from driftline.store import VersionSchema, WindowStore

if TYPE_CHECKING:
    from driftline.profiles import DatasetProfile

__all__ = ["ConflictError", "WindowWorker"]

logger = logging.getLogger("driftline.monitor")

_ATTEMPTS: Final = 5


class ConflictError(Exception):
    """Another writer changed the window (or merged its batches) since we read it."""


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


class WindowWorker:
    """Merges and computes one window at a time (the monitor's inner step).

    Writes are optimistic: a window another writer changed meanwhile is re-read and
    recomputed, up to 5 attempts, then left for the next pass.
    """

    def __init__(
        self,
        store: WindowStore,
        versions: VersionCache,
        estimators: EstimatorCache,
        *,
        grace_seconds: float,
        min_labels: int,
        min_estimation_rows: int,
        max_rows_per_step: int,
    ) -> None:
        self.store = store
        self.versions = versions
        self.estimators = estimators
        self.grace_seconds = grace_seconds
        self.min_labels = min_labels
        self.min_estimation_rows = min_estimation_rows
        self.max_rows_per_step = max_rows_per_step

    def process(self, window_id: str, now: datetime, stats: MonitorStats) -> str | None:
        """Merge and compute one window; returns its version id when results were saved."""
        for _ in range(_ATTEMPTS):
            try:
                return self._attempt(window_id, now, stats)
            except ConflictError:
                stats.conflicts += 1
        logger.warning(
            "window %s kept changing during %d attempts; retrying later", window_id, _ATTEMPTS
        )
        return None

    def _version(self, version_id: str) -> VersionInfo:
        with self.store.engine.connect() as conn:
            return self.versions.get(conn, version_id)

    def _attempt(self, window_id: str, now: datetime, stats: MonitorStats) -> str | None:
        from driftline.profiles import DatasetProfile

        found = self.store.read_pending(window_id)
        if found is None:
            return None  # deleted meanwhile
        window, pending = found
        version = self._version(window.model_version_id)
        status, row_count = window.status, int(window.row_count)
        profile = None if window.profile is None else DatasetProfile.from_bytes(window.profile)
        groups = _groups(pending, self.max_rows_per_step)
        expected = int(window.version)
        last_rows = 0
        for i, group in enumerate(groups):
            part, n_rows = self._profile_batches(version.schema, group)
            profile = part if profile is None else profile.merge(part)
            if i < len(groups) - 1:  # an intermediate step: profile and batches only
                saved = self.store.save_window_profile(
                    window, profile.to_bytes(), batches=group, version=expected, now=now
                )
                if not saved:
                    raise ConflictError
                expected += 1
                stats.batches_merged += len(group)
                stats.rows_merged += n_rows
            else:
                last_rows = n_rows
        last = groups[-1] if groups else []
        new_status = status
        if status == "open":
            if version.kind == "time" and window.end_at is not None:
                if now > window.end_at + timedelta(seconds=self.grace_seconds):
                    new_status = "closed"
            elif version.kind == "rows" and row_count >= version.size:
                new_status = "closed"
        index = self.store.read_index(window_id, form="arrays")
        prev = window.results if isinstance(window.results, dict) else None
        changed = (
            bool(pending) or prev is None or (prev.get("volume") or {}).get("rows") != row_count
        )
        inputs = WindowInputs(
            key=int(window.window_key),
            start=window.start_at,
            end=window.end_at,
            status=new_status,
            task=version.schema.task,
            window_kind=version.kind,
            window_size=version.size,
            row_count=row_count,
            version_id=version.id,
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
        saved = self.store.save_window_results(
            window,
            results,
            profile=profile.to_bytes() if pending and profile is not None else None,
            status=cast(Literal["open", "closed"], new_status),
            batches=last,
            version=expected,
            now=now,
        )
        if not saved:
            raise ConflictError
        stats.batches_merged += len(last)
        stats.rows_merged += last_rows
        stats.windows_computed += 1
        if new_status == "closed" and status != "closed":
            stats.windows_closed += 1
        return version.id

    def _profile_batches(
        self, schema: VersionSchema, batch_ids: list[str]
    ) -> tuple[DatasetProfile, int]:
        table = self.store.read_batches(batch_ids)
        return profile_rows(schema, table), table.num_rows
