"""Policy parsing: validation messages name the field, the line and what is allowed."""

from __future__ import annotations

from typing import Any, Literal

import pytest

import driftline.gate as gate
from driftline.exceptions import PolicyError
from driftline.gate import CheckOutcome, CheckSpec, Policy, check_kinds, register_check
from driftline.gate._registry import _REGISTRY


def _error(text: str) -> str:
    with pytest.raises(PolicyError) as info:
        Policy.from_yaml(text, source="p.yaml")
    return str(info.value)


def test_exports_are_exactly_the_public_set() -> None:
    public = {n for n in dir(gate) if not n.startswith("_")}
    assert set(gate.__all__) == public - {"annotations"}


def test_wrong_type_names_field_line_and_value() -> None:
    text = "target: y\nchecks:\n  - kind: metric\n    metric: roc_auc\n    min: high\n"
    msg = _error(text)
    assert msg.startswith("p.yaml, line 5, checks[0].min:")
    assert "valid number" in msg
    assert "'high'" in msg


def test_bad_literal_lists_allowed_values() -> None:
    text = (
        "checks:\n  - kind: metric\n    metric: roc_auc\n    min: 0.8\n"
        "  - kind: calibration\n    max_ece: 0.1\n    severity: fatal\n"
    )
    msg = _error(text)
    assert msg.startswith("p.yaml, line 7, checks[1].severity:")
    assert "'fail' or 'warn'" in msg


def test_unknown_kind_lists_registered_kinds() -> None:
    msg = _error("checks:\n  - kind: metrics\n")
    assert "line 2, checks[0].kind: unknown check kind 'metrics'" in msg
    for kind in ("metric", "champion", "slices", "drift", "latency"):
        assert kind in msg


def test_unknown_field_lists_allowed_fields() -> None:
    msg = _error("checks:\n  - kind: champion\n    metric: f1\n    margn: 0.01\n")
    assert "line 4, checks[0].margn: unknown field; allowed fields:" in msg
    assert "margin" in msg


def test_nested_unknown_field_lists_the_nested_model_fields() -> None:
    text = "checks:\n  - kind: data_contract\n    columns:\n      age: {type: numeric, mn: 0}\n"
    msg = _error(text)
    assert "line 4, checks[0].columns.age.mn: unknown field" in msg
    assert "max_missing_rate" in msg


def test_unknown_top_level_field_and_out_of_range_value() -> None:
    assert _error("target: y\ntargte: y\n").startswith("p.yaml, line 2, targte: unknown field")
    msg = _error("confidence: 1.5\n")
    assert msg.startswith("p.yaml, line 1, confidence:")
    assert "less than 1" in msg


def test_model_validator_errors_point_at_the_check() -> None:
    msg = _error("checks:\n  - kind: metric\n    metric: f1\n    min: 0.5\n    max: 0.9\n")
    assert msg.startswith("p.yaml, line 2, checks[0]:")
    assert "exactly one of 'min' or 'max'" in msg


def test_yaml_syntax_error_has_line() -> None:
    msg = _error("target: y\nchecks: [\n  - kind: metric\n")
    assert msg.startswith("p.yaml, line")
    assert "invalid YAML" in msg


def test_non_mapping_and_missing_required_field() -> None:
    assert "must be a mapping" in _error("- a\n- b\n")
    msg = _error("checks:\n  - kind: calibration\n")
    assert "checks[0].max_ece: this field is required" in msg


def test_example_policy_is_valid_and_covers_every_builtin_kind() -> None:
    policy = Policy.from_yaml(gate.example_policy())
    assert {c.kind for c in policy.checks} == set(check_kinds())
    assert policy.target == "churned"


def test_from_dict_and_load_policy(tmp_path: Any) -> None:
    raw = {"target": "y", "checks": [{"kind": "metric", "metric": "f1", "min": 0.7}]}
    p = Policy.from_dict(raw)
    assert p.checks[0].label == "f1 >= 0.7"
    path = tmp_path / "g.yaml"
    path.write_text("target: y\n")
    assert gate.load_policy(path).target == "y"
    assert gate.load_policy(p) is p
    with pytest.raises(PolicyError, match="does not exist"):
        gate.load_policy(tmp_path / "nope.yaml")


def test_policy_digest_is_the_sha256_of_the_text() -> None:
    import hashlib

    text = "target: y\n"
    assert Policy.from_yaml(text).digest == hashlib.sha256(text.encode()).hexdigest()


def test_register_check_adds_a_kind_usable_in_policies() -> None:
    @register_check("always_warn")
    class AlwaysWarn(CheckSpec):
        kind: Literal["always_warn"] = "always_warn"
        level: int = 1

        def evaluate(self, ctx: Any) -> CheckOutcome:
            return CheckOutcome(False, float(self.level), 0.0, "<=", "always")

    try:
        p = Policy.from_yaml("checks:\n  - kind: always_warn\n    level: 3\n")
        assert isinstance(p.checks[0], AlwaysWarn)
        assert "always_warn" in check_kinds()
    finally:
        _REGISTRY.pop("always_warn")
    assert "always_warn" not in check_kinds()


def test_register_check_rejects_non_specs() -> None:
    from driftline.exceptions import ParameterError

    with pytest.raises(ParameterError, match="CheckSpec subclasses"):
        register_check("bad")(int)  # type: ignore[type-var]
    with pytest.raises(ParameterError, match="identifier"):
        register_check("not a name")


def test_short_forms_expand_to_metric_and_champion_checks() -> None:
    text = (
        "checks:\n"
        "  - roc_auc >= 0.80\n"
        "  - f1 >= champion - 0.01\n"
        "  - log_loss <= champion + 0.02\n"
        '  - {expr: "brier <= 0.2", severity: warn}\n'
        "  - accuracy >= champion\n"
    )
    checks = Policy.from_yaml(text).checks
    assert [(c.kind, c.label) for c in checks] == [
        ("metric", "roc_auc >= 0.8"),
        ("champion", "f1 >= champion - 0.01"),
        ("champion", "log_loss <= champion + 0.02"),
        ("metric", "brier <= 0.2"),
        ("champion", "accuracy >= champion - 0"),
    ]
    assert checks[3].severity == "warn"
    assert checks[1].margin == 0.01  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("item", "where"),
    [
        ("roc_auc > 0.8", "line 3, checks[1]: cannot read 'roc_auc > 0.8'"),
        ("f1 <= champion + 0.01", "line 3, checks[1]: cannot read"),  # wrong direction
        ('{expr: "f1 >= champion - x"}', "line 3, checks[1].expr: cannot read"),
        ("aucc >= 0.8", "line 3, checks[1].metric: Unknown metric 'aucc'; did you mean 'roc_auc'?"),
    ],
)
def test_short_form_errors(item: str, where: str) -> None:
    msg = _error(f"checks:\n  - roc_auc >= 0.8\n  - {item}\n")
    assert where in msg
