"""One notifier per registered channel type, sharing one :class:`HttpPoster`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from driftline.alerts._channels._common import default_poster
from driftline.alerts._registry import Notifier, channel_types, get_channel_type

if TYPE_CHECKING:
    from driftline.alerts._http import HttpPoster

__all__ = ["default_notifiers"]


def default_notifiers(poster: HttpPoster | None = None) -> dict[str, Notifier]:
    """A notifier for every registered channel type, sharing ``poster`` (default settings
    if None; needs httpx, ``pip install 'driftline[serve]'``).

    >>> sorted(default_notifiers())
    ['retrain', 'slack', 'webhook']
    """
    shared = poster if poster is not None else default_poster()
    return {name: get_channel_type(name).notifier(shared) for name in channel_types()}
