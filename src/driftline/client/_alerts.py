"""The SDK's alert calls: the alert history and alert-rule CRUD (a mixin of ``Client``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from driftline.client._alert_results import AlertEvent, AlertRule
from driftline.client._api import ApiBase
from driftline.client._util import iso, quote_name

__all__ = ["AlertsMixin"]


def _body(rule: AlertRule | Mapping[str, Any]) -> dict[str, Any]:
    return rule.to_dict() if isinstance(rule, AlertRule) else dict(rule)


class AlertsMixin(ApiBase):
    """Alert history and rules of the client's project."""

    def _rule_path(self, rule_id: str) -> str:
        return f"{self._project_path()}/alert-rules/{quote_name(rule_id)}"

    def alerts(
        self,
        *,
        status: str | None = None,
        model: str | None = None,
        since: datetime | str | None = None,
        limit: int = 100,
    ) -> list[AlertEvent]:
        """Alert history of the project, newest first: ``status`` ``"firing"`` or
        ``"resolved"``, ``model`` a model name, ``since`` fired at or after."""
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
        path = f"{self._project_path()}/alerts"
        return self._many(AlertEvent.from_dict, path, key="alerts", params=params)

    def alert_rules(self) -> list[AlertRule]:
        """The project's alert rules (channel secrets are never returned: ``has_secret``)."""
        path = f"{self._project_path()}/alert-rules"
        return self._many(AlertRule.from_dict, path, key="rules")

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
    ) -> AlertRule:
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
        path = f"{self._project_path()}/alert-rules"
        return self._one(AlertRule.from_dict, "POST", path, json=body)

    def alert_rule(self, rule_id: str) -> AlertRule:
        """One alert rule, as :meth:`alert_rules` shows it."""
        return self._one(AlertRule.from_dict, "GET", self._rule_path(rule_id))

    def update_alert_rule(self, rule_id: str, changes: AlertRule | Mapping[str, Any]) -> AlertRule:
        """Change some fields of an alert rule (PATCH): ``changes`` is a mapping of the
        fields to change, or a whole :class:`AlertRule` (every field is sent).

        ``channels`` replaces the channel list; channels may be sent back as
        :meth:`alert_rule` shows them: a masked URL keeps the real one, a channel without
        ``secret`` keeps its secret, ``"secret": None`` removes it. Setting
        ``allow_private`` needs an admin token.
        """
        return self._one(
            AlertRule.from_dict, "PATCH", self._rule_path(rule_id), json=_body(changes),
            idempotent=True,
        )  # fmt: skip

    def replace_alert_rule(self, rule_id: str, rule: AlertRule | Mapping[str, Any]) -> AlertRule:
        """Replace an alert rule (PUT) with ``rule``, e.g. what :meth:`alert_rule` returned,
        edited (``dataclasses.replace(rule, enabled=False)``): secrets and masked URLs are
        kept as :meth:`update_alert_rule` explains."""
        return self._one(AlertRule.from_dict, "PUT", self._rule_path(rule_id), json=_body(rule))

    def delete_alert_rule(self, rule_id: str) -> None:
        """Delete an alert rule."""
        self._send("DELETE", self._rule_path(rule_id))
