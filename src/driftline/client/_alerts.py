"""The SDK's alert calls: the alert history and alert-rule CRUD (a mixin of ``Client``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from driftline.client._util import iso, quote_name, unwrap

__all__ = ["AlertsMixin"]


class AlertsMixin:
    """Alert history and rules of the client's project (needs ``_json`` and
    ``_project_path`` from :class:`~driftline.client.Client`)."""

    if TYPE_CHECKING:  # provided by Client

        def _json(self, method: str, path: str, **kwargs: Any) -> Any: ...

        def _project_path(self) -> str: ...

    def alerts(
        self,
        *,
        status: str | None = None,
        model: str | None = None,
        since: datetime | str | None = None,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        """Alert history of the project, newest first."""
        params = {
            k: v
            for k, v in (
                ("status", status),
                ("model", model),
                ("since", iso(since)),
                ("limit", limit),
            )
            if v is not None
        }
        result: list[dict[str, Any]] = unwrap(
            self._json("GET", f"{self._project_path()}/alerts", params=params), "alerts"
        )
        return result

    def alert_rules(self) -> list[dict[str, Any]]:
        """The project's alert rules (channel secrets are never returned: ``has_secret``)."""
        result: list[dict[str, Any]] = unwrap(
            self._json("GET", f"{self._project_path()}/alert-rules"), "rules"
        )
        return result

    def create_alert_rule(
        self,
        name: str,
        kind: str,
        config: Mapping[str, Any] | None = None,
        *,
        model: str | None = None,
        cooldown_seconds: int = 3600,
        enabled: bool = True,
        channels: Sequence[Mapping[str, Any]] = (),
    ) -> dict[str, Any]:
        """Create an alert rule: ``kind`` is ``drift``, ``estimated_metric``,
        ``realized_metric``, ``data_quality`` or ``volume_drop``; ``config`` is validated by
        the server per kind; ``channels`` are webhook / slack / retrain targets."""
        body = {
            "name": name,
            "kind": kind,
            "config": dict(config or {}),
            "model": model,
            "cooldown_seconds": cooldown_seconds,
            "enabled": enabled,
            "channels": [dict(c) for c in channels],
        }
        result: dict[str, Any] = self._json(
            "POST", f"{self._project_path()}/alert-rules", json=body
        )
        return result

    def alert_rule(self, rule_id: str) -> dict[str, Any]:
        """One alert rule, as :meth:`alert_rules` shows it."""
        result: dict[str, Any] = self._json(
            "GET", f"{self._project_path()}/alert-rules/{quote_name(rule_id)}"
        )
        return result

    def update_alert_rule(self, rule_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change some fields of an alert rule (PATCH).

        ``channels`` replaces the channel list; channels may be sent back as
        :meth:`alert_rule` shows them: a masked URL keeps the real one, a channel without
        ``secret`` keeps its secret, ``"secret": None`` removes it. Setting
        ``allow_private`` needs an admin token.
        """
        result: dict[str, Any] = self._json(
            "PATCH",
            f"{self._project_path()}/alert-rules/{quote_name(rule_id)}",
            json=dict(changes),
            idempotent=True,
        )
        return result

    def replace_alert_rule(self, rule_id: str, rule: Mapping[str, Any]) -> dict[str, Any]:
        """Replace an alert rule (PUT) with ``rule``, e.g. what :meth:`alert_rule` returned,
        edited: secrets and masked URLs are kept as :meth:`update_alert_rule` explains."""
        result: dict[str, Any] = self._json(
            "PUT", f"{self._project_path()}/alert-rules/{quote_name(rule_id)}", json=dict(rule)
        )
        return result

    def delete_alert_rule(self, rule_id: str) -> None:
        """Delete an alert rule."""
        self._json("DELETE", f"{self._project_path()}/alert-rules/{quote_name(rule_id)}")
