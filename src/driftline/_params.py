"""Declarative parameter validation: one rule, one message format, for every public class.

A parameter's constraints are a list; the value must satisfy at least one of them.
A constraint is an :class:`Interval`, an :class:`Options`, an :class:`InstanceOf`,
:data:`BOOLEAN`, or ``None`` (the value ``None`` is allowed). The message names the
owner, the parameter, what is allowed and what was received, in the style of
scikit-learn's ``_param_validation``:

>>> from driftline._params import Interval, Options, check
>>> check("DriftDetector", "alpha", 0.01, Interval("real", 0, 1, closed="neither"))
0.01
>>> check("DriftDetector", "alpha", 1.5, Interval("real", 0, 1, closed="neither"))
Traceback (most recent call last):
...
driftline.exceptions.ParameterError: The 'alpha' parameter of DriftDetector must be a float in the range (0, 1). Got 1.5 instead.
>>> check("CBPE", "chunk_size", None, Interval("int", 1, None), None) is None
True
>>> check("DriftDetector", "correction", "fdr", Options("fdr_bh", "holm"))
Traceback (most recent call last):
...
driftline.exceptions.ParameterError: The 'correction' parameter of DriftDetector must be a str among {'fdr_bh', 'holm'}. Got 'fdr' instead. Did you mean 'fdr_bh'?

Classes declare their constraints once, as a class attribute that the generic test in
``tests/test_params.py`` reads to feed an invalid value to every parameter::

    class DriftDetector:
        _parameter_constraints: ClassVar[Constraints] = {
            "alpha": [Interval("real", 0, 1, closed="neither")],
            ...
        }
        def __init__(self, *, alpha=0.05, ...):
            validate(self, locals())

A dataclass calls ``validate(self)`` in ``__post_init__`` (its fields are read). A public
function declares its table with :func:`validate_params`, which checks the named arguments
on every call, before the body runs:

>>> from driftline._params import validate_params
>>> @validate_params({"n_bins": [Interval("int", 1, None)]})
... def histogram(values: list[float], *, n_bins: int = 10) -> int:
...     return n_bins
>>> histogram([1.0], n_bins=0)
Traceback (most recent call last):
...
driftline.exceptions.ParameterError: The 'n_bins' parameter of histogram must be an int in the range [1, inf). Got 0 instead.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import math
import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeAlias, TypeVar, cast

from driftline.exceptions import ParameterError

__all__ = [
    "BOOLEAN",
    "Constraint",
    "Constraints",
    "InstanceOf",
    "Interval",
    "Options",
    "check",
    "invalid",
    "invalid_value",
    "validate",
    "validate_params",
]

_F = TypeVar("_F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Interval:
    """A number of ``kind`` ``"int"`` or ``"real"`` between ``left`` and ``right``.

    ``None`` bounds are infinite. Booleans are never numbers here, NaN never satisfies
    an interval, and a ``"real"`` interval accepts ints (returned as ``float``).
    """

    kind: Literal["int", "real"]
    left: float | None
    right: float | None
    closed: Literal["left", "right", "both", "neither"] = "both"

    def accepts(self, value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
        if self.kind == "int" and not isinstance(value, numbers.Integral):
            return False
        number = float(value)
        if math.isnan(number):
            return False
        if self.left is not None:
            left_ok = number >= self.left if self.closed in ("left", "both") else number > self.left
            if not left_ok:
                return False
        elif math.isinf(number) and number < 0:
            return False
        if self.right is not None:
            closed_right = self.closed in ("right", "both")
            return number <= self.right if closed_right else number < self.right
        return not (math.isinf(number) and number > 0)

    def convert(self, value: Any) -> Any:
        return int(value) if self.kind == "int" else float(value)

    def __str__(self) -> str:
        kind = "an int" if self.kind == "int" else "a float"
        lo = "-inf" if self.left is None else _number(self.left)
        hi = "inf" if self.right is None else _number(self.right)
        left = "[" if self.closed in ("left", "both") and self.left is not None else "("
        right = "]" if self.closed in ("right", "both") and self.right is not None else ")"
        return f"{kind} in the range {left}{lo}, {hi}{right}"


@dataclass(frozen=True, init=False)
class Options:
    """One of a fixed set of values (strings, usually)."""

    values: tuple[Any, ...]

    def __init__(self, *values: Any) -> None:
        object.__setattr__(self, "values", tuple(values))

    def accepts(self, value: object) -> bool:
        return any(type(value) is type(v) and value == v for v in self.values)

    def convert(self, value: Any) -> Any:
        return value

    def suggestion(self, value: object) -> str | None:
        if not isinstance(value, str):
            return None
        names = [v for v in self.values if isinstance(v, str)]
        close = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
        return close[0] if close else None

    def __str__(self) -> str:
        kinds = {type(v).__name__ for v in self.values}
        kind = kinds.pop() if len(kinds) == 1 else "value"
        return f"a {kind} among {{{', '.join(repr(v) for v in self.values)}}}"


@dataclass(frozen=True)
class InstanceOf:
    """An instance of one of ``types``; ``description`` is what the message calls it."""

    types: tuple[type, ...]
    description: str

    def accepts(self, value: object) -> bool:
        if bool not in self.types and int in self.types and isinstance(value, bool):
            return False
        return isinstance(value, self.types)

    def convert(self, value: Any) -> Any:
        return bool(value) if self is BOOLEAN else value

    def __str__(self) -> str:
        return self.description


#: ``True`` or ``False`` (numpy booleans too), never 0 or 1.
BOOLEAN: Final = InstanceOf((bool,), "a bool")

Constraint: TypeAlias = Interval | Options | InstanceOf | None
Constraints: TypeAlias = Mapping[str, Sequence[Constraint]]


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _accepts(constraint: Constraint, value: object) -> bool:
    if constraint is None:
        return value is None
    if constraint is BOOLEAN:
        numpy_bool = type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_")
        return isinstance(value, bool) or numpy_bool
    return constraint.accepts(value)


def _describe(constraints: Sequence[Constraint]) -> str:
    parts = [str(c) for c in constraints if c is not None]
    if any(c is None for c in constraints):
        parts.append("None")
    if len(parts) <= 1:
        return parts[0] if parts else "nothing"
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def _owner_name(owner: object) -> str:
    if owner is None:
        return ""
    if isinstance(owner, str):
        return owner
    if isinstance(owner, type) or inspect.isroutine(owner):
        return str(getattr(owner, "__name__", type(owner).__name__))
    return type(owner).__name__


def check(owner: object, name: str, value: Any, *constraints: Constraint) -> Any:
    """``value`` (ints as ``int``, reals as ``float``) if it satisfies one of ``constraints``.

    ``owner`` is the class, instance or function name the message names; otherwise a
    :class:`~driftline.exceptions.ParameterError` says what is allowed and what came.
    """
    for constraint in constraints:
        if _accepts(constraint, value):
            return value if constraint is None else constraint.convert(value)
    hint = None
    for constraint in constraints:
        if isinstance(constraint, Options):
            close = constraint.suggestion(value)
            if close is not None:
                hint = f"Did you mean {close!r}?"
                break
    raise invalid(owner, name, value, _describe(constraints), hint)


def invalid(
    owner: object, name: str, value: Any, expected: str, hint: str | None = None
) -> ParameterError:
    """The error of a check no constraint expresses, in the same format (raise it).

    >>> raise invalid("DriftDetector", "columns", "age", "a list of column names")
    Traceback (most recent call last):
    ...
    driftline.exceptions.ParameterError: The 'columns' parameter of DriftDetector must be a list of column names. Got 'age' instead.
    """
    who = _owner_name(owner)
    of = f" of {who}" if who else ""
    message = f"The {name!r} parameter{of} must be {expected}. Got {value!r} instead."
    return ParameterError(message if hint is None else f"{message} {hint}")


def validate(owner: object, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Check every parameter of ``owner`` that its ``_parameter_constraints`` names.

    ``params`` is usually ``locals()`` in ``__init__``; names without constraints are
    ignored (``self``, data arguments). Without ``params`` the values are ``owner``'s
    attributes (a dataclass's ``__post_init__``). Returns the converted values by name.
    """
    table: Constraints = getattr(owner, "_parameter_constraints", {})
    if params is None:
        params = {name: getattr(owner, name) for name in table if hasattr(owner, name)}
    return {
        name: check(owner, name, params[name], *constraints)
        for name, constraints in table.items()
        if name in params
    }


def validate_params(table: Constraints) -> Callable[[_F], _F]:
    """Decorate a function: check the arguments ``table`` names on every call.

    The table is checked against the signature at import (a misspelt name fails at once)
    and kept as the function's ``_parameter_constraints``. Values are checked as passed
    (defaults included); the function receives them unconverted.
    """

    def decorate(function: _F) -> _F:
        signature = inspect.signature(function)
        names = list(signature.parameters)
        positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        spots: list[tuple[str, int | None, Any, Sequence[Constraint]]] = []
        for name, constraints in table.items():
            if name not in signature.parameters:
                raise TypeError(f"{function.__qualname__} has no parameter {name!r} to constrain")
            parameter = signature.parameters[name]
            index = names.index(name) if parameter.kind in positional else None
            spots.append((name, index, parameter.default, constraints))
        owner = function.__name__

        @functools.wraps(function)
        def checked(*args: Any, **kwargs: Any) -> Any:
            for name, index, default, constraints in spots:
                if index is not None and index < len(args):
                    value = args[index]
                else:
                    value = kwargs.get(name, default)
                if value is not inspect.Parameter.empty:
                    check(owner, name, value, *constraints)
            return function(*args, **kwargs)

        checked._parameter_constraints = table  # type: ignore[attr-defined]
        return cast(_F, checked)

    return decorate


def invalid_value(constraints: Iterable[Constraint]) -> object:
    """A value that satisfies none of ``constraints`` (for the generic parameter test)."""
    items = list(constraints)
    candidates: list[object] = [
        "not-a-valid-option",
        -(10**9),
        10**9,
        -0.5,
        1.5,
        float("nan"),
        object(),
        None,
    ]
    for candidate in candidates:
        if not any(_accepts(c, candidate) for c in items):
            return candidate
    raise ValueError(f"cannot build a value that violates every constraint of {items!r}")
