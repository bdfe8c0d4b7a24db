"""The dashboard's pages of a project: overview, model version (timeline), window, alerts
(acknowledge / resolve) and the governance pages. Every page is authorized like the API:
a viewer reads everything of the token's project; forms need an editor."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any, Final, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import String, cast, select
from starlette.concurrency import run_in_threadpool

from driftline.alerts import AlertRepository, event_to_dict
from driftline.server._auth import resolve_version
from driftline.server._errors import ApiError
from driftline.server._routes_alerts import act_on_alert
from driftline.server._state import state_of
from driftline.server._ui._access import UiContext, UiError, read_form, require_csrf, ui_access
from driftline.server._ui._charts import distribution_svg, timeline_data
from driftline.server._ui._data import (
    WindowRow,
    latest_rows,
    project_versions,
    timeline_rows,
    version_info,
    version_stamp,
    window_model,
    window_row,
)
from driftline.server._ui._governance import (
    AUDIT_PAGE,
    VERIFY_TTL,
    VerifyCache,
    audit_rows,
    lineage_models,
    verification,
)
from driftline.server._ui._render import json_for_html, render, timelines_of
from driftline.server._ui._summary import health, metric_label, primary_metric, summarize
from driftline.store import Window, role_allows

__all__ = ["router"]

router = APIRouter(prefix="/ui/projects/{project}", include_in_schema=False)
VERSION: Final = "/models/{model}/versions/{version}"
_MAX_CHARTS: Final = 60


def _page(ctx: UiContext, active: str, **values: Any) -> dict[str, Any]:
    return {
        "project": ctx.project.project_name,
        "project_url": "/ui/projects/" + quote(ctx.project.project_name, safe=""),
        "role": ctx.role,
        "can_edit": role_allows(ctx.role, "editor"),
        "active": active,
        **values,
    }


async def _version(request: Request, ctx: UiContext, model: str, version: str) -> Any:
    try:
        return await resolve_version(request, ctx.project, model, version)
    except ApiError as exc:
        raise UiError(exc.status_code, exc.message) from None


@router.get("", name="ui_overview")
def overview(request: Request, ctx: Annotated[UiContext, ui_access("viewer")]) -> Response:
    """Every model and version with its health and one plain-language line."""
    from driftline.server._ui._data import firing_alerts

    state = state_of(request)
    with state.sessions() as session:
        versions = project_versions(session, ctx.project.project_id)
        firing = firing_alerts(session, ctx.project.project_id)
        cards: list[dict[str, Any]] = []
        for v in versions:
            rows = latest_rows(session, v.version_id, 48)
            verdict = health(rows, firing.get(v.version_id, 0))
            story = summarize(rows, firing.get(v.version_id, 0), hourly=v.window_size < 86_400)
            computed = [r for r in rows if r.computed]
            cards.append(
                {
                    "info": v,
                    "health": verdict,
                    "line": story.line,
                    "latest": computed[-1] if computed else None,
                    "firing": firing.get(v.version_id, 0),
                }
            )
    counts = Counter(c["health"].status for c in cards)
    return render(request, "overview.html", _page(ctx, "overview", cards=cards, counts=counts))


def _top_features(rows: list[Any], latest: Any) -> list[dict[str, Any]]:
    if latest is None:
        return []
    out = []
    for name in latest.drifted_columns[:5]:
        col = latest.drift_columns[name]
        out.append({"name": name, **col})
    return out


@router.get(VERSION, name="ui_version")
async def version_page(
    request: Request,
    model: str,
    version: str,
    ctx: Annotated[UiContext, ui_access("viewer")],
    metric: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The version's timeline over all its windows, its summary and latest findings."""
    vctx = await _version(request, ctx, model, version)
    state = state_of(request)

    def read() -> dict[str, Any]:
        with state.sessions() as session:
            info = version_info(session, vctx.version_id, model)
            last = session.scalar(
                select(Window)
                .where(
                    Window.model_version_id == vctx.version_id,
                    Window.results.is_not(None),
                    cast(Window.results, String) != "null",  # JSON null: not computed
                )
                .order_by(Window.window_key.desc())
                .limit(1)
            )
            latest = None if last is None else window_row(last)
            metrics = sorted(latest.estimated) if latest is not None else []
            est = (
                metric
                if metric in metrics
                else primary_metric([latest] if latest else [], "estimated")
            )
            real = primary_metric([latest] if latest else [], "realized")
            if real is None and est is not None:
                real = est
            key = (vctx.version_id, est, real)
            stamp = version_stamp(session, vctx.version_id)
            cached = timelines_of(request).get(key, stamp)
            rows: list[WindowRow] = []
            if cached is None:
                rows = timeline_rows(session, vctx.version_id, est, real)
            from driftline.server._ui._data import firing_alerts

            firing = firing_alerts(session, ctx.project.project_id).get(vctx.version_id, 0)
        base = (
            f"{_page(ctx, '')['project_url']}/models/{quote(model, safe='')}"
            f"/versions/{quote(version, safe='')}"
        )
        if cached is None:
            labels = {
                "est": f"estimated {metric_label(est)}" if est else "",
                "real": f"realized {metric_label(real)}" if real else "",
            }
            data = timeline_data(rows, est, real, window_url=base + "/windows/", labels=labels)
            cached = (rows, json_for_html(data))
            timelines_of(request).put(key, stamp, cached)
        rows, timeline_json = cached
        if latest is not None:  # the full latest row (drift details, findings) for the story
            rows = [latest if r.key == latest.key else r for r in rows]
        hourly = info.window_size < 86_400 or info.window_kind == "rows"
        story = summarize(rows, firing, hourly=hourly)
        computed = [r for r in rows if r.computed]
        return {
            "info": info,
            "model": model,
            "version": version,
            "base": base,
            "health": health(rows, firing),
            "story": story,
            "latest": latest,
            "top": _top_features(rows, latest),
            "metrics": metrics,
            "metric": est,
            "metric_label": metric_label(est) if est else None,
            "timeline_json": timeline_json,
            "n_windows": len(rows),
            "n_computed": len(computed),
            "n_drifted": sum(1 for r in computed if r.drifted),
            "n_quality": sum(1 for r in computed if r.n_findings),
            "total_rows": sum(r.rows for r in rows),
            "total_labels": sum(r.labels for r in rows),
            "first": rows[0] if rows else None,
            "last": rows[-1] if rows else None,
            "recent": list(reversed(rows[-24:])),
            "firing": firing,
        }

    values = await run_in_threadpool(read)
    return render(request, "version.html", _page(ctx, "overview", **values))


@router.get(VERSION + "/windows/{window_key}", name="ui_window")
async def window_page(
    request: Request,
    model: str,
    version: str,
    window_key: str,
    ctx: Annotated[UiContext, ui_access("viewer")],
) -> Response:
    """One window: per-feature drift with distributions, quality findings, its alerts."""
    vctx = await _version(request, ctx, model, version)
    try:
        key = int(window_key)
    except ValueError:
        raise UiError(404, f"No window {window_key!r}: window keys are whole numbers.") from None
    state = state_of(request)

    def read() -> dict[str, Any]:
        with state.sessions() as session:
            w = window_model(session, vctx.version_id, key)
            if w is None:
                raise UiError(404, f"No window with key {key} for version {version!r}.")
            row = window_row(w)
            from driftline.server._ui._data import drift_charts

            charts = drift_charts(session, vctx.version_id, w) if row.drift_columns else {}
            events = [
                event_to_dict(e)
                for e in AlertRepository(session).history(
                    ctx.project.project_id, model=model, limit=1000
                )
                if e.window_id == w.id
            ]
            here = select(Window.window_key).where(Window.model_version_id == vctx.version_id)
            previous = session.scalar(
                here.where(Window.window_key < key).order_by(Window.window_key.desc()).limit(1)
            )
            following = session.scalar(
                here.where(Window.window_key > key).order_by(Window.window_key).limit(1)
            )
        features = []
        ordered = sorted(
            row.drift_columns.items(),
            key=lambda kv: (not kv[1].get("drifted"), -abs(kv[1].get("effect_size") or 0.0)),
        )
        for i, (name, col) in enumerate(ordered):
            chart = charts.get(name)
            svg = distribution_svg(name, chart) if chart and i < _MAX_CHARTS else None
            features.append({"name": name, "col": col, "svg": svg})
        base = f"{_page(ctx, '')['project_url']}/models/{quote(model, safe='')}/versions/{quote(version, safe='')}"
        story = summarize(
            [row], sum(1 for e in events if e["status"] == "firing"), hourly=True, single=True
        )
        return {
            "model": model,
            "version": version,
            "base": base,
            "row": row,
            "features": features,
            "events": events,
            "story": story,
            "previous": previous,
            "next": following,
        }

    values = await run_in_threadpool(read)
    return render(request, "window.html", _page(ctx, "overview", **values))


@router.get("/alerts", name="ui_alerts")
def alerts_page(
    request: Request,
    ctx: Annotated[UiContext, ui_access("viewer")],
    status: Annotated[Literal["firing", "resolved", ""], Query()] = "",
    model: Annotated[str, Query(max_length=200)] = "",
    done: Annotated[Literal["acknowledge", "resolve", ""], Query()] = "",
) -> Response:
    """The alert feed, newest first, with filters; acknowledge / resolve forms for editors."""
    state = state_of(request)
    with state.sessions() as session:
        repo = AlertRepository(session)
        events = [
            event_to_dict(e)
            for e in repo.history(
                ctx.project.project_id, model=model or None, status=status or None, limit=200
            )
        ]
        models = sorted({v.model for v in project_versions(session, ctx.project.project_id)})
    return render(
        request,
        "alerts.html",
        _page(ctx, "alerts", events=events, status=status, model=model, models=models, done=done),
    )


async def _act(request: Request, ctx: UiContext, alert_id: str, action: str) -> Response:
    form = await read_form(request)
    require_csrf(form, ctx.session)
    try:
        await run_in_threadpool(
            act_on_alert, request, ctx.project, alert_id, action, form.get("comment", "")[:2000]
        )
    except ApiError as exc:
        raise UiError(exc.status_code, exc.message) from None
    url = _page(ctx, "")["project_url"] + f"/alerts?done={action}"
    return RedirectResponse(url, status_code=303)


@router.post("/alerts/{alert_id}/acknowledge", name="ui_acknowledge")
async def acknowledge(
    request: Request, alert_id: str, ctx: Annotated[UiContext, ui_access("editor")]
) -> Response:
    """Acknowledge an alert (editor or higher; the comment is recorded)."""
    return await _act(request, ctx, alert_id, "acknowledge")


@router.post("/alerts/{alert_id}/resolve", name="ui_resolve")
async def resolve(
    request: Request, alert_id: str, ctx: Annotated[UiContext, ui_access("editor")]
) -> Response:
    """Resolve an alert by hand (editor or higher; the comment is recorded)."""
    return await _act(request, ctx, alert_id, "resolve")


_MISSING: Final = {
    "gates": (
        "Gate reports",
        "No gate reports are stored on this server yet.",
        "Gate reports are kept by the model registry, which this server does not have yet. "
        "Until then, the driftline gate command writes each report as JSON, Markdown, HTML and JUnit "
        "files in CI: keep those files with the build.",
    ),
    "model-cards": (
        "Model cards",
        "No model cards are stored on this server yet.",
        "Model cards belong to the model registry, which this server does not have yet.",
    ),
    "approvals": (
        "Approvals",
        "No approvals inbox yet.",
        "Promotion approvals need the model registry, which this server does not have yet; "
        "nothing is waiting for your approval here.",
    ),
}


def _verify_cache(request: Request) -> VerifyCache:
    cache: VerifyCache | None = getattr(request.app.state, "ui_audit_verify", None)
    if cache is None:
        cache = request.app.state.ui_audit_verify = VerifyCache()
    return cache


@router.get("/audit", name="ui_audit")
async def audit_page(
    request: Request,
    ctx: Annotated[UiContext, ui_access("viewer")],
    before: Annotated[int | None, Query(ge=0, le=2**62)] = None,
) -> Response:
    """The project's audit entries, newest first, and the verification status of the log."""
    state = state_of(request)
    log = state.audit
    cache = _verify_cache(request)

    def read() -> dict[str, Any]:
        head = log.tree_head()
        checked = cache.get(log)
        with state.sessions() as session:
            rows = audit_rows(session, ctx.project.project_id, head.tree_size, before)
            status = verification(session, ctx.project.project_id, checked)
        older = rows[AUDIT_PAGE - 1].seq if len(rows) > AUDIT_PAGE else None
        return {
            "rows": rows[:AUDIT_PAGE],
            "older": older,
            "before": before,
            "status": status,
            "ttl": int(VERIFY_TTL),
        }

    values = await run_in_threadpool(read)
    return render(request, "audit.html", _page(ctx, "audit", **values))


@router.get("/lineage", name="ui_lineage")
async def lineage_page(
    request: Request, ctx: Annotated[UiContext, ui_access("viewer")]
) -> Response:
    """Per model: its aliases, their history and the lineage of the production version."""
    state = state_of(request)

    def read() -> list[dict[str, Any]]:
        with state.sessions() as session:
            return lineage_models(session, ctx.project.project_id)

    models = await run_in_threadpool(read)
    return render(request, "lineage.html", _page(ctx, "lineage", models=models))


def _missing_page(key: str) -> Any:
    title, headline, detail = _MISSING[key]

    def page(request: Request, ctx: Annotated[UiContext, ui_access("viewer")]) -> Response:
        return render(
            request,
            "missing.html",
            _page(ctx, key, title=title, headline=headline, detail=detail),
        )

    page.__doc__ = f"{title}: says plainly what is not available yet."
    return page


for _key in _MISSING:
    router.add_api_route("/" + _key, _missing_page(_key), methods=["GET"], name=f"ui_{_key}")
