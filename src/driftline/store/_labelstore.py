"""The label side of the prediction store: labels joined to stored predictions by id,
kept as pending until their predictions arrive, each call one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, Table, bindparam, select, text, update

from driftline.exceptions import ParameterError
from driftline.store._arrow import from_ipc
from driftline.store._bulk import dialect_insert, lookup_predictions
from driftline.store._engine import write_options
from driftline.store._labels import validate_labels
from driftline.store._models import ModelVersion, PendingLabel, Prediction, Window
from driftline.store._results import LabelResult, RejectedRow
from driftline.store._schema import VersionSchema
from driftline.store._types import utcnow

__all__ = ["LabelStore", "VersionCache"]

_PRED: Final = cast(Table, Prediction.__table__)


def _bind(name: str, column: Any = None) -> Any:
    return bindparam(name, type_=None if column is None else column.type)


class VersionCache:
    """What the store knows of each version: its schema and window (they never change)."""

    engine: Engine
    _versions: dict[str, tuple[VersionSchema, str, int, int]]

    def _version(self, conn: Connection, version_id: str) -> tuple[VersionSchema, str, int, int]:
        """(schema, window kind, window size, window origin) of a version."""
        cached = self._versions.get(version_id)
        if cached is None:
            row = conn.execute(
                select(
                    ModelVersion.schema,
                    ModelVersion.window_kind,
                    ModelVersion.window_size,
                    ModelVersion.window_origin,
                ).where(ModelVersion.id == version_id)
            ).first()
            if row is None:
                raise ParameterError(f"No model version with id {version_id!r}.")
            cached = (VersionSchema.from_dict(row[0]), row[1], int(row[2]), int(row[3]))
            self._versions[version_id] = cached
        return cached

    def _version_info(self, version_id: str) -> tuple[VersionSchema, str, int, int]:
        cached = self._versions.get(version_id)
        if cached is not None:  # no pool checkout (and no PostgreSQL ping) when known
            return cached
        with self.engine.connect() as conn:
            return self._version(conn, version_id)

    def schema(self, version_id: str) -> VersionSchema:
        """The version's schema (cached: schemas never change)."""
        return self._version_info(version_id)[0]


class LabelStore(VersionCache):
    """Labels by prediction id (see :meth:`ingest_labels`)."""

    def _resolve_pending(self, conn: Connection, version_id: str, batch_ids: list[str]) -> None:
        pending = PendingLabel.__table__.c
        rows = conn.execute(
            select(pending.prediction_id, pending.label, _PRED.c.window_id, pending.received_at)
            .join(
                _PRED,
                (_PRED.c.model_version_id == pending.model_version_id)
                & (_PRED.c.prediction_id == pending.prediction_id),
            )
            .where(pending.model_version_id == version_id, _PRED.c.batch_id.in_(batch_ids))
        ).all()
        if not rows:
            return
        # The label time is when the label arrived, not when its prediction did.
        self._apply_labels(conn, version_id, [(r[0], r[1], r[2], None, r[3]) for r in rows])
        conn.execute(
            text("DELETE FROM pending_labels WHERE model_version_id = :v AND prediction_id = :p"),
            [{"v": version_id, "p": r[0]} for r in rows],
        )

    def _apply_labels(
        self,
        conn: Connection,
        version_id: str,
        rows: list[tuple[str, float, str, float | None, datetime]],
    ) -> None:
        """Write labels onto index rows.

        Rows are (prediction id, label, window id, previous label, time the label arrived).
        """
        conn.execute(
            update(_PRED)
            .where(
                _PRED.c.model_version_id == _bind("v"),
                _PRED.c.prediction_id == _bind("p"),
            )
            .values(label=_bind("label"), label_at=_bind("at", _PRED.c.label_at)),
            [{"v": version_id, "p": p, "label": lab, "at": at} for p, lab, _, _, at in rows],
        )
        fresh: dict[str, int] = {}
        touched: set[str] = set()
        for _, _, window, previous, _ in rows:
            touched.add(window)
            if previous is None:
                fresh[window] = fresh.get(window, 0) + 1
        for window in touched:
            conn.execute(
                update(Window)
                .where(Window.id == window)
                .values(label_count=Window.label_count + fresh.get(window, 0), dirty=True)
            )

    def ingest_labels(
        self,
        version_id: str,
        prediction_ids: Sequence[Any] | pa.Array | pa.ChunkedArray | np.ndarray,
        labels: Sequence[Any] | pa.Array | pa.ChunkedArray | np.ndarray,
    ) -> LabelResult:
        """Join labels to stored predictions by id; keep the others until they arrive.

        Labels are checked against the version's task (``driftline.store._labels``): a
        bad label or id rejects that row, listed with its reasons in ``rejected``, and the
        other rows are stored. A later label for the same prediction replaces the earlier
        one. Windows that receive labels are marked for recomputation.
        """
        if len(prediction_ids) != len(labels):
            raise ParameterError(
                f"'prediction_ids' and 'labels' must be of equal length; got {len(prediction_ids)}"
                f" ids and {len(labels)} labels."
            )
        schema = self._version_info(version_id)[0]
        classes = self._reference_classes(version_id) if schema.task == "multiclass" else None
        checked = validate_labels(schema.task, prediction_ids, labels, classes=classes)
        rejected = tuple(
            RejectedRow(r, checked.ids[r].as_py(), tuple(checked.reasons[r]))
            for r in sorted(checked.reasons)
        )
        keep = checked.valid
        ids = checked.ids if keep.all() else checked.ids.filter(pa.array(keep))
        last: dict[str, float] = dict(
            zip(ids.to_pylist(), checked.values[keep].tolist(), strict=True)
        )
        if not last:
            return LabelResult(joined=0, pending=0, rejected=rejected)
        now = utcnow()
        options = write_options(self.engine)
        with self.engine.connect().execution_options(**options) as conn, conn.begin():
            self._version(conn, version_id)
            found = lookup_predictions(conn, version_id, list(last))
            joined = [(p, last[p], w, prev, now) for p, w, prev in found]
            if joined:
                self._apply_labels(conn, version_id, joined)
            stored = {f[0] for f in found}
            pending = [p for p in last if p not in stored]
            if pending:
                _upsert_pending(conn, version_id, [(p, last[p]) for p in pending], now)
        return LabelResult(joined=len(joined), pending=len(pending), rejected=rejected)

    def _reference_classes(self, version_id: str) -> np.ndarray | None:
        """The classes among the reference labels of a multiclass version, if it has any."""
        with self.engine.connect() as conn:
            blob = conn.execute(
                select(ModelVersion.reference_data).where(ModelVersion.id == version_id)
            ).scalar()
        if blob is None:
            return None
        reference = from_ipc(blob)
        if "label" not in reference.column_names:
            return None
        values = pc.drop_null(reference["label"].cast(pa.float64())).to_numpy()
        return np.unique(values[np.isfinite(values)])


def _upsert_pending(
    conn: Connection, version_id: str, rows: list[tuple[str, float]], now: datetime
) -> None:

    stmt = dialect_insert(conn, PendingLabel)
    stmt = stmt.on_conflict_do_update(
        index_elements=["model_version_id", "prediction_id"],
        set_={"label": stmt.excluded.label, "received_at": stmt.excluded.received_at},
    )
    conn.execute(
        stmt,
        [
            {"model_version_id": version_id, "prediction_id": p, "label": lab, "received_at": now}
            for p, lab in rows
        ],
    )
