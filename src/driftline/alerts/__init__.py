"""Alert rules, dedupe and cooldown, and notification channels (webhook, Slack, retrain hook).

Rules, their evaluation, the channel registry and signature checks need only the core
install. The repository and the engine need SQLAlchemy, delivery needs httpx
(``pip install 'driftline[serve]'``); they are imported when first used, and say so with
:class:`~driftline.exceptions.MissingDependencyError` when the extra is missing.

>>> from driftline.alerts import EvaluationContext, RuleSpec, evaluate
>>> rule = RuleSpec(name="auc", kind="realized_metric",
...                 config={"metric": "roc_auc", "op": "<", "threshold": 0.7, "min_labels": 50})
>>> results = {"window": {"key": 3, "start": None, "end": None, "status": "closed"},
...            "realized": {"n_labels": 400, "metrics": {"roc_auc": {"value": 0.64,
...                                                                 "lower": 0.6, "upper": 0.68}}}}
>>> evaluate(rule, results, EvaluationContext(version_id="v")).message
'realized roc_auc 0.64 < 0.70 on 400 labels in window #3'
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING

from driftline._deps import lazy_getattr as _lazy_getattr
from driftline.alerts._channels._retrain import RetrainChannel
from driftline.alerts._channels._slack import SlackChannel
from driftline.alerts._channels._webhook import WebhookChannel
from driftline.alerts._evaluate import Evaluation, EvaluationContext, Firing, check_rule, evaluate
from driftline.alerts._notifiers import default_notifiers
from driftline.alerts._registry import (
    ChannelSpec,
    ChannelType,
    Notification,
    Notifier,
    SignedChannelSpec,
    channel_types,
    get_channel_type,
    register_channel,
)
from driftline.alerts._resolve import resolve_channels
from driftline.alerts._signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign_body,
    verify_signature,
)
from driftline.alerts._spec import KINDS, RuleSpec, StoredRule, format_validation_error

if _TYPE_CHECKING:
    from driftline.alerts._engine import AlertEngine, DeliveryStats
    from driftline.alerts._http import HttpPoster
    from driftline.alerts._repository import AlertRepository, event_to_dict

__all__ = [
    "KINDS",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "AlertEngine",
    "AlertRepository",
    "ChannelSpec",
    "ChannelType",
    "DeliveryStats",
    "Evaluation",
    "EvaluationContext",
    "Firing",
    "HttpPoster",
    "Notification",
    "Notifier",
    "RetrainChannel",
    "RuleSpec",
    "SignedChannelSpec",
    "SlackChannel",
    "StoredRule",
    "WebhookChannel",
    "channel_types",
    "check_rule",
    "default_notifiers",
    "evaluate",
    "event_to_dict",
    "format_validation_error",
    "get_channel_type",
    "register_channel",
    "resolve_channels",
    "sign_body",
    "verify_signature",
]

_SQL = ("sqlalchemy",)
__getattr__ = _lazy_getattr(
    __name__,
    {
        "AlertEngine": ("_engine", _SQL),
        "DeliveryStats": ("_engine", _SQL),
        "AlertRepository": ("_repository", _SQL),
        "event_to_dict": ("_repository", _SQL),
        "HttpPoster": ("_http", ("httpx",)),
    },
    extra="serve",
)
