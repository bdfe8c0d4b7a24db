"""The simple ingestor: one ``PredictionStore.ingest_batch`` transaction per request."""

from __future__ import annotations

import pyarrow as pa
from starlette.concurrency import run_in_threadpool

from driftline.store import IngestResult, PredictionStore

__all__ = ["DirectIngestor"]


class DirectIngestor:
    """Run :meth:`PredictionStore.ingest_batch` in a worker thread, one request at a time each.

    The event loop stays free while the batch is validated and committed; the result is
    returned only after the commit (an acknowledged batch is durable).
    """

    def __init__(self, store: PredictionStore) -> None:
        self.store = store

    async def submit(
        self, version_id: str, table: pa.Table, *, all_or_nothing: bool
    ) -> IngestResult:
        """Validate and store ``table`` for ``version_id``; see ``PredictionStore.ingest_batch``."""
        return await run_in_threadpool(
            self.store.ingest_batch, version_id, table, all_or_nothing=all_or_nothing
        )

    async def aclose(self) -> None:
        """Nothing to flush: every submit commits before it returns."""
