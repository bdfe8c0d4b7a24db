"""The model registry: artifacts, aliases with their history, datasets and lineage.

A registered model version *is* the monitored version of :mod:`driftline.store` (the
same ``model_versions`` row); the registry adds its artifact, aliases (``production``,
``staging``, any name) whose every move is kept, the data sets it was trained and
evaluated on, and the lineage that links them.

Artifacts are content-addressed (sha256) in an :class:`ArtifactStore`: a local folder
by default (next to the SQLite file), S3-compatible storage through ``s3fs``.
:class:`Registry` (and the session-level functions the server shares) need the store's
``sqlalchemy``/``alembic`` (``pip install 'driftline[registry]'``); the result classes,
:class:`Signature`, :class:`LineageGraph` and :class:`ArtifactStore` do not.

>>> import tempfile
>>> from driftline.registry import ArtifactStore, ModelRef
>>> store = ArtifactStore(tempfile.mkdtemp())
>>> info = store.put_bytes(b"onnx bytes")
>>> store.read_bytes(info.digest)
b'onnx bytes'
>>> ModelRef.parse("fraud@production").alias
'production'
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING

from driftline._deps import lazy_getattr as _lazy_getattr
from driftline.registry._artifacts import ArtifactInfo, ArtifactStore, ArtifactUpload, check_digest
from driftline.registry._datasets import DatasetFingerprint, fingerprint_dataset, schema_digest
from driftline.registry._events import (
    AuditEvent,
    alias_event,
    artifact_event,
    dataset_event,
    lineage_events,
)
from driftline.registry._flavors import flavor_of
from driftline.registry._lineage import LineageGraph, LineageLink, LineageNode
from driftline.registry._records import (
    AliasRecord,
    ArtifactRecord,
    DatasetRecord,
    ModelRef,
    ResolvedVersion,
)
from driftline.registry._signature import Signature, TensorSpec

if _TYPE_CHECKING:
    from driftline.registry._registry import Registry
    from driftline.registry._service import (
        check_artifact,
        dataset_record,
        lineage_of,
        move_record,
        resolve_in,
        retrying,
    )

__all__ = [
    "AliasRecord",
    "ArtifactInfo",
    "ArtifactRecord",
    "ArtifactStore",
    "ArtifactUpload",
    "AuditEvent",
    "DatasetFingerprint",
    "DatasetRecord",
    "LineageGraph",
    "LineageLink",
    "LineageNode",
    "ModelRef",
    "Registry",
    "ResolvedVersion",
    "Signature",
    "TensorSpec",
    "alias_event",
    "artifact_event",
    "check_artifact",
    "check_digest",
    "dataset_event",
    "dataset_record",
    "fingerprint_dataset",
    "flavor_of",
    "lineage_events",
    "lineage_of",
    "move_record",
    "resolve_in",
    "retrying",
    "schema_digest",
]

_NEEDS = ("sqlalchemy", "alembic")
_LAZY = ("check_artifact", "dataset_record", "lineage_of", "move_record", "resolve_in",
         "retrying")  # fmt: skip
__getattr__ = _lazy_getattr(
    __name__,
    {"Registry": ("_registry", _NEEDS), **dict.fromkeys(_LAZY, ("_service", _NEEDS))},
    extra="registry",
)
