"""Parameter validation for the estimators, in one place."""

from __future__ import annotations

from collections.abc import Sequence

from driftline._params import Constraint, InstanceOf, Interval, invalid
from driftline.exceptions import ParameterError

__all__ = [
    "CHUNKING",
    "check_chunking",
    "check_metrics",
    "estimable_metrics",
]

#: The constraints of the chunking options both estimators share.
CHUNKING: dict[str, list[Constraint]] = {
    "chunk_size": [Interval("int", 1, None), None],
    "chunk_number": [Interval("int", 1, None), None],
    "chunk_period": [InstanceOf((str,), "a pandas period alias such as 'D', 'W' or 'h'"), None],
    "timestamp_column": [InstanceOf((str,), "a column name"), None],
}


def estimable_metrics(task: str) -> tuple[str, ...]:
    """The registry's metrics CBPE (``"binary"``) or DLE (``"regression"``) estimates, in
    the registry's order (read at call time, so a registered metric is seen).

    >>> estimable_metrics("regression")
    ('mae', 'rmse', 'mape')
    """
    from driftline.metrics import METRICS

    return tuple(n for n, s in METRICS.items() if s.estimable and task in s.tasks)


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
    expected = (
        f"a non-empty sequence of distinct names among {list(allowed)} (the metrics it can "
        "estimate)"
    )
    for name in metrics:
        try:
            get_metric(name)
        except ParameterError as exc:
            raise invalid(owner, "metrics", list(metrics), expected, str(exc)) from exc
    bad = [m for m in metrics if m not in allowed]
    if not metrics or bad or len(set(metrics)) != len(metrics):
        raise invalid(owner, "metrics", list(metrics), expected)
    return metrics


def check_chunking(
    chunk_size: int | None,
    chunk_number: int | None,
    chunk_period: str | None,
    timestamp_column: str | None,
    *,
    owner: str,
) -> None:
    """At most one chunking rule; a period needs a timestamp column (each option's own
    constraints are in :data:`CHUNKING`)."""
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
    if chunk_period == "":
        raise invalid(owner, "chunk_period", chunk_period, str(CHUNKING["chunk_period"][0]))
    if chunk_period is not None and timestamp_column is None:
        raise ParameterError(
            "The 'chunk_period' parameter needs 'timestamp_column' (the name of the "
            "column holding each row's time); got timestamp_column=None."
        )
