"""The audit log: a project's entries, the signed tree head, inclusion and consistency proofs.

Entries are per project: a token sees the records of its own project only. The tree is
global (one log per deployment), so the tree head and consistency proofs, which hold only
sizes and hashes, are the same for every project; an inclusion proof is served only for an
entry of the token's project. Every route needs the viewer role.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from driftline.audit import AuditLog
from driftline.exceptions import NotFoundError, ParameterError
from driftline.server._auth import ProjectContext, project_access
from driftline.server._errors import ApiError
from driftline.server._state import state_of
from driftline.store import AuditEntry

__all__ = ["router"]

API_PREFIX = "/api/v1"
AUDIT = "/projects/{project}/audit"

router = APIRouter(prefix=API_PREFIX, tags=["audit"])
_MAX = 2**62  # sizes and sequence numbers fit a signed 64-bit column
_MAX_PROOFS = 100


class TreeHeadOut(BaseModel):
    """A signed tree head and the public key that verifies it."""

    log: str
    tree_size: int
    root_hash: str = Field(description="Hex SHA-256 root of the Merkle tree (RFC 6962).")
    timestamp_ms: int
    key_id: str = Field(description="Hex SHA-256 of the raw Ed25519 public key.")
    signature: str = Field(description="Base64 Ed25519 signature of the canonical head.")
    public_key: str = Field(description="Hex raw Ed25519 public key (32 bytes).")


class EntryOut(BaseModel):
    """One entry: the exact hashed record (canonical JSON text) and its leaf hash."""

    seq: int
    event_type: str
    created_at: str
    record: str
    leaf_hash: str
    inclusion_proof: list[str] | None = Field(
        default=None, description="Audit path to the response's tree head (with proofs=true)."
    )


class EntriesOut(BaseModel):
    """A page of the project's entries, below the tree head they are proven against."""

    tree_head: TreeHeadOut
    entries: list[EntryOut]
    next_after: int | None = Field(description="Pass as 'after' for the next page (None: done).")


class InclusionOut(BaseModel):
    """The audit path of one entry to the tree of ``tree_size`` entries."""

    seq: int
    tree_size: int
    leaf_hash: str
    path: list[str]


class ConsistencyOut(BaseModel):
    """The proof that the tree of ``first`` entries is a prefix of the tree of ``second``."""

    first: int
    second: int
    path: list[str]


def _log(request: Request) -> AuditLog:
    return state_of(request).audit


def _head(log: AuditLog) -> TreeHeadOut:
    return TreeHeadOut(**log.tree_head().to_dict(), public_key=log.key.public_key.hex())


def _refused(exc: ParameterError) -> ApiError:
    return ApiError(422, str(exc))


@router.get(AUDIT + "/tree-head", response_model=TreeHeadOut, summary="The signed tree head")
def tree_head(
    request: Request,
    ctx: Annotated[ProjectContext, project_access("viewer")],
    size: Annotated[
        int | None, Query(ge=0, le=_MAX, description="A past head of this size.")
    ] = None,
) -> TreeHeadOut:
    log = _log(request)
    try:
        head = log.tree_head(size)
    except NotFoundError as exc:
        raise ApiError(404, str(exc)) from None
    return TreeHeadOut(**head.to_dict(), public_key=log.key.public_key.hex())


@router.get(AUDIT + "/entries", response_model=EntriesOut, summary="The project's audit entries")
def entries(
    request: Request,
    ctx: Annotated[ProjectContext, project_access("viewer")],
    after: Annotated[int, Query(ge=-1, le=_MAX, description="Entries with seq above this.")] = -1,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    proofs: Annotated[
        bool, Query(description="Add each entry's inclusion proof (then limit <= 100).")
    ] = False,
) -> EntriesOut:
    if proofs and limit > _MAX_PROOFS:
        raise ApiError(
            422,
            f"With proofs=true, 'limit' is at most {_MAX_PROOFS} (each proof reads the "
            f"database); got {limit}. Page with 'after'.",
        )
    log = _log(request)
    head = _head(log)
    found = [
        e for e in log.entries(project=ctx.project_id, after=after, limit=limit)
        if e.seq < head.tree_size
    ]  # fmt: skip
    out = []
    for e in found:
        path = None
        if proofs:
            path = [p.hex() for p in log.inclusion_proof(e.seq, head.tree_size).path]
        out.append(
            EntryOut(
                seq=e.seq,
                event_type=e.event_type,
                created_at=e.created_at.isoformat(),
                record=e.record.decode("utf-8"),
                leaf_hash=e.leaf_hash.hex(),
                inclusion_proof=path,
            )
        )
    next_after = found[-1].seq if len(found) == limit else None
    return EntriesOut(tree_head=head, entries=out, next_after=next_after)


def _latest_seq(request: Request, project_id: str) -> int | None:
    with state_of(request).sessions() as session:
        found = session.scalar(
            select(func.max(AuditEntry.seq)).where(AuditEntry.project_id == project_id)
        )
    return None if found is None else int(found)


@router.get(
    AUDIT + "/inclusion-proof",
    response_model=InclusionOut,
    summary="Inclusion proof of one of the project's entries",
)
def inclusion_proof(
    request: Request,
    ctx: Annotated[ProjectContext, project_access("viewer")],
    seq: Annotated[
        int | None, Query(ge=0, le=_MAX, description="The entry (default: the project's latest).")
    ] = None,
    size: Annotated[
        int | None, Query(ge=1, le=_MAX, description="Tree size (default: the latest head's).")
    ] = None,
) -> InclusionOut:
    log = _log(request)
    if seq is None:
        seq = _latest_seq(request, ctx.project_id)
        if seq is None:
            raise ApiError(404, f"Project {ctx.project_name!r} has no audit entries yet.")
    try:
        entry = log.entry(seq)
    except NotFoundError:
        entry = None
    if entry is None or entry.project_id != ctx.project_id:
        raise ApiError(404, f"No audit entry {seq} in project {ctx.project_name!r}.")
    try:
        proof = log.inclusion_proof(seq, size)
    except ParameterError as exc:
        raise _refused(exc) from None
    return InclusionOut(**proof.to_dict())


@router.get(
    AUDIT + "/consistency-proof",
    response_model=ConsistencyOut,
    summary="Consistency proof between two tree sizes",
)
def consistency_proof(
    request: Request,
    ctx: Annotated[ProjectContext, project_access("viewer")],
    first: Annotated[
        int | None, Query(ge=0, le=_MAX, description="Older size (default: second).")
    ] = None,
    second: Annotated[
        int | None, Query(ge=0, le=_MAX, description="Newer size (default: the latest head's).")
    ] = None,
) -> ConsistencyOut:
    log = _log(request)
    try:
        second_size = log.size() if second is None else second
        proof = log.consistency_proof(second_size if first is None else first, second_size)
    except ParameterError as exc:
        raise _refused(exc) from None
    return ConsistencyOut(**proof.to_dict())
