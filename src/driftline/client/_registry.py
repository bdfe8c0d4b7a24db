"""The SDK's registry calls: artifacts, aliases and their history, datasets, lineage."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import httpx

from driftline.client._api import ApiBase
from driftline.client._http import error_from_response, sleep
from driftline.client._util import iso
from driftline.exceptions import ApiError, DataError, DigestMismatchError, ParameterError
from driftline.registry import (
    AliasRecord,
    ArtifactRecord,
    DatasetRecord,
    LineageGraph,
    ModelRef,
    ResolvedVersion,
    Signature,
    check_digest,
    fingerprint_dataset,
    flavor_of,
)

__all__ = ["RegistryMixin"]

_CHUNK: Final = 1 << 20
_SIGNATURE_HEADER: Final = "X-Driftline-Signature"


def _file_sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk


class RegistryMixin(ApiBase):
    """The registry of the client's project."""

    # artifacts ------------------------------------------------------------------------------
    def upload_artifact(
        self,
        model: str,
        version: str,
        path: str | os.PathLike[str],
        *,
        flavor: str | None = None,
        signature: Signature | Mapping[str, Any] | None = None,
    ) -> ArtifactRecord:
        """Upload a model artifact file to ``model``'s ``version`` and register it.

        ``flavor`` is ``"onnx"``, ``"skops"`` or ``"pickle"`` (default: from the file
        name; the server refuses pickle unless its operator opted in). The file is streamed
        (bounded memory) with its sha256, which the server checks before it stores
        anything. ONNX files carry their signature; pass ``signature`` (a
        :class:`~driftline.registry.Signature` or its ``to_dict()``) for skops. The
        server checks it against the version's monitoring schema (422 naming the columns).
        """
        self._check_open()
        source = Path(path)
        if not source.is_file():
            raise DataError(f"The artifact file {str(source)!r} does not exist or is not a file.")
        kind = flavor_of(source, flavor)
        digest = _file_sha256(source)
        headers = {"Content-Type": "application/octet-stream",
                   "Content-Length": str(source.stat().st_size)}  # fmt: skip
        if signature is not None:
            sig = signature if isinstance(signature, Signature) else Signature.from_dict(signature)
            headers[_SIGNATURE_HEADER] = json.dumps(sig.to_dict())
        url = f"{self._version_path(model, str(version))}/artifact"
        params = {"flavor": kind, "sha256": digest}
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    "PUT", url, params=params, headers=headers, content=_chunks(source),
                    timeout=httpx.Timeout(self.timeout, write=max(self.timeout, 300.0)),
                )  # fmt: skip
            except httpx.TransportError as exc:
                if attempt >= self._policy.retries:
                    raise ApiError(
                        f"Could not upload the artifact to {self.url} (PUT {url}): "
                        f"{type(exc).__name__}: {exc}.",
                        code="connection_error", method="PUT", url=f"{self.url}{url}",
                    ) from exc  # fmt: skip
            else:
                if response.status_code < 500 and response.status_code != 429:
                    break
                if attempt >= self._policy.retries:
                    break
            sleep(self._policy.delay(attempt, None))
            attempt += 1
        if response.status_code >= 400:
            raise error_from_response(response)
        return ArtifactRecord.from_dict(self._body(response, "PUT", url))

    def download_artifact(
        self,
        ref: str,
        destination: str | os.PathLike[str],
        *,
        at: datetime | None = None,
    ) -> Path:
        """Download the artifact of ``ref`` (``"fraud@production"``, ``"fraud:3"``; at
        ``at``) to ``destination``: streamed to a temporary file, its sha256 checked
        against the registered digest, then renamed into place (nothing is left on a
        mismatch: :class:`~driftline.exceptions.DigestMismatchError`)."""
        self._check_open()
        resolved = self.resolve(ref, at=at)
        if resolved.artifact_digest is None:
            raise ApiError(
                f"Version {resolved.version!r} of model {resolved.model!r} has no artifact; "
                "upload one with upload_artifact().",
                status=404, code="no_artifact",
            )  # fmt: skip
        expected = check_digest(resolved.artifact_digest)
        target = Path(destination)
        target.parent.mkdir(parents=True, exist_ok=True)
        url = f"{self._version_path(resolved.model, resolved.version)}/artifact"
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        hasher = hashlib.sha256()
        try:
            with (
                os.fdopen(fd, "wb") as out,
                self._http.stream("GET", url, params={"download": "true"}) as response,
            ):
                if response.status_code >= 400:
                    response.read()
                    raise error_from_response(response)
                for chunk in response.iter_bytes(_CHUNK):
                    hasher.update(chunk)
                    out.write(chunk)
            actual = hasher.hexdigest()
            if actual != expected:
                raise DigestMismatchError(
                    f"The downloaded artifact of {ref!r} hashes to sha256 {actual}, not to the "
                    f"registered {expected}: it was corrupted on the way or in the store. "
                    "Nothing was written to the destination.",
                    expected=expected,
                    actual=actual,
                )
            os.replace(name, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)
        return target

    # aliases ---------------------------------------------------------------------------------
    def set_alias(self, model: str, alias: str, version: str, *, reason: str = "") -> AliasRecord:
        """Point ``alias`` of ``model`` at ``version``; the move is kept in its history."""
        body = {"alias": alias, "version": str(version), "reason": reason}
        return self._one(AliasRecord.from_dict, "PUT", f"{self._model_path(model)}/aliases",
                         json=body)  # fmt: skip

    def remove_alias(self, model: str, alias: str, *, reason: str = "") -> AliasRecord:
        """Remove ``alias`` from ``model`` (the removal is kept in its history)."""
        return self._one(AliasRecord.from_dict, "DELETE", f"{self._model_path(model)}/aliases",
                         params={"alias": alias, "reason": reason})  # fmt: skip

    def resolve(self, ref: str, *, at: datetime | None = None) -> ResolvedVersion:
        """The version ``ref`` names: ``"fraud@production"`` now, or what served at ``at``
        (a timezone-aware time); ``"fraud:3"`` names a version. An unknown alias is an
        :class:`~driftline.exceptions.ApiNotFoundError` saying so."""
        parsed = ModelRef.parse(ref)
        if at is not None and at.tzinfo is None:
            raise ParameterError(f"The 'at' time must be timezone-aware; got {at!r}.")
        if parsed.alias is not None:
            params: dict[str, Any] = {"alias": parsed.alias}
            if at is not None:
                params["at"] = iso(at)
            found = self._many(ResolvedVersion.from_dict, f"{self._model_path(parsed.model)}/aliases",
                               key="aliases", params=params)  # fmt: skip
            return found[0]
        if parsed.version is None:
            raise ParameterError(
                f"{ref!r} names a model, not a version: use 'MODEL@ALIAS' or 'MODEL:VERSION'."
            )
        art: dict[str, Any] = self._one(
            dict, "GET", f"{self._version_path(parsed.model, parsed.version)}/artifact"
        )
        return ResolvedVersion(
            model=parsed.model, version=parsed.version, alias=None, at=None,
            artifact_digest=art.get("digest"), artifact_flavor=art.get("flavor"),
            artifact_size=art.get("size"), signature=art.get("signature"),
        )  # fmt: skip

    def aliases(self, model: str, *, at: datetime | None = None) -> dict[str, str]:
        """``{alias: version}`` of ``model``, now or at ``at``."""
        params = {} if at is None else {"at": iso(at)}
        found = self._many(ResolvedVersion.from_dict, f"{self._model_path(model)}/aliases",
                           key="aliases", params=params)  # fmt: skip
        return {r.alias: r.version for r in found if r.alias is not None}

    def alias_history(self, model: str, alias: str | None = None) -> list[AliasRecord]:
        """Every move of ``model``'s aliases (of ``alias`` only, if given), oldest first."""
        params = {} if alias is None else {"alias": alias}
        return self._many(AliasRecord.from_dict, f"{self._model_path(model)}/aliases/history",
                          key="history", params=params)  # fmt: skip

    # datasets and lineage ---------------------------------------------------------------------
    def register_dataset(
        self,
        name: str,
        data: object,
        *,
        source_uri: str = "",
        licence: str = "",
        pii: bool = False,
    ) -> DatasetRecord:
        """Register a training or evaluation data set: its fingerprint (sha256 of the
        content), schema digest and profile are computed here, the data stays here."""
        fp = fingerprint_dataset(data)
        body = {**fp.to_dict(), "name": name, "profile": base64.b64encode(fp.profile).decode(),
                "source_uri": source_uri, "licence": licence, "pii": bool(pii)}  # fmt: skip
        return self._one(DatasetRecord.from_dict, "POST", f"{self._project_path()}/datasets",
                         json=body, idempotent=True)  # fmt: skip

    def datasets(self, name: str | None = None) -> list[DatasetRecord]:
        """The project's registered data sets (of one name, if given)."""
        params = {} if name is None else {"name": name}
        return self._many(DatasetRecord.from_dict, f"{self._project_path()}/datasets",
                          key="datasets", params=params)  # fmt: skip

    def record_lineage(
        self,
        model: str,
        version: str,
        *,
        run: str,
        datasets: Sequence[str] = (),
        evaluation: Sequence[str] = (),
        run_attributes: Mapping[str, str] | None = None,
        gate_report: Mapping[str, Any] | None = None,
    ) -> LineageGraph:
        """Record that training run ``run`` read ``datasets`` (names, fingerprints or ids),
        was evaluated on ``evaluation`` and produced ``model``'s ``version`` (and, if
        given, the gate report ``{"id", "passed", "digest", "uri"}`` about it)."""
        body: dict[str, Any] = {"run": run, "datasets": list(datasets),
                                "evaluation": list(evaluation),
                                "run_attributes": dict(run_attributes or {})}  # fmt: skip
        if gate_report is not None:
            body["gate_report"] = dict(gate_report)
        return self._one(LineageGraph.from_dict, "POST",
                         f"{self._version_path(model, str(version))}/lineage", json=body,
                         idempotent=True)  # fmt: skip

    def lineage(self, ref: str, *, at: datetime | None = None) -> LineageGraph:
        """The lineage of ``ref`` (``"fraud@production"``, ``"fraud:3"``): data sets →
        training run → version → gate report → approval → alias moves → monitored
        windows. ``graph.to_openlineage(namespace)`` gives OpenLineage run events."""
        parsed = ModelRef.parse(ref)
        params: dict[str, Any] = {}
        if parsed.alias is not None:
            params["alias"] = parsed.alias
        elif parsed.version is not None:
            params["version"] = parsed.version
        if at is not None:
            params["at"] = iso(at)
        return self._one(LineageGraph.from_dict, "GET", f"{self._model_path(parsed.model)}/lineage",
                         params=params)  # fmt: skip
