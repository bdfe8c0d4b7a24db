"""The monitor's cache of model versions: schema, windowing, reference, fitted detectors."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import pyarrow as pa
from sqlalchemy import Connection, func, select

from driftline.exceptions import ParameterError
from driftline.store import ModelVersion, VersionSchema, from_ipc

if TYPE_CHECKING:
    from driftline.drift import DriftDetector
    from driftline.profiles import DatasetProfile

__all__ = ["VersionCache", "VersionInfo"]

_DETECTORS: Final = 8  # fitted detectors kept per version (one per set of window columns)


@dataclass
class VersionInfo:
    """What the monitor needs of one model version, read once and cached.

    ``fingerprint`` changes when the reference profile or reference data change, which
    invalidates the cache entry and the fitted estimators keyed by it.
    """

    id: str
    schema: VersionSchema
    kind: str
    size: int
    fingerprint: str
    reference_profile: DatasetProfile | None
    reference_data: pa.Table | None
    detectors: dict[tuple[str, ...], DriftDetector] = field(default_factory=dict)

    def detector(self, columns: Sequence[str]) -> DriftDetector:
        """A drift detector fitted on the reference profile for ``columns`` (cached)."""
        key = tuple(columns)
        found = self.detectors.get(key)
        if found is None:
            from driftline.drift import DriftDetector

            if self.reference_profile is None:
                raise ParameterError(f"Model version {self.id!r} has no reference profile.")
            if len(self.detectors) >= _DETECTORS:
                self.detectors.clear()
            found = DriftDetector(columns=list(columns), n_jobs=1).fit(self.reference_profile)
            self.detectors[key] = found
        return found


class VersionCache:
    """Up to ``max_versions`` :class:`VersionInfo`, least recently used evicted first."""

    def __init__(self, max_versions: int) -> None:
        self.max_versions = max_versions
        self._versions: OrderedDict[str, VersionInfo] = OrderedDict()

    def __len__(self) -> int:
        return len(self._versions)

    def get(self, conn: Connection, version_id: str) -> VersionInfo:
        """The version's info, re-read when its reference changed since it was cached."""
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

        info = VersionInfo(
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
