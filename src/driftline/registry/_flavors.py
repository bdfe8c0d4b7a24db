"""Artifact flavors: which one a file is."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from driftline.exceptions import UnsupportedInputError
from driftline.store import FLAVORS

__all__ = ["flavor_of"]

_SUFFIXES: Final = {".onnx": "onnx", ".skops": "skops", ".pkl": "pickle", ".pickle": "pickle",
                    ".joblib": "pickle"}  # fmt: skip


def flavor_of(path: str | os.PathLike[str], flavor: str | None) -> str:
    """The artifact's flavor: as given, else from the file name's suffix.

    >>> flavor_of("model.onnx", None)
    'onnx'
    >>> flavor_of("model.bin", None)
    Traceback (most recent call last):
    ...
    driftline.exceptions.UnsupportedInputError: Cannot tell the flavor of 'model.bin' ...
    """
    if flavor is not None:
        if flavor not in FLAVORS:
            raise UnsupportedInputError(
                f"Unknown artifact flavor {flavor!r}: use one of {list(FLAVORS)} (ONNX or "
                "skops; pickle only with the explicit allow_pickle opt-in)."
            )
        return flavor
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIXES:
        raise UnsupportedInputError(
            f"Cannot tell the flavor of {Path(path).name!r} from its name: pass flavor= one of "
            f"{list(FLAVORS)} (files ending in .onnx, .skops, .pkl/.pickle/.joblib are known)."
        )
    return _SUFFIXES[suffix]
