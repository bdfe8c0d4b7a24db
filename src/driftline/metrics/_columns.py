"""Per-class score columns, matched to the classes by name (never by position)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from driftline.exceptions import DataError

__all__ = ["match_class_columns"]


def _typed(text: str, like: Sequence[Any]) -> Any:
    """``text`` as a value of the classes' type (int, float or str), else ``None``."""
    sample = like[0] if len(like) else ""
    try:
        if isinstance(sample, bool | np.bool_):
            return {"True": True, "False": False}.get(text)
        if isinstance(sample, int | np.integer):
            return int(text)
        if isinstance(sample, float | np.floating):
            return float(text)
    except ValueError:
        return None
    return text


def _patterns(columns: Sequence[str], names: Sequence[str]) -> set[tuple[str, str]]:
    """(prefix, suffix) pairs under which some column is ``prefix + class + suffix``."""
    out: set[tuple[str, str]] = set()
    for col in columns:
        for name in names:
            start = col.find(name)
            while start >= 0 and name:
                out.add((col[:start], col[start + len(name) :]))
                start = col.find(name, start + 1)
    return out


def match_class_columns(
    columns: Sequence[str] | Mapping[Any, str],
    classes: Sequence[Any],
    *,
    extra: bool = False,
    exhaustive: bool = True,
) -> dict[Any, str]:
    """Map each class to its score column **by name**, never by position.

    A column belongs to a class when its name is the class's name, or the class's name
    between one prefix and suffix shared by every matched column (``proba_a``,
    ``proba_b``, ... or ``p_0``, ``p_1``). A mapping ``{class: column}`` is taken as
    given (keys may be the classes or their names). With ``extra``, more columns of the
    same pattern add classes not in ``classes`` (a model may know a class the rows do
    not hold); with ``exhaustive``, every column given must belong to a class.
    :class:`DataError` when a class has no column, when two patterns fit, or when a
    column belongs to no class — the message says how to name the columns explicitly.

    >>> match_class_columns(["p_c", "p_a", "p_b"], ["a", "b", "c"])
    {'a': 'p_a', 'b': 'p_b', 'c': 'p_c'}
    >>> match_class_columns(["score_0", "score_1", "score_2"], [0, 1], extra=True)
    {0: 'score_0', 1: 'score_1', 2: 'score_2'}
    >>> match_class_columns(["x", "y", "z"], ["a", "b", "c"])
    Traceback (most recent call last):
    ...
    driftline.exceptions.DataError: The score columns ['x', 'y', 'z'] do not name the classes ['a', 'b', 'c']: name each column after its class (e.g. 'a' or 'proba_a'), or map them explicitly (CLI: --score a=x,b=y,c=z; Python: {'a': 'x', 'b': 'y', 'c': 'z'}).
    """
    classes = list(classes)
    if isinstance(columns, Mapping):
        return _from_mapping(columns, classes)
    cols = [str(c) for c in columns]
    names = [str(c) for c in classes]
    found: dict[tuple[str, str], dict[Any, str]] = {}
    for prefix, suffix in _patterns(cols, names):
        chosen = {cls: f"{prefix}{n}{suffix}" for cls, n in zip(classes, names, strict=True)}
        if not all(c in cols for c in chosen.values()):
            continue
        if extra:
            for col in cols:
                if col in chosen.values() or not (col.startswith(prefix) and col.endswith(suffix)):
                    continue
                rest = col[len(prefix) : len(col) - len(suffix)]
                value = _typed(rest, classes)
                if not (prefix or suffix) and isinstance(value, str):
                    continue  # any column name is a string: no pattern, no extra class
                if rest and value is not None and value not in chosen:
                    chosen[value] = col
        if exhaustive and set(chosen.values()) != set(cols):
            continue
        found[(prefix, suffix)] = chosen
    if len(found) == 1:
        mapping = next(iter(found.values()))
        return dict(sorted(mapping.items(), key=lambda kv: _sort_key(kv[0])))
    hint = (
        f"name each column after its class (e.g. {names[0]!r} or 'proba_{names[0]}'), or map "
        f"them explicitly (CLI: --score "
        + ",".join(f"{n}={c}" for n, c in zip(names, cols, strict=False))
        + "; Python: "
        + repr(dict(zip(names, cols, strict=False)))
        + ")."
    )
    if not found:
        raise DataError(f"The score columns {cols} do not name the classes {names}: {hint}")
    options = sorted(("|".join(m.values())) for m in found.values())
    raise DataError(
        f"The score columns {cols} match the classes {names} in more than one way "
        f"({'; '.join(options)}): {hint}"
    )


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, int | float | np.number) else (1, str(value))


def _from_mapping(columns: Mapping[Any, str], classes: list[Any]) -> dict[Any, str]:
    by_name = {str(k): v for k, v in columns.items()}
    missing = [c for c in classes if c not in columns and str(c) not in by_name]
    if missing:
        raise DataError(
            f"The class-to-column mapping has no column for the class(es) {missing}; it "
            f"names {list(columns)}."
        )
    out = {c: columns[c] if c in columns else by_name[str(c)] for c in classes}
    known = {str(c) for c in classes}
    for key, col in columns.items():
        if str(key) not in known:
            value = _typed(str(key), classes)
            out[key if value is None else value] = col
    return dict(sorted(out.items(), key=lambda kv: _sort_key(kv[0])))
