"""The monitor's alert step: evaluate rules on freshly computed windows, deliver events."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from driftline.monitor._failures import RateLimitedLog, one_line
from driftline.monitor._stats import MonitorStats
from driftline.store import session_factory

if TYPE_CHECKING:
    from driftline.alerts import AlertEngine

__all__ = ["AlertStep"]

logger = logging.getLogger("driftline.monitor")


class AlertStep:
    """Evaluates alert rules for computed windows and delivers due notifications.

    The alert engine is created on first use; without ``driftline.alerts`` the step warns
    once and does nothing.
    """

    def __init__(self, engine: Engine, clock: Callable[[], datetime], log: RateLimitedLog) -> None:
        self.engine = engine
        self.clock = clock
        self.log = log
        self._alert_engine: AlertEngine | None = None
        self._unavailable = False

    def alert_engine(self) -> AlertEngine | None:
        """The alert engine (None when ``driftline.alerts`` is not available)."""
        if self._alert_engine is None and not self._unavailable:
            try:
                from driftline.alerts import AlertEngine
            except ImportError:
                self._unavailable = True
                logger.warning(
                    "driftline.alerts.AlertEngine is not available: window results are "
                    "computed but no alert rules are evaluated"
                )
                return None
            self._alert_engine = AlertEngine(session_factory(self.engine), clock=self.clock)
        return self._alert_engine

    def run(self, computed: list[tuple[str, str]], stats: MonitorStats) -> None:
        """Evaluate the rules for each (version id, window id), then deliver what is due."""
        engine = self.alert_engine()
        if engine is None:
            return
        for version_id, window_id in computed:
            try:
                events = engine.evaluate_window(version_id, window_id)
                stats.alert_events += len(events)
            except Exception as exc:  # one rule's failure must not stop the others
                stats.errors += 1
                self.log.warning(
                    "evaluating alert rules for window %s failed: %s", window_id, one_line(exc)
                )
                logger.debug("evaluating alert rules for window %s failed", window_id, exc_info=exc)
        try:
            delivery = engine.deliver_pending()
            stats.notifications_delivered += int(delivery.delivered)
            stats.notifications_failed += int(delivery.failed) + int(delivery.gave_up)
        except Exception as exc:
            stats.errors += 1
            self.log.warning("delivering alert notifications failed: %s", one_line(exc))
            logger.debug("delivering alert notifications failed", exc_info=exc)
