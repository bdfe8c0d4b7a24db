"""Every registered gate check kind passes ``driftline.testing.check_gate_check``.

The kinds come from the registry (``check_kinds()``) and their instances from the example
policy, which must show every kind: a new kind is tested without editing this file.
"""

from __future__ import annotations

from typing import Any, Literal

import pytest

from driftline.gate import CheckOutcome, CheckSpec, Policy, check_kinds, example_policy
from driftline.gate._registry import _REGISTRY, register_check
from driftline.testing import check_gate_check

from .conftest import FEATURES, fit_model, make_churn

EXAMPLE = {c.kind: c for c in Policy.from_yaml(example_policy()).checks}


def test_the_example_policy_shows_every_registered_kind() -> None:
    assert set(check_kinds()) == set(EXAMPLE)


@pytest.fixture(scope="module")
def inputs() -> dict[str, Any]:
    train, data = make_churn(3000, 1), make_churn(2000, 2)
    return {
        "data": data,
        "train_data": train,
        "candidate": fit_model(train, FEATURES),
        "champion": fit_model(train, ["plan", "gender"]),
        "policy": {"target": "churned", "n_resamples": 200},
    }


@pytest.mark.parametrize("kind", check_kinds())
def test_every_check_kind_conforms(kind: str, inputs: dict[str, Any]) -> None:
    check_gate_check(EXAMPLE[kind], **inputs)


class _Undocumented(CheckSpec):
    kind: Literal["undocumented_"] = "undocumented_"

    def evaluate(self, ctx: Any) -> CheckOutcome:
        return CheckOutcome(True, float("nan"), None, ">=", "")


def test_a_broken_kind_is_caught(inputs: dict[str, Any]) -> None:
    register_check("undocumented_")(_Undocumented)
    try:
        with pytest.raises(AssertionError, match="documentation"):
            check_gate_check(_Undocumented())
        _Undocumented.__doc__ = ">>> 1\n1"
        with pytest.raises(AssertionError, match=r"reason|finite observed"):
            check_gate_check(_Undocumented(), **inputs)
    finally:
        _REGISTRY.pop("undocumented_", None)
        _Undocumented.__doc__ = None
