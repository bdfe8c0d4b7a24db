"""Parameter validation for the estimators, in one place."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence

from driftline.exceptions import ParameterError

__all__ = [
    "check_choice",
    "check_chunking",
    "check_metrics",
    "check_open_unit",
    "check_positive_int",
    "estimable_metrics",
]


def estimable_metrics(task: str) -> tuple[str, ...]:
    """The registry's metrics CBPE (``"binary"``) or DLE (``"regression"``) estimates, in
    the registry's order (read at call time, so a registered metric is seen).

    >>> estimable_metrics("regression")
    ('mae', 'rmse', 'mape')
    """
    from driftline.metrics import METRICS

    return tuple(n for n, s in METRICS.items() if s.estimable and task in s.tasks)


def check_choice(name: str, value: object, allowed: Collection[str]) -> str:
    """Return ``value`` if it is one of ``allowed``, else raise :class:`ParameterError`."""
    if not isinstance(value, str) or value not in allowed:
        raise ParameterError(
            f"The {name!r} parameter must be one of {sorted(allowed)}; got {value!r} instead."
        )
    return value


def check_metrics(
    value: Sequence[str] | str | None, allowed: Sequence[str], *, owner: str = "CBPE"
) -> tuple[str, ...]:
    """Validate a non-empty sequence of distinct metric names among ``allowed``
    (``None``: all of them); an unknown name gets the registry's did-you-mean."""
    from driftline.metrics import get_metric

    if value is None:
        return tuple(allowed)
    if isinstance(value, str):
        value = (value,)
    metrics = tuple(value)
    for name in metrics:
        try:
            get_metric(name)
        except ParameterError as exc:
            raise ParameterError(f"The 'metrics' parameter of {owner}: {exc}") from exc
    bad = [m for m in metrics if m not in allowed]
    if not metrics or bad or len(set(metrics)) != len(metrics):
        raise ParameterError(
            f"The 'metrics' parameter of {owner} must be a non-empty sequence of distinct "
            f"names among {list(allowed)} (the metrics it can estimate); got "
            f"{list(metrics)!r} instead."
        )
    return metrics


def check_positive_int(name: str, value: object, *, minimum: int = 1) -> int:
    """Return ``value`` if it is an int >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ParameterError(
            f"The {name!r} parameter must be an integer >= {minimum}; got {value!r} instead."
        )
    return value


def check_open_unit(name: str, value: object) -> float:
    """Return ``value`` if it is a real number strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 < value < 1.0:
        raise ParameterError(
            f"The {name!r} parameter must be a number strictly between 0 and 1; "
            f"got {value!r} instead."
        )
    if not math.isfinite(float(value)):
        raise ParameterError(f"The {name!r} parameter must be finite; got {value!r} instead.")
    return float(value)


def check_chunking(
    chunk_size: int | None,
    chunk_number: int | None,
    chunk_period: str | None,
    timestamp_column: str | None,
) -> None:
    """At most one chunking rule; a period needs a timestamp column."""
    given = [
        name
        for name, v in (
            ("chunk_size", chunk_size),
            ("chunk_number", chunk_number),
            ("chunk_period", chunk_period),
        )
        if v is not None
    ]
    if len(given) > 1:
        raise ParameterError(
            "Give at most one of 'chunk_size', 'chunk_number' and 'chunk_period'; "
            f"got {given} together."
        )
    if chunk_size is not None:
        check_positive_int("chunk_size", chunk_size)
    if chunk_number is not None:
        check_positive_int("chunk_number", chunk_number)
    if chunk_period is not None:
        if not isinstance(chunk_period, str) or not chunk_period:
            raise ParameterError(
                "The 'chunk_period' parameter must be a pandas period alias such as 'D', 'W' "
                f"or 'h'; got {chunk_period!r} instead."
            )
        if timestamp_column is None:
            raise ParameterError(
                "The 'chunk_period' parameter needs 'timestamp_column' (the name of the "
                "column holding each row's time); got timestamp_column=None."
            )
