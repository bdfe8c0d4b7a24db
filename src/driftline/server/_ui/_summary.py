"""Plain-language summaries of a version's windows: what changed, since when, how sure we
are, and what to do next; and the health verdict (ok / warning / alert / no data).

Pure functions over :class:`~driftline.server._ui._data.WindowRow` lists, so that the
sentences are tested for their content.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from driftline.report import format_count, format_number, format_percent, format_period
from driftline.server._ui._data import Estimate, WindowRow

__all__ = [
    "Health",
    "Summary",
    "health",
    "metric_label",
    "primary_metric",
    "summarize",
    "when",
    "window_label",
]

Status = Literal["ok", "warning", "alert", "no data"]
_SHIFT: Final = re.compile(r"mean ([+-]\d+(?:\.\d+)?) sd")


def metric_label(name: str) -> str:
    """A metric's name as people say it (``roc_auc`` → ``ROC AUC``), from the registry."""
    from driftline.metrics import METRICS

    spec = METRICS.get(name)
    return spec.display_name if spec is not None else name.replace("_", " ")


def _higher_is_better(name: str) -> bool:
    from driftline.metrics import METRICS

    spec = METRICS.get(name)
    return True if spec is None else bool(spec.greater_is_better)


def when(moment: datetime | None, *, with_time: bool) -> str:
    """``Tue 3 Mar 2026`` (with ``14:00 UTC`` when ``with_time``)."""
    if moment is None:
        return "an unknown time"
    text = f"{moment:%a} {moment.day} {moment:%b %Y}"
    return f"{text} {moment:%H:%M} UTC" if with_time else text


def window_label(start: datetime | None, end: datetime | None, key: int = 0) -> str:
    """A window as people name it: ``Sun 21 Jun 2026`` for a calendar day,
    ``21 Jun 2026 14:00–15:00 UTC`` within a day, ``15–21 Jun 2026`` for a longer span
    (the end is exclusive, so the last day shown is the day before it)."""
    if start is None:
        return f"window #{key}"
    if end is None:
        return f"from {when(start, with_time=True)}"
    seconds = (end - start).total_seconds()
    midnight = (start.hour, start.minute, start.second) == (0, 0, 0)
    if seconds == 86_400 and midnight:
        return when(start, with_time=False)
    if seconds < 86_400:
        if start.date() == end.date() or (end.hour, end.minute) == (0, 0):
            return f"{start.day} {start:%b %Y} {start:%H:%M}–{end:%H:%M} UTC"
        return f"{when(start, with_time=True)} – {when(end, with_time=True)}"
    from datetime import timedelta

    return format_period(start, end - timedelta(microseconds=1), grain="day")


def value_text(value: float | None) -> str:
    """A metric value: two decimals for values under 1 (``0.84``), else 3 digits."""
    if value is None:
        return "—"
    return format_number(value, decimals=2) if abs(value) < 1 else format_number(value)


def _range_text(low: float | None, high: float | None) -> str:
    return f"{value_text(low)}–{value_text(high)}"


def primary_metric(rows: Sequence[WindowRow], part: Literal["estimated", "realized"]) -> str | None:
    """The metric the summaries speak of: accuracy (or ROC AUC, MAE, RMSE) when present."""
    seen: list[str] = []
    for row in reversed(rows):
        names = list((row.estimated if part == "estimated" else row.realized).keys())
        if names:
            seen = names
            break
    from driftline.metrics import HEADLINE_METRICS

    for name in HEADLINE_METRICS:
        if name in seen:
            return name
    return seen[0] if seen else None


@dataclass(frozen=True)
class Health:
    """A version's verdict and the reasons, in words."""

    status: Status
    reasons: tuple[str, ...]


def _latest(rows: Sequence[WindowRow]) -> WindowRow | None:
    for row in reversed(rows):
        if row.computed:
            return row
    return None


def health(rows: Sequence[WindowRow], firing_alerts: int = 0) -> Health:
    """alert: an open alert, or the latest estimated performance outside its usual range;
    warning: drift, data-quality findings or a failed computation in the latest window;
    ok: a computed window with none of these; no data: nothing computed yet."""
    latest = _latest(rows)
    reasons: list[str] = []
    alert = warning = False
    if firing_alerts:
        alert = True
        reasons.append(f"{format_count(firing_alerts, 'open alert')}")
    if latest is None:
        if alert:
            return Health("alert", tuple(reasons))
        return Health("no data", ("no window computed yet",))
    outside = [m for m, e in latest.estimated.items() if e.outside]
    if outside:
        alert = True
        reasons.append(f"estimated {metric_label(outside[0])} outside its usual range")
    if latest.drifted:
        warning = True
        reasons.append(f"{format_count(len(latest.drifted_columns), 'feature')} drifted")
    if latest.n_findings:
        warning = True
        reasons.append(f"{format_count(latest.n_findings, 'data-quality finding')}")
    if rows and rows[-1].failed:
        warning = True
        reasons.append("the latest window could not be computed")
    status: Status = "alert" if alert else "warning" if warning else "ok"
    return Health(status, tuple(reasons) or ("nothing unusual in the latest window",))


@dataclass(frozen=True)
class Summary:
    """Sentences for people who know no statistics: one line, and the full story."""

    line: str
    what_changed: tuple[str, ...]
    how_sure: tuple[str, ...]
    what_next: str


def _run_start(rows: Sequence[WindowRow], metric: str) -> tuple[WindowRow, WindowRow | None]:
    """The first window of the latest run outside the usual range, and the one before."""
    run: list[WindowRow] = []
    before: WindowRow | None = None
    for row in reversed(rows):
        est = row.estimated.get(metric)
        if est is None or est.value is None:
            if not row.computed:
                continue
            before = None
            break
        if est.outside:
            run.append(row)
            continue
        before = row
        break
    return run[-1], before


def _performance(
    rows: Sequence[WindowRow], latest: WindowRow, with_time: bool, single: bool = False
) -> tuple[str | None, Estimate | None, str | None]:
    metric = primary_metric([latest], "estimated")
    if metric is None:
        return None, None, None
    est = latest.estimated[metric]
    if est.value is None:
        return None, None, None
    label = metric_label(metric)
    usual = _range_text(est.band_lower, est.band_upper)
    if est.band_lower is None or est.band_upper is None:
        return (
            f"The estimated {label} is {value_text(est.value)} (there is no usual range yet: "
            "the reference data are too few to set one).",
            est,
            metric,
        )
    if not est.outside:
        return (
            f"The estimated {label} is {value_text(est.value)}, within its usual range {usual}.",
            est,
            metric,
        )
    side = "below" if est.value < est.band_lower else "above"
    worse = (side == "below") == _higher_is_better(metric)
    if single:
        return (
            f"In this window the estimated {label} was {value_text(est.value)}, {side} its "
            f"usual range {usual}.",
            est,
            metric,
        )
    first, before = _run_start(rows, metric)
    since = when(first.start, with_time=with_time)
    if before is not None and before.estimated[metric].value is not None:
        old = before.estimated[metric].value
        moved = "fell" if est.value < (old or 0.0) else "rose"
        text = (
            f"Since {since} the estimated {label} {moved} from {value_text(old)} to "
            f"{value_text(est.value)}, {side} its usual range {usual}."
        )
    else:
        text = (
            f"Since {since} the estimated {label} has been {side} its usual range {usual}; "
            f"it is now {value_text(est.value)}."
        )
    recent = [r.estimated.get(metric) for r in rows if r.computed][-24:]
    n_out = sum(1 for e in recent if e is not None and e.outside)
    run = sum(1 for r in rows if r.computed and r.key >= first.key)
    if n_out > run:
        text += (
            f" It was outside that range in {n_out} of the last "
            f"{format_count(len(recent), 'window')}."
        )
    if not worse:
        text += " That direction is better than usual, yet it is a change worth understanding."
    return text, est, metric


def _biggest_change(latest: WindowRow) -> str | None:
    drifted = latest.drifted_columns
    if not drifted:
        return None
    name = drifted[0]
    shown = f"the model's {name}s" if name in ("score", "prediction") else name
    explanation = str(latest.drift_columns[name].get("explanation") or "").replace("->", "→")
    shift = _SHIFT.search(explanation)
    if shift is not None:
        sds = float(shift.group(1))
        direction = "up" if sds > 0 else "down"
        text = f"Biggest change: {shown} shifted {direction} ({sds:+.1f} sd)."
    elif explanation:
        text = f"Biggest change: {shown} ({explanation})."
    else:
        text = f"Biggest change: {shown}."
    others = len(drifted) - 1
    if others:
        text += f" {format_count(others, 'other feature')} changed too."
    return text


def summarize(
    rows: Sequence[WindowRow],
    firing_alerts: int = 0,
    *,
    hourly: bool = True,
    single: bool = False,
) -> Summary:
    """The story of a version's windows (``rows`` oldest first), in plain words; ``single``:
    the story of one window (no "since")."""
    verdict = health(rows, firing_alerts)
    latest = _latest(rows)
    if latest is None:
        return Summary(
            line="No window has been computed yet: send predictions to this version.",
            what_changed=(),
            how_sure=(),
            what_next="Send predictions (and later labels) to this version; results appear "
            "once the monitor has computed the first window.",
        )
    changed: list[str] = []
    sure: list[str] = []
    perf, est, metric = _performance(rows, latest, hourly, single)
    if perf is not None:
        changed.append(perf)
    change = _biggest_change(latest)
    if change is not None:
        changed.append(change)
    elif latest.drifted is False:
        changed.append(
            f"No feature moved away from the reference data in "
            f"{'this' if single else 'the latest'} window "
            f"({format_count(latest.n_columns, 'feature')} checked)."
        )
    if latest.findings:
        first = latest.findings[0]
        changed.append(
            f"{format_count(len(latest.findings), 'data-quality finding')} in "
            f"{'this' if single else 'the latest'} window, "
            f"for example {first.get('column')}: {first.get('message')}"
        )
    if est is not None and metric is not None and est.lower is not None:
        sure.append(
            f"The estimate is computed without labels, from the model's own scores; the "
            f"{metric_label(metric)} is likely between {value_text(est.lower)} and "
            f"{value_text(est.upper)} (95% interval)."
        )
    real_metric = primary_metric([latest], "realized")
    if real_metric is not None and latest.realized[real_metric].value is not None:
        real = latest.realized[real_metric]
        sure.append(
            f"Measured on {format_count(latest.n_realized_labels, 'labelled prediction')}: "
            f"{metric_label(real_metric)} {value_text(real.value)} "
            f"(95% interval {_range_text(real.lower, real.upper)})."
        )
    elif latest.rows:
        sure.append(
            f"No performance is measured yet: {format_percent(latest.labels / latest.rows)} of "
            f"{'this' if single else 'the latest'} window's predictions have their true "
            "outcome (label)."
        )
    drifted = latest.drifted_columns
    if verdict.status == "alert" and perf is not None and est is not None and est.outside:
        focus = f" (start with {drifted[0]})" if drifted else ""
        nxt = (
            "Open the latest window to see which features changed" + focus + ", check the "
            "data feed for them, and plan a retraining if the labels confirm the drop."
        )
    elif verdict.status == "alert":
        nxt = "Read the open alerts, acknowledge them, and open the windows they link to."
    elif verdict.status == "warning" and drifted:
        nxt = (
            f"Check whether the change in {drifted[0]} is expected (a new customer group, a "
            "change upstream); performance is not affected so far."
        )
    elif verdict.status == "warning":
        nxt = "Look at the data-quality findings of the latest window and fix the data feed."
    else:
        nxt = "Nothing to do."
    line = " ".join(changed[:2]) if changed else "The latest window has no results to show."
    return Summary(line=line, what_changed=tuple(changed), how_sure=tuple(sure), what_next=nxt)
