"""The SDK's window calls: summaries, one window's results, its rows (export), time series."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import pyarrow as pa

from driftline.client._api import ApiBase
from driftline.client._parse import parse, parse_list
from driftline.client._util import iso
from driftline.client._window_results import Point, Window, WindowResults
from driftline.exceptions import ApiError

__all__ = ["WindowsMixin"]


class WindowsMixin(ApiBase):
    """What the monitor computed per window of a version's prediction stream."""

    def windows(
        self,
        model: str,
        version: str,
        *,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        limit: int | None = None,
    ) -> list[Window]:
        """Summaries of a version's windows (oldest first): the latest ``limit`` (the
        server's default 500) starting in [``since``, ``until``)."""
        params = {
            k: v
            for k, v in (("since", iso(since)), ("until", iso(until)), ("limit", limit))
            if v is not None
        }
        path = f"{self._version_path(model, str(version))}/windows"
        return self._many(Window.from_dict, path, key="windows", params=params)

    def window(self, model: str, version: str, key: int) -> WindowResults:
        """One window with its full results (drift, quality, estimated and realized performance)."""
        path = f"{self._version_path(model, str(version))}/windows/{int(key)}"
        return self._one(WindowResults.from_dict, "GET", path)

    def window_predictions(self, model: str, version: str, key: int) -> pa.Table:
        """A window's stored predictions with their current ``label`` and ``label_at``, in
        arrival order, as a ``pyarrow.Table`` (what a retraining job downloads)."""
        path = f"{self._version_path(model, str(version))}/windows/{int(key)}/predictions"
        response = self._request("GET", path, params={"format": "arrow"})
        try:
            return pa.ipc.open_stream(response.content).read_all()
        except pa.ArrowInvalid as exc:
            raise ApiError(
                f"GET {path}: the server's answer is not an Arrow stream: {exc}",
                status=response.status_code,
                code="bad_response",
            ) from exc

    def timeseries(
        self,
        model: str,
        version: str,
        series: Sequence[str] | None = None,
        *,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
    ) -> dict[str, list[Point]]:
        """Time series for plotting: ``{name: [Point(t, window_key, value, lower, upper), ...]}``.

        ``series`` are dotted names such as ``volume.rows``, ``drift.share_drifted``,
        ``estimated.roc_auc``, ``realized.roc_auc``, ``volume.label_delay_seconds.median``
        (default: the server's choice).
        """
        params: dict[str, Any] = {}
        if series is not None:
            params["series"] = ",".join([series] if isinstance(series, str) else series)
        if since is not None:
            params["since"] = iso(since)
        if until is not None:
            params["until"] = iso(until)
        path = f"{self._version_path(model, str(version))}/timeseries"
        what = f"GET {path}"
        response = self._request("GET", path, params=params)
        body = self._body(response, "GET", path)

        def read(data: Mapping[str, Any]) -> dict[str, list[Point]]:
            found = data.get("series", data)
            if not isinstance(found, Mapping):
                raise TypeError(f"'series' must be an object; got {found!r}")
            status = response.status_code
            return {
                str(name): parse_list(Point.from_dict, points, what, key="points", status=status)
                for name, points in found.items()
            }

        return parse(read, body, what, status=response.status_code)
