"""The registry of per-column drift methods: one small function per method.

A method compares the two sides of one column and returns what it :class:`Measured`: a
statistic, a p-value (``None`` for a pure distance) and the effect size its threshold
applies to. Everything else a column result holds (explanation, chart, the missing-value
test, the verdict) is built once, around the method, by :mod:`driftline.drift._column`.
Adding a method is one decorated function in :mod:`driftline.drift._numeric` or
:mod:`driftline.drift._categorical`; the detector, the docs table and the conformance
checks (:func:`driftline.testing.check_drift_method`) read this table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, Literal, TypeVar

from driftline.exceptions import ParameterError

__all__ = [
    "DEFAULT_METHODS",
    "EFFECT_THRESHOLDS",
    "DriftMethod",
    "Measured",
    "SideKind",
    "drift_methods",
    "get_drift_method",
    "register_method",
]

SideKind = Literal["numeric", "categorical"]

#: Effect-size thresholds by effect name: drift needs ``effect_size >= threshold``.
EFFECT_THRESHOLDS: Final[Mapping[str, float]] = MappingProxyType(
    {
        "wasserstein_sd": 0.1,
        "total_variation": 0.1,
        "category_psi": 0.2,
        "psi": 0.2,
        "jensen_shannon": 0.1,
        "hellinger": 0.1,
        "missing_cohens_h": 0.2,
    }
)

#: The method used for a column kind unless the ``method`` mapping says otherwise.
DEFAULT_METHODS: Final[Mapping[SideKind, str]] = MappingProxyType(
    {"numeric": "ks", "categorical": "chi2"}
)


@dataclass(frozen=True)
class Measured:
    """What a method measured on one column.

    ``effect_size`` is what the threshold of ``effect_name`` applies to; ``more_effects``
    are further effect sizes with thresholds of their own (a column drifts when its test
    is significant and *any* of its effects reaches its threshold). ``test`` names how
    the p-value was computed. ``details`` carries what the explanation can reuse.
    """

    statistic: float
    p_value: float | None
    effect_size: float
    effect_name: str
    test: str | None = None
    statistic_error_bound: float = 0.0
    effect_size_error_bound: float = 0.0
    more_effects: tuple[tuple[str, float], ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict, compare=False)


MethodFunction = Callable[..., Measured]


@dataclass(frozen=True)
class DriftMethod:
    """A registered per-column drift method.

    ``kinds`` are the side kinds it compares (``"numeric"`` covers datetime columns,
    ``"categorical"`` covers boolean ones); ``effect`` names the effect size its
    threshold applies to; ``test`` says whether it gives a p-value (a pure distance is
    judged on its threshold alone); ``needs_raw`` whether it needs raw values on both
    sides (it cannot use a profile's sketches).

    >>> get_drift_method("ks").effect
    'wasserstein_sd'
    """

    name: str
    kinds: frozenset[SideKind]
    effect: str
    test: bool
    function: MethodFunction = field(repr=False)
    needs_raw: bool = False
    description: str = ""


_REGISTRY: dict[str, DriftMethod] = {}
F = TypeVar("F", bound=MethodFunction)


def register_method(
    name: str,
    *,
    kinds: tuple[SideKind, ...],
    effect: str,
    test: bool,
    needs_raw: bool = False,
) -> Callable[[F], F]:
    """Decorator registering ``function(ref, cur, thresholds) -> Measured`` under ``name``.

    The function's docstring (first line) becomes the method's description.
    """
    if not name.isidentifier():
        raise ParameterError(f"A drift method name must be an identifier; got {name!r}.")
    if effect not in EFFECT_THRESHOLDS:
        raise ParameterError(
            f"Method {name!r} names effect {effect!r}, which has no threshold; "
            f"known effects: {sorted(EFFECT_THRESHOLDS)}."
        )

    def decorator(function: F) -> F:
        doc = (function.__doc__ or "").strip().splitlines()
        _REGISTRY[name] = DriftMethod(
            name=name,
            kinds=frozenset(kinds),
            effect=effect,
            test=test,
            function=function,
            needs_raw=needs_raw,
            description=doc[0] if doc else "",
        )
        return function

    return decorator


def _load() -> None:
    import driftline.drift._categorical
    import driftline.drift._numeric  # noqa: F401


def drift_methods() -> Mapping[str, DriftMethod]:
    """Every registered per-column drift method, by name (read-only).

    >>> sorted(drift_methods())[:4]
    ['anderson', 'chi2', 'cvm', 'g_test']
    >>> sorted(n for n, m in drift_methods().items() if "categorical" in m.kinds and m.test)
    ['chi2', 'g_test']
    """
    _load()
    return MappingProxyType(dict(sorted(_REGISTRY.items())))


def get_drift_method(name: str) -> DriftMethod:
    """The method registered under ``name``; :class:`ParameterError` listing the known ones.

    >>> get_drift_method("hellinger").test
    False
    """
    methods = drift_methods()
    if name not in methods:
        raise ParameterError(f"Unknown drift method {name!r}; known methods: {sorted(methods)}.")
    return methods[name]
