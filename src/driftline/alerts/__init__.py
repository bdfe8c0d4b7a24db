"""Alert rules, dedupe and cooldown, and notifiers (webhook, Slack-compatible, retrain hook).

Needs the ``serve`` extra (SQLAlchemy for the store, httpx for delivery):
``pip install 'driftline[serve]'``.

>>> from driftline.alerts import EvaluationContext, RuleSpec, evaluate
>>> rule = RuleSpec(name="auc", kind="realized_metric",
...                 config={"metric": "roc_auc", "op": "<", "threshold": 0.7, "min_labels": 50})
>>> results = {"window": {"key": 3, "start": None, "end": None, "status": "closed"},
...            "realized": {"n_labels": 400, "metrics": {"roc_auc": {"value": 0.64,
...                                                                 "lower": 0.6, "upper": 0.68}}}}
>>> evaluate(rule, results, EvaluationContext(version_id="v")).message
'realized roc_auc 0.64 < 0.70 on 400 labels in window #3'
"""

from driftline._deps import require as _require

_require("sqlalchemy", extra="serve")
_require("httpx", extra="serve")

from driftline.alerts._engine import GAVE_UP, AlertEngine, DeliveryStats  # noqa: E402
from driftline.alerts._errors import DeliveryError, UnsafeURLError  # noqa: E402
from driftline.alerts._evaluate import (  # noqa: E402
    Evaluation,
    EvaluationContext,
    Firing,
    check_rule,
    evaluate,
)
from driftline.alerts._guard import CheckedURL, address_problem, check_url  # noqa: E402
from driftline.alerts._http import (  # noqa: E402
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    HttpPoster,
    sign_body,
    verify_signature,
)
from driftline.alerts._notifiers import (  # noqa: E402
    Notification,
    Notifier,
    RetrainNotifier,
    SlackNotifier,
    WebhookNotifier,
    default_notifiers,
)
from driftline.alerts._repository import (  # noqa: E402
    EVENT_STATUSES,
    AlertRepository,
    event_to_dict,
)
from driftline.alerts._spec import (  # noqa: E402
    ESTIMATED_METRICS,
    KINDS,
    LOWER_IS_BETTER,
    REALIZED_METRICS,
    Channel,
    DataQualityConfig,
    DriftConfig,
    EstimatedMetricConfig,
    RealizedMetricConfig,
    RetrainChannel,
    RuleConfig,
    RuleSpec,
    SlackChannel,
    StoredRule,
    VolumeDropConfig,
    WebhookChannel,
    format_validation_error,
)

__all__ = [
    "ESTIMATED_METRICS",
    "EVENT_STATUSES",
    "GAVE_UP",
    "KINDS",
    "LOWER_IS_BETTER",
    "REALIZED_METRICS",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "AlertEngine",
    "AlertRepository",
    "Channel",
    "CheckedURL",
    "DataQualityConfig",
    "DeliveryError",
    "DeliveryStats",
    "DriftConfig",
    "EstimatedMetricConfig",
    "Evaluation",
    "EvaluationContext",
    "Firing",
    "HttpPoster",
    "Notification",
    "Notifier",
    "RealizedMetricConfig",
    "RetrainChannel",
    "RetrainNotifier",
    "RuleConfig",
    "RuleSpec",
    "SlackChannel",
    "SlackNotifier",
    "StoredRule",
    "UnsafeURLError",
    "VolumeDropConfig",
    "WebhookChannel",
    "WebhookNotifier",
    "address_problem",
    "check_rule",
    "check_url",
    "default_notifiers",
    "evaluate",
    "event_to_dict",
    "format_validation_error",
    "sign_body",
    "verify_signature",
]
