"""A model artifact's signature (its inputs and outputs) and its check against the
monitoring schema of the version it is registered to."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from driftline._deps import require
from driftline.exceptions import ParameterError, SerializationError
from driftline.store import VersionSchema

__all__ = ["Signature", "TensorSpec"]

#: Element types a signature names.
TYPES: Final = ("float", "int", "string", "bool")
_NUMERIC: Final = ("float", "int", "bool")
_ONNX_TYPES: Final = {
    "float": "float", "double": "float", "float16": "float",
    "int64": "int", "int32": "int", "int16": "int", "int8": "int",
    "uint8": "int", "uint16": "int", "uint32": "int", "uint64": "int",
    "string": "string", "bool": "bool",
}  # fmt: skip
#: Which element types each feature kind of a monitoring schema may be fed as.
_ACCEPTS: Final = {
    "numeric": ("float", "int"),
    "categorical": ("string", "int", "float"),
    "boolean": ("bool", "int", "float"),
}


@dataclass(frozen=True)
class TensorSpec:
    """One input or output: its ``name``, element ``type`` and ``shape`` (None: unknown)."""

    name: str
    type: str
    shape: tuple[int | None, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"name", "type", "shape"}``."""
        return {
            "name": self.name,
            "type": self.type,
            "shape": None if self.shape is None else list(self.shape),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TensorSpec:
        """The inverse of :meth:`to_dict` (validated)."""
        if not isinstance(data, Mapping):
            raise ParameterError(f"A signature entry must be an object; got {data!r}.")
        name, typ, shape = data.get("name"), data.get("type"), data.get("shape")
        if not isinstance(name, str) or not name or "\x00" in name or len(name) > 200:
            raise ParameterError(
                f"A signature entry's 'name' must be a non-empty string; got {name!r}."
            )
        if typ not in TYPES:
            raise ParameterError(
                f"The signature entry {name!r} has type {typ!r}; use one of {list(TYPES)}."
            )
        if shape is not None:
            if not isinstance(shape, Sequence) or isinstance(shape, str) or len(shape) > 8:
                raise ParameterError(f"The shape of {name!r} must be a list; got {shape!r}.")
            for dim in shape:
                if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int)):
                    raise ParameterError(
                        f"The shape of {name!r} holds {dim!r}; dimensions are integers or null."
                    )
            shape = tuple(shape)
        return cls(name, typ, shape)


@dataclass(frozen=True)
class Signature:
    """What an artifact takes and returns.

    ``inputs`` either name the features one by one (ONNX models converted from a data
    frame, skops estimators fitted on one) or hold one tensor of all the features.

    >>> sig = Signature.from_dict({"inputs": [{"name": "x", "type": "float"},
    ...                                       {"name": "city", "type": "string"}]})
    >>> sig.problems(VersionSchema({"x": "numeric", "age": "numeric"}))
    ["feature 'age' of the version's schema is not an input of the artifact", "input 'city' of the artifact is not a feature of the version's schema"]
    """

    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """``{"inputs": [...], "outputs": [...]}``."""
        return {
            "inputs": [t.to_dict() for t in self.inputs],
            "outputs": [t.to_dict() for t in self.outputs],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Signature:
        """The inverse of :meth:`to_dict` (validated: at most 10,000 entries)."""
        if not isinstance(data, Mapping):
            raise ParameterError(
                f"A signature must be an object with 'inputs' (and 'outputs'); got {data!r}."
            )
        inputs, outputs = data.get("inputs"), data.get("outputs", [])
        for key, value in (("inputs", inputs), ("outputs", outputs)):
            if not isinstance(value, Sequence) or isinstance(value, str) or len(value) > 10_000:
                raise ParameterError(
                    f"The signature's {key!r} must be a list of {{name, type, shape}}; "
                    f"got {value!r}."
                )
        assert isinstance(inputs, Sequence)
        assert isinstance(outputs, Sequence)
        if not inputs:
            raise ParameterError("The signature's 'inputs' must not be empty.")
        return cls(
            tuple(TensorSpec.from_dict(t) for t in inputs),
            tuple(TensorSpec.from_dict(t) for t in outputs),
        )

    @classmethod
    def of_onnx(cls, path: str | os.PathLike[str]) -> Signature:
        """The signature of an ONNX file, read by onnxruntime (no code runs)."""
        ort = require("onnxruntime", extra="models")
        try:
            session = ort.InferenceSession(os.fspath(path), providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise SerializationError(f"The artifact is not a readable ONNX model: {exc}") from exc

        def spec(node: Any) -> TensorSpec:
            raw = str(node.type)
            inner = raw[raw.find("(") + 1 : raw.rfind(")")] if "(" in raw else raw
            shape = getattr(node, "shape", None)
            dims = (
                None if shape is None else tuple(d if isinstance(d, int) else None for d in shape)
            )
            return TensorSpec(str(node.name), _ONNX_TYPES.get(inner, "float"), dims)

        return cls(
            tuple(spec(i) for i in session.get_inputs()),
            tuple(spec(o) for o in session.get_outputs()),
        )

    def problems(self, schema: VersionSchema) -> list[str]:
        """How the signature disagrees with the version's monitoring ``schema`` (empty: it
        agrees). Named inputs must be exactly the features, each of a type the feature's
        kind can be fed as; one tensor input must take as many columns as there are
        features."""
        features = dict(schema.features)
        names = [t.name for t in self.inputs]
        if len(self.inputs) == 1 and names[0] not in features:
            tensor = self.inputs[0]
            width = None if not tensor.shape or len(tensor.shape) < 2 else tensor.shape[-1]
            found = []
            if width is not None and width != len(features):
                found.append(
                    f"the artifact's one input {tensor.name!r} takes {width} columns; the "
                    f"version's schema has {len(features)} features {list(features)}"
                )
            if tensor.type == "string" and any(k != "categorical" for k in features.values()):
                found.append(
                    f"the artifact's one input {tensor.name!r} takes strings; the version's "
                    "schema has numeric or boolean features"
                )
            return found
        found = [
            f"feature {f!r} of the version's schema is not an input of the artifact"
            for f in features
            if f not in names
        ]
        found += [
            f"input {n!r} of the artifact is not a feature of the version's schema"
            for n in names
            if n not in features
        ]
        found += [
            f"feature {t.name!r} is {features[t.name]} in the version's schema, but the "
            f"artifact takes it as {t.type}"
            for t in self.inputs
            if t.name in features and t.type not in _ACCEPTS[features[t.name]]
        ]
        return found

    def mismatched_columns(self, schema: VersionSchema) -> list[str]:
        """The feature and input names :meth:`problems` is about."""
        features = dict(schema.features)
        names = [t.name for t in self.inputs]
        if len(self.inputs) == 1 and names[0] not in features:
            return [names[0]] if self.problems(schema) else []
        bad = [f for f in features if f not in names]
        bad += [n for n in names if n not in features]
        bad += [
            t.name
            for t in self.inputs
            if t.name in features and t.type not in _ACCEPTS[features[t.name]]
        ]
        return bad
