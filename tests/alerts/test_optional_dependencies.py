"""On a core install (no httpx, no SQLAlchemy) rules, their evaluation, the channel registry,
signatures and ``store.VersionSchema`` import and work; the parts that need an extra fail
with ``MissingDependencyError`` and the install hint when used, not at import.

The core install is simulated in a fresh interpreter by a meta-path finder that refuses to
import ``httpx``, ``sqlalchemy`` and ``alembic``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

BLOCKER = textwrap.dedent(
    """
    import sys

    class Block:
        BLOCKED = ("httpx", "sqlalchemy", "alembic")

        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in self.BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r} (blocked)", name=name)
            return None

    sys.meta_path.insert(0, Block())
    for loaded in [m for m in sys.modules if m.split(".")[0] in Block.BLOCKED]:
        del sys.modules[loaded]
    """
)


def _run(code: str) -> dict[str, object]:
    script = BLOCKER + textwrap.dedent(code)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_rules_evaluation_registry_and_signatures_work_without_httpx_and_sqlalchemy() -> None:
    result = _run(
        """
        import json
        from driftline.alerts import (
            EvaluationContext, RuleSpec, WebhookChannel, channel_types, evaluate, sign_body,
            verify_signature,
        )
        from driftline.store import VersionSchema
        from driftline.testing import check_notifier  # importable; it needs httpx only to run

        spec = RuleSpec.from_api({
            "name": "auc", "kind": "realized_metric",
            "config": {"metric": "roc_auc", "op": "<", "threshold": 0.7, "min_labels": 1},
            "channels": [{"type": "slack", "url": "https://hooks.slack.com/services/T/B/X",
                          "secret": None},
                         {"type": "webhook", "url": "https://h.example/x", "secret": "s" * 16}],
        })
        results = {"window": {"key": 1, "status": "closed"},
                   "realized": {"n_labels": 5, "metrics": {"roc_auc": {"value": 0.6}}}}
        firing = evaluate(spec, results, EvaluationContext(version_id="v"))
        signature = sign_body("s" * 16, b"{}", 1700000000)
        print(json.dumps({
            "message": firing.message,
            "channels": list(channel_types()),
            "shown": spec.public_dict()["channels"][0]["url"],
            "verified": verify_signature("s" * 16, b"{}", "1700000000", signature,
                                         now=1700000000),
            "schema": VersionSchema({"x": "numeric"}).to_dict()["features"],
            "blocked": [m for m in ("httpx", "sqlalchemy") if m in __import__("sys").modules],
        }))
        """
    )
    assert result == {
        "message": "realized roc_auc 0.60 < 0.70 on 5 labels in window #1",
        "channels": ["retrain", "slack", "webhook"],
        "shown": "https://hooks.slack.com/***",
        "verified": True,
        "schema": {"x": "numeric"},
        "blocked": [],
    }


def test_parts_that_need_an_extra_say_which_when_used() -> None:
    result = _run(
        """
        import json
        from driftline.exceptions import MissingDependencyError

        found = {}

        def attempt(label, action):
            try:
                action()
            except MissingDependencyError as exc:
                found[label] = str(exc)
            else:
                found[label] = "no error"

        import driftline.alerts as alerts
        import driftline.store as store
        from driftline.alerts import WebhookChannel, get_channel_type, default_notifiers

        attempt("HttpPoster", lambda: alerts.HttpPoster)
        attempt("AlertEngine", lambda: alerts.AlertEngine)
        attempt("default_notifiers", default_notifiers)
        attempt("webhook notifier", lambda: get_channel_type("webhook").notifier())
        attempt("Catalog", lambda: store.Catalog)
        print(json.dumps(found))
        """
    )
    hint = "pip install 'driftline[serve]'"
    assert set(result) == {
        "HttpPoster", "AlertEngine", "default_notifiers", "webhook notifier", "Catalog",
    }  # fmt: skip
    for label, message in result.items():
        assert hint in str(message), (label, message)
    assert "'httpx'" in str(result["HttpPoster"])
    assert "'sqlalchemy'" in str(result["AlertEngine"])
    assert "'httpx'" in str(result["webhook notifier"])
