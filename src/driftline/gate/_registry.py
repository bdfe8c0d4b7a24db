"""The registry of check kinds: a check is a pydantic spec class with an ``evaluate`` method."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from driftline.exceptions import ParameterError

if TYPE_CHECKING:
    from driftline.gate._context import GateContext

__all__ = [
    "CheckOutcome",
    "CheckSpec",
    "check_kinds",
    "get_check",
    "register_check",
]

Direction = Literal[">=", "<=", ">", "<"]


@dataclass(frozen=True)
class CheckOutcome:
    """What one check found: the observed value against the threshold, and why.

    ``ci_low``/``ci_high`` is the interval reported next to the observed value (``None``
    when the check has none); ``passed`` is the decision before the severity is applied.
    ``evaluated`` is False when the check could not be decided on these inputs (no slice
    large enough, an undefined metric): the report shows it as ``not_evaluated``, never
    as a pass.

    >>> CheckOutcome(True, 0.91, 0.8, ">=", "roc_auc 0.9100 >= 0.8").passed
    True
    >>> CheckOutcome.not_evaluated("no slice has 100 rows", 0.7, ">=").evaluated
    False
    """

    passed: bool
    observed: float | None
    threshold: float | None
    direction: Direction
    reason: str
    ci_low: float | None = None
    ci_high: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    evaluated: bool = True

    @classmethod
    def not_evaluated(
        cls,
        reason: str,
        threshold: float | None = None,
        direction: Direction = ">=",
        details: dict[str, Any] | None = None,
    ) -> CheckOutcome:
        """The outcome of a check that could not be decided on these inputs."""
        return cls(False, None, threshold, direction, f"not evaluated: {reason}",
                   details=details or {}, evaluated=False)  # fmt: skip


class CheckSpec(BaseModel):
    """Base class of every check kind in a policy (a validated, frozen pydantic model).

    Subclasses declare ``kind: Literal["..."]`` and their own fields, and implement
    :meth:`evaluate`; :func:`register_check` makes the kind available to policies.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: True for checks that measure this machine (latency, memory): two runs may differ.
    measured: ClassVar[bool] = False

    kind: str
    name: str | None = Field(default=None, description="A label for the report.")
    severity: Literal["fail", "warn"] = Field(
        default="fail", description="fail: a violation fails the gate; warn: it is reported."
    )

    @property
    def label(self) -> str:
        """The check's name, or a description built from its fields."""
        return self.name or self.describe()

    def describe(self) -> str:
        """A short default name, e.g. ``metric roc_auc >= 0.8``."""
        return self.kind

    def evaluate(self, ctx: GateContext) -> CheckOutcome:
        """Run the check on the gate's context."""
        raise NotImplementedError(f"Check kind {self.kind!r} does not implement evaluate().")


_REGISTRY: dict[str, type[CheckSpec]] = {}

S = TypeVar("S", bound=type[CheckSpec])


def register_check(kind: str) -> Callable[[S], S]:
    """Class decorator registering a :class:`CheckSpec` subclass under ``kind``.

    The class must declare ``kind: Literal["<kind>"]``. Registering a kind twice
    replaces the earlier class (so a plugin can override a built-in check).

    >>> from typing import Literal
    >>> @register_check("always_pass")
    ... class AlwaysPass(CheckSpec):
    ...     kind: Literal["always_pass"] = "always_pass"
    ...     def evaluate(self, ctx):
    ...         return CheckOutcome(True, None, None, ">=", "nothing to check")
    >>> "always_pass" in check_kinds()
    True
    >>> _ = _REGISTRY.pop("always_pass")
    """
    if not isinstance(kind, str) or not kind.isidentifier():
        raise ParameterError(f"A check kind must be an identifier string; got {kind!r}.")

    def decorator(cls: S) -> S:
        if not (isinstance(cls, type) and issubclass(cls, CheckSpec)):
            raise ParameterError(
                f"register_check({kind!r}) decorates CheckSpec subclasses; got {cls!r}."
            )
        _REGISTRY[kind] = cls
        return cls

    return decorator


def check_kinds() -> tuple[str, ...]:
    """The registered check kinds, sorted.

    >>> "metric" in check_kinds()
    True
    """
    import driftline.gate._checks  # noqa: F401  (registers the built-in kinds)

    return tuple(sorted(_REGISTRY))


def get_check(kind: str) -> type[CheckSpec]:
    """The spec class registered under ``kind``; ``KeyError`` when there is none."""
    check_kinds()
    return _REGISTRY[kind]


def fmt(value: float | None) -> str:
    """Compact number for reasons and tables (``-`` for missing, 4 significant digits,
    written as people write numbers: ``52,270``, not ``5.227e+04``)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    from driftline.report import format_number

    return format_number(value, digits=4)
