"""RuleSpec: per-kind config validation, channels, secrets, row conversion, patches."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from driftline.alerts import RuleSpec, WebhookChannel
from driftline.alerts._spec import (
    DataQualityConfig,
    DriftConfig,
    EstimatedMetricConfig,
    RealizedMetricConfig,
    VolumeDropConfig,
)
from driftline.exceptions import ParameterError
from driftline.metrics import METRICS

SECRET = "s3cr3t-0123456789abcdef"


def _rule(kind: str, config: Any, **kw: Any) -> RuleSpec:
    return RuleSpec.model_validate({"name": "r", "kind": kind, "config": config, **kw})


@pytest.mark.parametrize(
    ("kind", "config", "expected"),
    [
        ("drift", {}, DriftConfig(columns=None, min_drifted=1)),
        ("drift", None, DriftConfig()),
        ("drift", {"columns": ["a", "b"], "min_drifted": 2}, DriftConfig(columns=["a", "b"], min_drifted=2)),
        ("estimated_metric", {"metric": "roc_auc"}, EstimatedMetricConfig(metric="roc_auc", below_band=True, threshold=None)),
        ("realized_metric", {"metric": "f1", "op": "<=", "threshold": 0.5},
         RealizedMetricConfig(metric="f1", op="<=", threshold=0.5, min_labels=100)),
        ("data_quality", {}, DataQualityConfig(checks=None, min_severity="error")),
        ("volume_drop", {}, VolumeDropConfig(fraction=0.5, baseline_windows=24, min_baseline=3)),
    ],
)  # fmt: skip
def test_defaults_per_kind(kind: str, config: Any, expected: Any) -> None:
    spec = _rule(kind, config)
    assert spec.config == expected
    assert spec.cooldown_seconds == 3600
    assert spec.enabled is True
    assert spec.model is None
    assert spec.channels == []


@pytest.mark.parametrize(
    ("kind", "config", "loc", "fragment"),
    [
        ("estimated_metric", {"metric": "auc"}, "config.metric", "must be one of ['roc_auc'"),
        ("estimated_metric", {}, "config.metric", "Field required"),
        ("estimated_metric", {"metric": "f1", "below_band": False}, "config", "could never fire"),
        ("estimated_metric", {"metric": "f1", "threshold": float("nan")}, "config.threshold", "finite"),
        ("realized_metric", {"metric": "f1", "op": "=", "threshold": 0.5}, "config.op", "'<', '<=', '>' or '>='"),
        ("realized_metric", {"metric": "f1", "op": "<"}, "config.threshold", "Field required"),
        ("realized_metric", {"metric": "f1", "op": "<", "threshold": 1, "min_labels": 0}, "config.min_labels", "greater than or equal to 1"),
        ("drift", {"columns": []}, "config.columns", "non-empty list"),
        ("drift", {"columns": ["a"], "min_drifted": 2}, "config", "cannot exceed the number of listed columns"),
        ("drift", {"column": ["a"]}, "config.column", "Extra inputs are not permitted"),
        ("data_quality", {"min_severity": "info"}, "config.min_severity", "'warning' or 'error'"),
        ("volume_drop", {"fraction": 0}, "config.fraction", "greater than 0"),
        ("volume_drop", {"fraction": 1.5}, "config.fraction", "less than or equal to 1"),
        ("volume_drop", {"baseline_windows": 2, "min_baseline": 3}, "config", "cannot exceed 'baseline_windows'"),
    ],
)  # fmt: skip
def test_validation_errors_name_the_field_and_allowed_values(
    kind: str, config: dict[str, Any], loc: str, fragment: str
) -> None:
    with pytest.raises(ValidationError) as info:
        _rule(kind, config)
    errors = info.value.errors()
    locs = [".".join(str(p) for p in e["loc"]) for e in errors]
    assert loc in locs, locs
    assert any(fragment in e["msg"] for e in errors), [e["msg"] for e in errors]
    with pytest.raises(ParameterError) as one_line:
        RuleSpec.from_dict({"name": "r", "kind": kind, "config": config})
    assert str(one_line.value).startswith("Invalid alert rule: ")
    assert loc in str(one_line.value)
    assert "\n" not in str(one_line.value)


def test_unknown_kind_lists_the_kinds() -> None:
    with pytest.raises(ParameterError) as info:
        RuleSpec.from_dict({"name": "r", "kind": "latency", "config": {}})
    message = str(info.value)
    for kind in (
        "'drift'",
        "'estimated_metric'",
        "'realized_metric'",
        "'data_quality'",
        "'volume_drop'",
    ):
        assert kind in message
    assert "config: cannot be validated because 'kind' is invalid" in message


def test_estimated_metric_names_are_the_estimable_ones() -> None:
    estimable = [name for name, spec in METRICS.items() if spec.estimable]
    assert {"roc_auc", "accuracy", "mae"} <= set(estimable)
    for metric in estimable:
        assert _rule("estimated_metric", {"metric": metric}).config.metric == metric  # type: ignore[union-attr]
    with pytest.raises(ValidationError):
        _rule("estimated_metric", {"metric": "r2"})  # realized only
    assert (
        _rule("realized_metric", {"metric": "r2", "op": "<", "threshold": 0.1}).kind
        == "realized_metric"
    )


def test_unknown_channel_type_lists_the_types() -> None:
    with pytest.raises(ParameterError) as info:
        RuleSpec.from_dict({"name": "r", "kind": "drift", "config": {},
                            "channels": [{"type": "email", "url": "https://8.8.8.8/"}]})  # fmt: skip
    assert "'retrain', 'slack', 'webhook'" in str(info.value)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("file:///etc/passwd", "Only http and https"),
        ("ftp://example.com/x", "Only http and https"),
        ("http://127.0.0.1/x", "loopback address"),
        ("http://169.254.169.254/", "link-local address"),
        ("http://[::1]/", "loopback address"),
        ("http://localhost:8080/", "points at localhost"),
    ],
)
def test_channel_urls_are_checked_when_the_rule_is_saved(url: str, fragment: str) -> None:
    with pytest.raises(ParameterError, match=fragment):
        RuleSpec.from_dict({"name": "r", "kind": "drift", "config": {},
                            "channels": [{"type": "webhook", "url": url}]})  # fmt: skip


def test_allow_private_whatever_the_key_order() -> None:
    for channel in (
        {"allow_private": True, "type": "webhook", "url": "http://127.0.0.1:9/x"},
        {"type": "webhook", "url": "http://127.0.0.1:9/x", "allow_private": True},
    ):
        spec = _rule("drift", {}, channels=[channel])
        assert spec.channels[0].url == "http://127.0.0.1:9/x"


def test_short_secret_is_refused() -> None:
    with pytest.raises(ParameterError, match="at least 16 characters"):
        RuleSpec.from_dict({"name": "r", "kind": "drift", "config": {},
                            "channels": [{"type": "webhook", "url": "https://8.8.8.8/", "secret": "short"}]})  # fmt: skip


def _full() -> RuleSpec:
    return _rule(
        "estimated_metric",
        {"metric": "roc_auc", "threshold": 0.7},
        model="churn",
        cooldown_seconds=600,
        enabled=False,
        channels=[
            {"type": "webhook", "url": "https://hooks.example.com/a?token=abc", "secret": SECRET},
            {"type": "slack", "url": "https://hooks.slack.com/services/T0/B0/XYZ"},
            {"type": "retrain", "url": "https://ml.example.com/retrain", "secret": SECRET},
        ],
    )


def test_public_dict_never_contains_secrets() -> None:
    public = _full().public_dict()
    text = repr(public)
    assert SECRET not in text
    assert "XYZ" not in text  # Slack webhook URLs are credentials
    assert "token=abc" not in text
    assert [c["has_secret"] for c in public["channels"] if "has_secret" in c] == [True, True]
    assert public["config"] == {"metric": "roc_auc", "below_band": True, "threshold": 0.7}
    assert SECRET not in _full().model_dump_json()


def test_row_round_trip_keeps_everything() -> None:
    spec = _full()
    row = spec.to_row("project-1", "model-1")
    assert row.config["channels"][0]["secret"] == SECRET
    assert row.config["metric"] == "roc_auc"
    assert (row.kind, row.enabled, row.cooldown_seconds) == ("estimated_metric", False, 600)
    assert RuleSpec.from_row(row, "churn") == spec


def test_to_row_needs_the_model_id_exactly_when_a_model_is_named() -> None:
    with pytest.raises(ParameterError, match="model_id"):
        _full().to_row("p", None)
    with pytest.raises(ParameterError, match="model_id"):
        _rule("drift", {}).to_row("p", "m")


def test_patch_keeps_secrets_and_masked_urls() -> None:
    spec = _full()
    shown = spec.public_dict()["channels"]
    patched = spec.patched({"enabled": True, "channels": shown})
    assert patched.enabled is True
    assert [c.url for c in patched.channels] == [c.url for c in spec.channels]
    assert [c.secret_value() for c in patched.channels] == [c.secret_value() for c in spec.channels]
    cleared = spec.patched({"channels": [{**shown[0], "secret": None}]})
    assert cleared.channels[0].secret_value() is None


def test_patch_rules() -> None:
    spec = _full()
    with pytest.raises(ParameterError, match="needs a new 'config'"):
        spec.patched({"kind": "drift"})
    assert spec.patched({"kind": "drift", "config": {}}).kind == "drift"
    with pytest.raises(ParameterError, match="unknown field"):
        spec.patched({"severity": "high"})
    with pytest.raises(ParameterError, match=r"config\.metric"):
        spec.patched({"config": {"metric": "nope"}})


def test_channel_fingerprint_is_stable_and_hides_the_url() -> None:
    a = WebhookChannel(url="https://hooks.example.com/a", secret=SECRET)
    b = WebhookChannel(url="https://hooks.example.com/a")
    assert a.fingerprint() == b.fingerprint()
    assert a.fingerprint() != WebhookChannel(url="https://hooks.example.com/b").fingerprint()
    assert "hooks" not in a.fingerprint()
