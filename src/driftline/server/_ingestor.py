"""The simple ingestor: ``PredictionStore`` transactions run in a worker thread per request."""

from __future__ import annotations

import pyarrow as pa
from starlette.concurrency import run_in_threadpool

from driftline.server._coalesce import check_windows
from driftline.store import IngestResult, PredictionStore

__all__ = ["DirectIngestor"]


class DirectIngestor:
    """Validate and store each request in a worker thread, without grouping.

    The event loop stays free while the batch is validated and committed; the result is
    returned only after the commit (an acknowledged batch is durable). As with the
    coalescing ingestor, a request reaching more than ``max_windows_per_request`` windows
    is refused (422), and one beyond ``max_rows`` rows or ``max_windows`` windows is stored
    in several bounded transactions, one after the other (never an ``all_or_nothing``
    request).
    """

    def __init__(
        self,
        store: PredictionStore,
        *,
        max_rows: int = 50_000,
        max_windows: int = 64,
        max_windows_per_request: int = 1000,
    ) -> None:
        self.store = store
        self.max_rows = max_rows
        self.max_windows = max_windows
        self.max_windows_per_request = max_windows_per_request

    def _ingest(self, version_id: str, table: pa.Table, all_or_nothing: bool) -> IngestResult:
        prepared = self.store.prepare_batch(version_id, table, all_or_nothing=all_or_nothing)
        check_windows(prepared, self.max_windows_per_request)
        if all_or_nothing:
            return self.store.store_prepared([prepared])[0]
        parts = prepared.split(max_windows=self.max_windows, max_rows=self.max_rows)
        results = [self.store.store_prepared([part])[0] for part in parts]
        return results[0] if len(parts) == 1 else prepared.merge(parts, results)

    async def submit(
        self, version_id: str, table: pa.Table, *, all_or_nothing: bool
    ) -> IngestResult:
        """Validate and store ``table`` for ``version_id``; see ``PredictionStore.ingest_batch``."""
        return await run_in_threadpool(self._ingest, version_id, table, all_or_nothing)

    async def aclose(self) -> None:
        """Nothing to flush: every submit commits before it returns."""
