"""The model registry: artifacts, aliases with their history, datasets and lineage.

A registered model version *is* the monitored version of :mod:`driftline.store` (the
same ``model_versions`` row); the registry adds its artifact, aliases (``production``,
``staging``, any name) whose every move is kept, the data sets it was trained and
evaluated on, and the lineage that links them.

Artifacts are content-addressed (sha256) in an :class:`ArtifactStore`: a local folder
by default (next to the SQLite file), S3-compatible storage through ``s3fs``.

>>> import tempfile
>>> from driftline.registry import ArtifactStore
>>> store = ArtifactStore(tempfile.mkdtemp())
>>> info = store.put_bytes(b"onnx bytes")
>>> store.read_bytes(info.digest)
b'onnx bytes'
"""

from driftline.registry._artifacts import ArtifactInfo, ArtifactStore, ArtifactUpload, check_digest

__all__ = ["ArtifactInfo", "ArtifactStore", "ArtifactUpload", "check_digest"]
