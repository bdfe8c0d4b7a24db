"""A served model's signature (its input columns and their types) and the checks of request
columns against it.

Every request is reduced to one numpy column per feature; each column is checked whole
(types, finiteness, range, NUL bytes) before the model sees it, and a bad value is named by
its field and row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import NDArray

__all__ = ["Columns", "Feature", "RequestError", "Signature", "convert_column"]

Dtype = Literal["float32", "float64", "int64", "string"]
Columns = dict[str, NDArray[Any]]

_FLOAT32_MAX: Final = float(np.finfo(np.float32).max)
_INT64_MAX: Final = 2**63 - 1
#: The kind of each dtype as the monitoring store names it (``VersionSchema.features``).
STORE_KIND: Final = {
    "float32": "numeric",
    "float64": "numeric",
    "int64": "numeric",
    "string": "categorical",
}
#: The Open Inference Protocol datatype of each dtype.
OIP_DATATYPE: Final = {"float32": "FP32", "float64": "FP64", "int64": "INT64", "string": "BYTES"}


class RequestError(Exception):
    """A request the model cannot take: answered with ``status`` and a JSON error naming
    ``field`` (the app turns it into ``{"error": {"code", "message", "details"}}``)."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 422,
        code: str = "invalid_input",
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.field = field


@dataclass(frozen=True)
class Feature:
    """One input column: its name and the type the model takes.

    >>> Feature("amount", "float32").kind
    'numeric'
    """

    name: str
    dtype: Dtype

    @property
    def kind(self) -> str:
        """The column's kind in the monitoring store ("numeric" or "categorical")."""
        return STORE_KIND[self.dtype]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "datatype": OIP_DATATYPE[self.dtype], "shape": [-1]}


@dataclass(frozen=True)
class Signature:
    """The columns a model takes, in the model's order.

    ``tensor`` names the model's single 2-D input tensor when the model takes the features
    as one ``[rows, len(features)]`` tensor (a request may then send that tensor whole).

    >>> sig = Signature((Feature("a", "float32"), Feature("b", "float32")), tensor="X")
    >>> sig.names
    ('a', 'b')
    """

    features: tuple[Feature, ...]
    tensor: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    def feature(self, name: str) -> Feature | None:
        for f in self.features:
            if f.name == name:
                return f
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"inputs": [f.to_dict() for f in self.features], "tensor": self.tensor}


def _first(mask: NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(mask)[0])


def _bad_value(values: Sequence[Any] | NDArray[Any], ok: Any) -> tuple[int, Any]:
    """The first row whose value fails ``ok`` (only called once a column is known bad)."""
    for i, value in enumerate(values):
        if not ok(value):
            return i, value
    return 0, None  # pragma: no cover - only called on a bad column


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def convert_column(feature: Feature, values: Any, *, where: str) -> NDArray[Any]:
    """``values`` (a list or array, one value per row) as a column of ``feature``'s dtype.

    Numbers must be JSON numbers (not strings nor booleans), finite and in range of the
    dtype; strings must be strings without NUL bytes. ``where`` prefixes the field name in
    messages (e.g. ``"dataframe_split.data"``).

    >>> convert_column(Feature("x", "float32"), [1, 2.5], where="inputs").tolist()
    [1.0, 2.5]
    >>> convert_column(Feature("x", "float32"), [1, "2"], where="inputs")
    Traceback (most recent call last):
    ...
    driftline.serve._signature.RequestError: inputs 'x': row 1 holds '2', not a number.
    """
    name = feature.name
    field = f"{where} {name!r}"
    if feature.dtype == "string":
        arr = np.asarray(values, dtype=object)
        if arr.ndim != 1:
            raise RequestError(f"{field}: expected one value per row.", field=name)
        is_str = np.fromiter((isinstance(v, str) for v in arr), dtype=bool, count=len(arr))
        if not is_str.all():
            row = _first(~is_str)
            raise RequestError(
                f"{field}: row {row} holds {_describe(arr[row])}, not a string.", field=name
            )
        has_nul = np.fromiter(("\x00" in v for v in arr), dtype=bool, count=len(arr))
        if has_nul.any():
            raise RequestError(
                f"{field}: row {_first(has_nul)} contains a NUL byte (\\x00).", field=name
            )
        return arr
    try:
        raw = values if isinstance(values, np.ndarray) else np.asarray(values)
    except (ValueError, TypeError, OverflowError) as exc:
        raise RequestError(f"{field}: expected one number per row.", field=name) from exc
    if raw.ndim != 1:
        raise RequestError(f"{field}: expected one number per row.", field=name)
    if raw.dtype.kind not in "iuf" or raw.dtype == np.bool_:
        as_list = raw.tolist() if isinstance(values, np.ndarray) else list(values)
        if raw.dtype.kind == "O" and all(_is_number(v) for v in as_list):  # huge integers
            try:
                raw = np.asarray(as_list, dtype=np.float64)
            except OverflowError as exc:
                raise RequestError(f"{field}: a value is out of range.", field=name) from exc
        else:
            row, value = _bad_value(as_list, _is_number)
            raise RequestError(
                f"{field}: row {row} holds {_describe(value)}, not a number.", field=name
            )
    if feature.dtype == "int64":
        if raw.dtype.kind == "f":
            whole = np.isfinite(raw) & (raw == np.round(raw)) & (np.abs(raw) <= _INT64_MAX)
            if not whole.all():
                row = _first(~whole)
                raise RequestError(
                    f"{field}: row {row} holds {_describe(raw[row].item())}, not an integer.",
                    field=name,
                )
        elif raw.dtype.kind == "u" and raw.size and int(raw.max()) > _INT64_MAX:
            row = _first(raw > _INT64_MAX)
            raise RequestError(f"{field}: row {row} is out of the int64 range.", field=name)
        return raw.astype(np.int64)
    out = raw.astype(np.float64)
    finite = np.isfinite(out)
    if not finite.all():
        row = _first(~finite)
        raise RequestError(
            f"{field}: row {row} holds {_describe(out[row].item())}; values must be finite.",
            field=name,
        )
    if feature.dtype == "float32":
        big = np.abs(out) > _FLOAT32_MAX
        if big.any():
            row = _first(big)
            raise RequestError(
                f"{field}: row {row} holds {_describe(out[row].item())}, out of the float32 "
                "range the model takes.",
                field=name,
            )
        return out.astype(np.float32)
    return out
