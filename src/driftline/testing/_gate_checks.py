"""Conformance check for gate check kinds: run it on any :class:`~driftline.gate.CheckSpec`.

``check_gate_check`` raises ``AssertionError`` with a message naming the property that
failed, and returns ``None`` when all hold. Without inputs it checks the spec (registered
under its kind, frozen, unknown fields refused, a documented example, a one-line
description, a YAML round trip); with ``data`` and ``candidate`` it also runs the gate
with the check alone and checks the result (a known status, a reason, finite numbers, an
ordered interval, JSON without NaN, the same result twice (unless the kind sets
``measured = True``: latency, memory), a ``warn`` severity never
failing the gate, the input data left unchanged).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, NoReturn

import pandas as pd
import yaml
from pydantic import ValidationError

from driftline.gate import CheckResult, CheckSpec, Policy, check_kinds, run

__all__ = ["check_gate_check"]

_STATUSES = ("pass", "warn", "fail", "not_evaluated")
_DIRECTIONS = (">=", "<=", ">", "<")


def _fail(kind: str, prop: str, detail: str) -> NoReturn:
    raise AssertionError(f"gate check {kind!r}: {prop} does not hold: {detail}")


def _finite_or_none(value: object) -> bool:
    return value is None or (isinstance(value, int | float) and math.isfinite(value))


def _check_spec(check: CheckSpec) -> None:
    cls, kind = type(check), check.kind
    if kind not in check_kinds():
        _fail(kind, "registration", f"{kind!r} is not among check_kinds() {check_kinds()}")
    dump = check.model_dump()
    parsed = Policy.from_dict({"checks": [dump]}).checks[0]
    if type(parsed) is not cls:
        _fail(
            kind, "registration", f"the kind parses as {type(parsed).__name__}, not {cls.__name__}"
        )
    if parsed != check:
        _fail(kind, "dict round trip", f"{dump!r} parses back as {parsed!r}")
    text = yaml.safe_dump({"checks": [json.loads(json.dumps(dump))]}, sort_keys=False)
    if Policy.from_yaml(text).checks[0] != check:
        _fail(kind, "YAML round trip", f"the check does not survive YAML:\n{text}")
    if cls.model_fields["kind"].default != kind:
        _fail(
            kind,
            "kind default",
            f"the class's 'kind' defaults to {cls.model_fields['kind'].default!r}",
        )
    if cls.evaluate is CheckSpec.evaluate:
        _fail(kind, "evaluate", "the class does not implement evaluate()")
    doc = cls.__doc__ or ""
    if ">>>" not in doc:
        _fail(kind, "documentation", f"{cls.__name__}'s docstring has no example (>>>)")
    label = check.describe()
    if not isinstance(label, str) or not label.strip() or "\n" in label:
        _fail(kind, "describe", f"describe() must be one non-empty line; got {label!r}")
    try:
        check.model_validate({**dump, "no_such_field_": 1})
    except ValidationError:
        pass
    else:
        _fail(kind, "unknown fields refused", "a field 'no_such_field_' was accepted")
    try:
        setattr(check, "severity", check.severity)  # noqa: B010 - a frozen model refuses it
    except (ValidationError, TypeError, AttributeError):
        pass
    else:
        _fail(kind, "frozen", "a field could be assigned after validation")


def _check_result(kind: str, res: CheckResult, label: str) -> None:
    if res.status not in _STATUSES:
        _fail(kind, "status", f"{res.status!r} is not one of {_STATUSES}")
    if res.kind != kind or res.name != label:
        _fail(kind, "name and kind", f"got kind {res.kind!r}, name {res.name!r}")
    if not isinstance(res.reason, str) or not res.reason.strip():
        _fail(kind, "reason", f"every outcome needs a reason; got {res.reason!r}")
    if res.status == "not_evaluated" and not res.reason.startswith("not evaluated"):
        _fail(kind, "reason", f"a check not evaluated says so first; got {res.reason!r}")
    for name in ("observed", "threshold", "ci_low", "ci_high"):
        if not _finite_or_none(getattr(res, name)):
            _fail(kind, f"finite {name}", f"{name} = {getattr(res, name)!r} (use None)")
    if res.direction not in _DIRECTIONS:
        _fail(kind, "direction", f"{res.direction!r} is not one of {_DIRECTIONS}")
    if res.ci_low is not None and res.ci_high is not None and res.ci_low > res.ci_high:
        _fail(kind, "interval", f"ci_low {res.ci_low} > ci_high {res.ci_high}")
    try:
        json.dumps(res.to_dict(), allow_nan=False)
    except (TypeError, ValueError) as exc:
        _fail(kind, "JSON", f"to_dict() is not strict JSON: {exc}")


def check_gate_check(
    check: CheckSpec,
    *,
    data: Any = None,
    candidate: Any = None,
    champion: Any = None,
    train_data: Any = None,
    policy: Mapping[str, Any] | None = None,
) -> None:
    """Check that a gate check kind behaves like the built-in ones.

    ``check`` is an instance of the kind (with valid fields). Give ``data`` and
    ``candidate`` (and ``champion`` / ``train_data`` when the kind needs them, ``policy``
    for the other policy fields such as ``target``) to also run it through
    :func:`driftline.gate.run`.

    >>> from driftline.gate import MetricCheck
    >>> check_gate_check(MetricCheck(metric="roc_auc", min=0.8))
    """
    _check_spec(check)
    if data is None or candidate is None:
        return
    kind = check.kind
    before = data.copy(deep=True) if isinstance(data, pd.DataFrame) else None
    base = dict(policy or {})

    def once(severity: str) -> CheckResult:
        spec = {**check.model_dump(), "severity": severity}
        report = run({**base, "checks": [spec]}, candidate=candidate, data=data,
                     champion=champion, train_data=train_data)  # fmt: skip
        if len(report.checks) != 1:
            _fail(kind, "one result per check", f"got {len(report.checks)} results")
        return report.checks[0]

    first = once(check.severity)
    _check_result(kind, first, check.label)
    again = once(check.severity)
    _check_result(kind, again, check.label)
    same = (again.status, again.observed, again.threshold, again.reason)
    if not check.measured and same != (first.status, first.observed, first.threshold, first.reason):
        _fail(kind, "deterministic", f"two runs differ: {first.reason!r} vs {again.reason!r}")
    if check.severity == "fail" and first.status == "fail" and once("warn").status != "warn":
        _fail(kind, "severity", "with severity 'warn' a violation must be a warning")
    if before is not None and not before.equals(data):
        _fail(kind, "inputs unchanged", "evaluating the check modified the data frame")
