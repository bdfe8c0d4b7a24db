"""What the SDK's window calls return: window summaries, a window's results, time series points.

Frozen dataclasses with ``from_dict`` (the server's JSON) and ``to_dict()``; no httpx.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from driftline.client._parse import iso_time, optional_time

__all__ = ["Point", "Window", "WindowResults"]


def _optional_float(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number or null, got {value!r}")
    return float(value)


def _optional_int(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer or null, got {value!r}")
    return value


def _optional_bool(value: object) -> bool | None:
    return None if value is None else bool(value)


@dataclass(frozen=True)
class Window:
    """A window of a version's prediction stream, as :meth:`~driftline.client.Client.windows`
    lists it.

    ``window_key`` identifies it (pass it to ``window()`` and ``window_predictions()``);
    ``start``/``end`` bound a time window (``None`` for row-count windows); ``status`` is
    ``"open"`` or ``"closed"``; ``rows`` and ``labels`` count its predictions and joined
    labels. ``computed_at`` is when the monitor last computed its results and ``dirty``
    whether rows arrived since. ``drifted``, ``share_drifted`` and ``n_quality_findings``
    summarise those results (``None`` until computed, or when the part was not computed).

    >>> w = Window.from_dict({"window_key": 5, "start": "2026-12-02T10:00:00Z",
    ...     "end": "2026-12-02T11:00:00Z", "status": "closed", "rows": 500, "labels": 40,
    ...     "dirty": False, "computed_at": "2026-12-02T11:00:05Z", "drifted": True,
    ...     "share_drifted": 0.25, "n_quality_findings": 0})
    >>> w.window_key, w.rows, w.drifted, w.start.hour
    (5, 500, True, 10)
    >>> Window.from_dict(w.to_dict()) == w
    True
    """

    window_key: int
    start: datetime | None
    end: datetime | None
    status: str
    rows: int
    labels: int
    dirty: bool
    computed_at: datetime | None
    drifted: bool | None
    share_drifted: float | None
    n_quality_findings: int | None

    @staticmethod
    def _fields(data: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "window_key": int(data["window_key"]),
            "start": optional_time(data.get("start")),
            "end": optional_time(data.get("end")),
            "status": str(data["status"]),
            "rows": int(data["rows"]),
            "labels": int(data["labels"]),
            "dirty": bool(data["dirty"]),
            "computed_at": optional_time(data.get("computed_at")),
            "drifted": _optional_bool(data.get("drifted")),
            "share_drifted": _optional_float(data.get("share_drifted")),
            "n_quality_findings": _optional_int(data.get("n_quality_findings")),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Window:
        """Read the server's JSON."""
        return cls(**cls._fields(data))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, as the server sent it."""
        return {
            "window_key": self.window_key,
            "start": iso_time(self.start),
            "end": iso_time(self.end),
            "status": self.status,
            "rows": self.rows,
            "labels": self.labels,
            "dirty": self.dirty,
            "computed_at": iso_time(self.computed_at),
            "drifted": self.drifted,
            "share_drifted": self.share_drifted,
            "n_quality_findings": self.n_quality_findings,
        }


@dataclass(frozen=True)
class WindowResults(Window):
    """One window with its full results (:meth:`~driftline.client.Client.window`).

    ``results`` is what the monitor computed, as JSON (``None`` until it has run):
    ``"drift"`` (``drifted``, ``drifted_columns``, per-column tests), ``"quality"``,
    ``"estimated"`` and ``"realized"`` (``metrics``: ``{name: {"value", "lower", "upper",
    ...}}``), ``"volume"``; see docs/monitor.md for every field.

    >>> w = WindowResults.from_dict({"window_key": 1, "start": None, "end": None,
    ...     "status": "open", "rows": 10, "labels": 0, "dirty": True, "computed_at": None,
    ...     "drifted": None, "share_drifted": None, "n_quality_findings": None,
    ...     "results": None})
    >>> w.results is None, w.to_dict()["results"]
    (True, None)
    """

    results: Mapping[str, Any] | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WindowResults:
        """Read the server's JSON."""
        results = data.get("results")
        if results is not None and not isinstance(results, Mapping):
            raise TypeError(f"a window's results must be an object or null; got {results!r}")
        return cls(**cls._fields(data), results=None if results is None else dict(results))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, as the server sent it."""
        results = None if self.results is None else dict(self.results)
        return {**super().to_dict(), "results": results}


@dataclass(frozen=True)
class Point:
    """One point of a time series (:meth:`~driftline.client.Client.timeseries`): the
    window's start ``t`` (its creation time for row-count windows), its key, the ``value``
    and, for estimated and realized metrics, the interval ``lower``..``upper``.

    >>> p = Point.from_dict({"t": "2026-12-02T10:00:00Z", "window_key": 3, "value": 0.91,
    ...                      "lower": 0.88, "upper": 0.94})
    >>> p.value, p.lower, Point.from_dict(p.to_dict()) == p
    (0.91, 0.88, True)
    """

    t: datetime | None
    window_key: int
    value: float | None
    lower: float | None = None
    upper: float | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Point:
        """Read the server's JSON."""
        return cls(
            t=optional_time(data.get("t")),
            window_key=int(data["window_key"]),
            value=_optional_float(data.get("value")),
            lower=_optional_float(data.get("lower")),
            upper=_optional_float(data.get("upper")),
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, as the server sent it."""
        return {
            "t": iso_time(self.t),
            "window_key": self.window_key,
            "value": self.value,
            "lower": self.lower,
            "upper": self.upper,
        }
