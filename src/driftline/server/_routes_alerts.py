"""Alert rules (CRUD, validated by ``driftline.alerts.RuleSpec``) and the alert history.

A rule read with GET can be sent back to PUT or PATCH as it is: masked URLs and
``has_secret`` are resolved against the stored channels. ``allow_private`` on a channel
lets the server send requests to internal addresses, so only an admin token may set it
(an editor may keep a channel an admin allowed, unchanged).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Query, Request, Response
from pydantic import ValidationError

from driftline.alerts import (
    AlertRepository,
    RuleSpec,
    StoredRule,
    event_to_dict,
    format_validation_error,
)
from driftline.exceptions import ParameterError
from driftline.server._audit import digest, record
from driftline.server._auth import ProjectContext, project_access
from driftline.server._errors import ApiError
from driftline.server._schemas import (
    AlertEventOut,
    AlertRuleIn,
    AlertRuleOut,
    AlertRulePatch,
    UtcDatetime,
)
from driftline.server._state import state_of
from driftline.store import role_allows

__all__ = ["router"]

API_PREFIX = "/api/v1"

router = APIRouter(prefix=API_PREFIX, tags=["alerts"])
RULES = "/projects/{project}/alert-rules"
T = TypeVar("T")


@contextmanager
def _invalid_rule_is_422() -> Iterator[None]:
    try:
        yield
    except ValidationError as exc:
        details = [
            {"loc": [str(p) for p in e["loc"]], "msg": str(e["msg"]), "type": str(e["type"])}
            for e in exc.errors(include_url=False)
        ]
        raise ApiError(422, format_validation_error(exc), details=details) from None
    except ParameterError as exc:
        raise ApiError(422, str(exc)) from None


def _missing(ctx: ProjectContext, rule_id: str) -> ApiError:
    return ApiError(404, f"No alert rule {rule_id!r} in project {ctx.project_name!r}.")


def _with_repo(request: Request, write: bool, work: Callable[[AlertRepository], T]) -> T:
    state = state_of(request)
    with _invalid_rule_is_422(), state.writes.begin() if write else state.sessions() as session:
        return work(AlertRepository(session))


@router.get(RULES, response_model=list[AlertRuleOut], summary="List alert rules")
def list_rules(
    request: Request, ctx: Annotated[ProjectContext, project_access("viewer")]
) -> list[AlertRuleOut]:
    rules = _with_repo(request, False, lambda repo: repo.list_rules(ctx.project_id))
    return [AlertRuleOut.model_validate(r.public_dict()) for r in rules]


def _body(body: AlertRuleIn | AlertRulePatch, rule_id: str | None = None) -> dict[str, Any]:
    """The fields the client sent (``secret: null`` differs from no ``secret``), without the
    read-only ones (an ``id`` must be the path's)."""
    data = body.model_dump(exclude_unset=True)
    given = data.pop("id", None)
    data.pop("created_at", None)
    if given is not None and rule_id is not None and given != rule_id:
        raise ApiError(422, f"The body's 'id' {given!r} is not the rule {rule_id!r} of the path.")
    return data


def _check_private(ctx: ProjectContext, new: RuleSpec, old: RuleSpec | None) -> None:
    added = new.private_channels() - (set() if old is None else old.private_channels())
    if added and not role_allows(ctx.token.role, "admin"):
        raise ApiError(
            403,
            "Only an admin token may set 'allow_private' on a channel (it lets the server "
            f"send requests to internal addresses); this token's role is {ctx.token.role!r}.",
            details={"role": ctx.token.role, "needed": "admin"},
        )


def _record_rule(
    request: Request, repo: AlertRepository, ctx: ProjectContext, event: str, rule: StoredRule
) -> None:
    spec = rule.spec.public_dict()  # no secrets; logged by digest (URLs may name people)
    payload = {
        "rule_id": rule.id,
        "name": spec.get("name"),
        "kind": spec.get("kind"),
        "model": spec.get("model"),
        "spec_sha256": digest(spec),
    }
    record(state_of(request), repo.session, ctx, event, payload)


def _update(
    request: Request, ctx: ProjectContext, rule_id: str, change: Callable[[RuleSpec], RuleSpec]
) -> AlertRuleOut:
    def work(repo: AlertRepository) -> StoredRule | None:
        current = repo.get_rule(ctx.project_id, rule_id)
        if current is None:
            return None
        spec = change(current.spec)
        _check_private(ctx, spec, current.spec)
        updated = repo.update_rule(ctx.project_id, rule_id, spec)
        if updated is not None:
            _record_rule(request, repo, ctx, "alert_rule.changed", updated)
        return updated

    stored = _with_repo(request, True, work)
    if stored is None:
        raise _missing(ctx, rule_id)
    return AlertRuleOut.model_validate(stored.public_dict())


@router.post(
    RULES,
    response_model=AlertRuleOut,
    status_code=201,
    summary="Create an alert rule",
    responses={422: {"description": "Invalid rule (config for the kind, channel, model)"}},
)
def create_rule(
    request: Request, body: AlertRuleIn, ctx: Annotated[ProjectContext, project_access("editor")]
) -> AlertRuleOut:
    with _invalid_rule_is_422():
        spec = RuleSpec.from_api(_body(body))
    _check_private(ctx, spec, None)

    def work(repo: AlertRepository) -> StoredRule:
        created = repo.create_rule(ctx.project_id, spec)
        _record_rule(request, repo, ctx, "alert_rule.created", created)
        return created

    stored = _with_repo(request, True, work)
    return AlertRuleOut.model_validate(stored.public_dict())


@router.get(RULES + "/{rule_id}", response_model=AlertRuleOut, summary="An alert rule")
def get_rule(
    request: Request, rule_id: str, ctx: Annotated[ProjectContext, project_access("viewer")]
) -> AlertRuleOut:
    stored = _with_repo(request, False, lambda repo: repo.get_rule(ctx.project_id, rule_id))
    if stored is None:
        raise _missing(ctx, rule_id)
    return AlertRuleOut.model_validate(stored.public_dict())


@router.put(
    RULES + "/{rule_id}",
    response_model=AlertRuleOut,
    summary="Replace an alert rule (send back what GET shows: secrets and masked URLs are kept)",
)
def put_rule(
    request: Request,
    rule_id: str,
    body: AlertRulePatch,  # every field is checked by RuleSpec, after the rule is found
    ctx: Annotated[ProjectContext, project_access("editor")],
) -> AlertRuleOut:
    data = _body(body, rule_id)
    return _update(request, ctx, rule_id, lambda spec: spec.replaced(data))


@router.patch(
    RULES + "/{rule_id}",
    response_model=AlertRuleOut,
    summary="Change an alert rule (channels sent without a secret keep theirs)",
)
def patch_rule(
    request: Request,
    rule_id: str,
    body: AlertRulePatch,
    ctx: Annotated[ProjectContext, project_access("editor")],
) -> AlertRuleOut:
    changes = _body(body, rule_id)
    return _update(request, ctx, rule_id, lambda spec: spec.patched(changes))


@router.delete(
    RULES + "/{rule_id}", status_code=204, response_class=Response, summary="Delete an alert rule"
)
def delete_rule(
    request: Request, rule_id: str, ctx: Annotated[ProjectContext, project_access("editor")]
) -> Response:

    def work(repo: AlertRepository) -> bool:
        current = repo.get_rule(ctx.project_id, rule_id)
        if current is None or not repo.delete_rule(ctx.project_id, rule_id):
            return False
        _record_rule(request, repo, ctx, "alert_rule.deleted", current)
        return True

    if not _with_repo(request, True, work):
        raise _missing(ctx, rule_id)
    return Response(status_code=204)


@router.get(
    "/projects/{project}/alerts", response_model=list[AlertEventOut], summary="Alert history"
)
def alert_history(
    request: Request,
    ctx: Annotated[ProjectContext, project_access("viewer")],
    status: Annotated[Literal["firing", "resolved"] | None, Query()] = None,
    model: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[UtcDatetime | None, Query(description="Fired at or after (ISO 8601).")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AlertEventOut]:
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)

    def read(repo: AlertRepository) -> list[AlertEventOut]:
        events = repo.history(ctx.project_id, model=model, status=status, since=since, limit=limit)
        return [AlertEventOut.model_validate(event_to_dict(e)) for e in events]

    return _with_repo(request, False, read)
