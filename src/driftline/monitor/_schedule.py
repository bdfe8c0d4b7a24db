"""Which windows a monitor pass works on, shared fairly between projects and versions.

A window is *due* when it is dirty (new rows or labels), when it should close (a time
window ``grace_seconds`` past its end, a full row window), and its retry time (after a
failure) has come. A pass takes at most ``limit`` due windows: the slots are split
max-min fairly (water-filling) first between projects, then within each project between
its versions, so a project with a backlog of thousands of windows (or thousands of
windows that keep failing) takes only what the others leave. Windows are then processed
round-robin, the projects with the fewest due windows first in each round. A long pass
plans again now and then (excluding what it already did), so a window that became due
meanwhile takes its turn without waiting for the pass to end.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain, zip_longest

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select, true

from driftline.store import Model, ModelVersion, Window

__all__ = ["Plan", "fair_shares", "plan_pass", "still_due"]


@dataclass(frozen=True)
class Plan:
    """The windows of one pass, in processing order, and how many were due in all."""

    window_ids: list[str]
    due: int

    @property
    def deferred(self) -> int:
        """Due windows left for a later pass by the limit."""
        return self.due - len(self.window_ids)


def fair_shares(demands: Mapping[str, int], capacity: int, *, offset: int = 0) -> dict[str, int]:
    """Split ``capacity`` slots max-min fairly among ``demands`` (water-filling).

    Each key gets its whole demand if it is below the fair level, and what small demands
    leave over goes to the larger ones. The result lists the keys in priority order:
    smallest demand first, ties in key order rotated by ``offset`` (so that, when there
    are more keys than slots, a different key is served first on each pass).

    >>> fair_shares({"big": 1000, "small": 1}, 10)
    {'small': 1, 'big': 9}
    >>> fair_shares({"a": 5, "b": 5, "c": 5}, 10)
    {'a': 4, 'b': 3, 'c': 3}
    >>> fair_shares({"a": 1, "b": 1, "c": 1}, 2, offset=1)
    {'b': 1, 'c': 1, 'a': 0}
    """
    keys = sorted(demands)
    if keys:
        turn = offset % len(keys)
        keys = keys[turn:] + keys[:turn]
    order = sorted(keys, key=lambda k: demands[k])  # stable: ties keep the rotated order
    shares: dict[str, int] = {}
    remaining = max(0, int(capacity))
    for i, key in enumerate(order):
        level = -(-remaining // (len(order) - i))  # ceiling of an equal split of the rest
        take = min(max(0, int(demands[key])), level)
        shares[key] = take
        remaining -= take
    return shares


def _due(now: datetime, cutoff: datetime) -> ColumnElement[bool]:
    is_open = Window.status == "open"
    return and_(
        or_(
            Window.dirty == true(),
            and_(is_open, Window.end_at.is_not(None), Window.end_at < cutoff),
            and_(
                is_open,
                ModelVersion.window_kind == "rows",
                Window.row_count >= ModelVersion.window_size,
            ),
        ),
        or_(Window.retry_at.is_(None), Window.retry_at <= now),
    )


def still_due(conn: Connection, window_id: str, now: datetime, *, grace_seconds: float) -> bool:
    """True when ``window_id`` is due (checked again once a monitor holds it)."""
    due = _due(now, now - timedelta(seconds=grace_seconds))
    found = conn.execute(
        select(Window.id)
        .join(ModelVersion, ModelVersion.id == Window.model_version_id)
        .where(Window.id == window_id, due)
    ).first()
    return found is not None


def _interleave(lists: list[list[str]]) -> list[str]:
    """Round-robin: the first item of each list, then the second of each, ..."""
    return [x for x in chain.from_iterable(zip_longest(*lists)) if x is not None]


def plan_pass(
    conn: Connection,
    now: datetime,
    *,
    grace_seconds: float,
    limit: int,
    offset: int = 0,
    exclude: Collection[str] = (),
) -> Plan:
    """The due windows one pass works on (at most ``limit``), fairly shared; see the module.

    Windows in ``exclude`` (those a pass already worked on) are not due again in it.
    """
    due = _due(now, now - timedelta(seconds=grace_seconds))
    if exclude:
        due = and_(due, Window.id.not_in(list(exclude)))
    counts = conn.execute(
        select(Model.project_id, Window.model_version_id, func.count())
        .select_from(Window)
        .join(ModelVersion, ModelVersion.id == Window.model_version_id)
        .join(Model, Model.id == ModelVersion.model_id)
        .where(due)
        .group_by(Model.project_id, Window.model_version_id)
    ).all()
    if not counts:
        return Plan([], 0)
    projects: dict[str, dict[str, int]] = {}
    for project_id, version_id, n in counts:
        projects.setdefault(str(project_id), {})[str(version_id)] = int(n)
    total = sum(sum(v.values()) for v in projects.values())
    project_shares = fair_shares(
        {p: sum(v.values()) for p, v in projects.items()}, limit, offset=offset
    )
    version_shares: dict[str, dict[str, int]] = {
        p: fair_shares(projects[p], share, offset=offset) for p, share in project_shares.items()
    }
    top = max((s for shares in version_shares.values() for s in shares.values()), default=0)
    if top == 0:
        return Plan([], total)
    rank = (
        func.row_number()
        .over(partition_by=Window.model_version_id, order_by=Window.id)
        .label("rank")
    )
    ranked = (
        select(Window.id, Window.model_version_id, rank)
        .select_from(Window)
        .join(ModelVersion, ModelVersion.id == Window.model_version_id)
        .where(due)
        .subquery()
    )
    rows = conn.execute(
        select(ranked.c.id, ranked.c.model_version_id, ranked.c.rank)
        .where(ranked.c.rank <= top)
        .order_by(ranked.c.model_version_id, ranked.c.rank)
    ).all()
    chosen: dict[str, list[str]] = {}
    quota = {v: s for shares in version_shares.values() for v, s in shares.items()}
    for window_id, version_id, position in rows:
        if int(position) <= quota.get(str(version_id), 0):
            chosen.setdefault(str(version_id), []).append(str(window_id))
    per_project = [
        _interleave([chosen.get(v, []) for v in version_shares[p]]) for p in project_shares
    ]
    return Plan(_interleave(per_project), total)
