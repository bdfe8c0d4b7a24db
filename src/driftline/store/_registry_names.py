"""Names of the registry the store checks (no SQLAlchemy needed: the SDK imports them):
alias names, artifact flavors, lineage node kinds."""

from __future__ import annotations

import re
from typing import Final

from driftline.exceptions import ParameterError

__all__ = ["ALIAS_PATTERN", "FLAVORS", "NODE_KINDS", "check_alias"]

#: What an alias name may be: a letter, then up to 63 letters, digits, ``_``, ``.``, ``-``.
ALIAS_PATTERN: Final = r"[A-Za-z][A-Za-z0-9_.\-]{0,63}"
_ALIAS = re.compile(ALIAS_PATTERN)
#: Artifact formats a version may register (pickle only with the explicit opt-in).
FLAVORS: Final = ("onnx", "skops", "pickle")
#: Kinds of lineage nodes.
NODE_KINDS: Final = (
    "dataset",
    "run",
    "model_version",
    "gate_report",
    "approval",
    "alias_move",
    "window",
)


def check_alias(alias: object) -> str:
    """``alias`` if it is a valid alias name, else a :class:`ParameterError`.

    >>> check_alias("production")
    'production'
    >>> check_alias("prod@2")
    Traceback (most recent call last):
    ...
    driftline.exceptions.ParameterError: The alias 'prod@2' is not a valid alias name: ...
    """
    if not isinstance(alias, str) or not _ALIAS.fullmatch(alias):
        raise ParameterError(
            f"The alias {alias!r} is not a valid alias name: use a letter, then up to 63 "
            "letters, digits, '_', '.' or '-' (e.g. 'production', 'staging', 'canary-eu')."
        )
    return alias
