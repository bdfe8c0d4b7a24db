"""The gate policy (``driftline-gate.yaml``): YAML -> validated pydantic models.

Errors name the file, the line, the field and what is allowed, in one line, as a
:class:`~driftline.exceptions.PolicyError`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from driftline.exceptions import PolicyError
from driftline.gate._registry import CheckSpec, check_kinds, get_check

__all__ = ["Policy", "load_policy"]


class Policy(BaseModel):
    """A validated gate policy.

    >>> p = Policy.from_dict({"target": "y", "checks": [
    ...     {"kind": "metric", "metric": "roc_auc", "min": 0.8}]})
    >>> p.checks[0].label
    'roc_auc >= 0.8'
    """

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    version: Literal[1] = 1
    name: str = "driftline gate"
    task: Literal["binary", "multiclass", "regression"] = "binary"
    target: str | None = Field(default=None, description="Target column in the data.")
    features: tuple[str, ...] | None = Field(
        default=None, description="Model input columns (default: all but target/predictions)."
    )
    exclude: tuple[str, ...] = ()
    threshold: float = Field(default=0.5, gt=0.0, lt=1.0)
    confidence: float = Field(default=0.95, gt=0.5, lt=1.0)
    n_resamples: int = Field(default=1000, ge=100, le=100_000)
    random_state: int = 0
    candidate_column: str = Field(
        default="score", description="Column of candidate scores in a predictions file."
    )
    champion_column: str = Field(
        default="score", description="Column of champion scores in a predictions file."
    )
    candidate_columns: tuple[str, ...] | dict[str, str] | None = Field(
        default=None,
        description="Multiclass: per-class probability columns of a candidate predictions "
        "file (named after the classes), or class -> column. Default: the columns named "
        "after the classes (e.g. a, b, c or proba_a, proba_b, proba_c).",
    )
    champion_columns: tuple[str, ...] | dict[str, str] | None = Field(
        default=None, description="Multiclass: the same for a champion predictions file."
    )
    on_not_evaluated: Literal["warn", "fail"] = Field(
        default="warn",
        description="Verdict when a check could not be evaluated (e.g. no slice large "
        "enough, an undefined metric): warn (exit 0) or fail (exit 1).",
    )
    checks: tuple[CheckSpec, ...] = ()
    source: str = Field(default="<dict>", exclude=True)
    digest: str = Field(default="", exclude=True)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, source: str = "<dict>") -> Policy:
        """Validate a parsed policy (no line numbers in errors)."""
        return _validate(raw, source=source, lines=None, digest=_dict_digest(raw))

    @classmethod
    def from_yaml(cls, text: str, *, source: str = "<string>") -> Policy:
        """Parse and validate YAML text; errors carry the line numbers.

        >>> Policy.from_yaml("checks:\\n  - kind: metric\\n    metric: roc_auc\\n    min: x\\n")
        Traceback (most recent call last):
        ...
        driftline.exceptions.PolicyError: <string>, line 4, checks[0].min: Input should be a valid number, unable to parse string as a number (got 'x').
        """
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f", line {mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc)
            raise PolicyError(f"{source}{where}: invalid YAML: {problem}.") from exc
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise PolicyError(
                f"{source}, line 1: the policy must be a mapping of fields "
                f"(target, checks, ...); got a {type(raw).__name__}."
            )
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return _validate(raw, source=source, lines=node, digest=digest)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python representation (checks as dicts)."""
        out = self.model_dump(exclude={"checks", "source", "digest"})
        out["checks"] = [c.model_dump() for c in self.checks]
        return out


def load_policy(policy: str | os.PathLike[str] | Mapping[str, Any] | Policy) -> Policy:
    """Load a policy from a YAML path, a mapping or a :class:`Policy` (returned as is)."""
    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, Mapping):
        return Policy.from_dict(policy)
    if isinstance(policy, str | os.PathLike):
        path = Path(policy)
        if not path.is_file():
            raise PolicyError(f"The policy file {str(path)!r} does not exist or is not a file.")
        return Policy.from_yaml(path.read_text(encoding="utf-8"), source=str(path))
    raise PolicyError(
        "The 'policy' parameter must be a path to a YAML file, a mapping or a Policy; "
        f"got {type(policy).__name__}."
    )


def _dict_digest(raw: Mapping[str, Any]) -> str:
    text = json.dumps(raw, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _line_of(node: yaml.Node | None, path: Sequence[int | str]) -> int | None:
    """1-based line of the YAML node at ``path`` (the deepest existing ancestor)."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for key in path:
        nxt: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                    nxt = v
                    line = k.start_mark.line + 1
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(key, int)
            and 0 <= key < len(node.value)
        ):
            nxt = node.value[key]
        if nxt is None:
            return line
        node = nxt
        line = node.start_mark.line + 1
    return line


def _dotted(path: Sequence[int | str]) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out or "(top level)"


def _fail(
    source: str,
    lines: yaml.Node | None,
    path: Sequence[int | str],
    message: str,
    exc: Exception | None = None,
) -> PolicyError:
    line = _line_of(lines, path)
    where = f"{source}, line {line}" if line is not None else source
    return PolicyError(f"{where}, {_dotted(path)}: {message}")


_INTERNAL = frozenset({"source", "digest"})


def _owner(model: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel]:
    """The (nested) model that owns the last field of ``loc``."""
    current: type[BaseModel] = model
    for key in loc[:-1]:
        info = current.model_fields.get(str(key))
        if info is None:
            continue
        for arg in (info.annotation, *get_args(info.annotation)):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                current = arg
                break
    return current


def _message(err: Mapping[str, Any], model: type[BaseModel]) -> str:
    msg = str(err["msg"])
    if err["type"] == "extra_forbidden":
        owner = _owner(model, list(err["loc"]))
        allowed = ", ".join(sorted(set(owner.model_fields) - _INTERNAL))
        return f"unknown field; allowed fields: {allowed}."
    if err["type"] == "missing":
        return "this field is required."
    got = err.get("input")
    if err["type"] == "value_error" and "error" in err.get("ctx", {}):
        msg = str(err["ctx"]["error"]).rstrip(".")  # our own message, without "Value error, "
        if repr(got) in msg:
            return f"{msg}."
    suffix = f" (got {got!r})" if got is not None and not isinstance(got, dict | list) else ""
    return f"{msg}{suffix}."


def _raise_validation(
    exc: ValidationError,
    model: type[BaseModel],
    source: str,
    lines: yaml.Node | None,
    prefix: Sequence[int | str],
) -> PolicyError:
    err = exc.errors()[0]
    loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    return _fail(source, lines, [*prefix, *loc], _message(err, model), exc)


_EXPR = re.compile(
    r"^\s*(?P<metric>[a-z_0-9]+)\s*(?P<op>>=|<=)\s*"
    r"(?:(?P<champ>champion)\s*(?:(?P<sign>[-+])\s*(?P<margin>[0-9.eE+-]+))?|(?P<value>[-+]?[0-9.eE+-]+))"
    r"\s*$"
)
_EXPR_HELP = (
    "write 'METRIC >= VALUE', 'METRIC <= VALUE', 'METRIC >= champion - MARGIN' or, for "
    "losses, 'METRIC <= champion + MARGIN' (e.g. 'roc_auc >= 0.80', 'f1 >= champion - 0.01')"
)


def _lower_is_better(metric: str) -> bool:
    """From the metric registry; an unknown name is left to the check's validation."""
    from driftline.metrics import METRICS

    spec = METRICS.get(metric)
    return spec is not None and not spec.greater_is_better


def _parse_expr(text: str) -> dict[str, Any] | None:
    """``"f1 >= champion - 0.01"`` -> a champion check; ``"roc_auc >= 0.8"`` -> a metric check."""
    m = _EXPR.match(text)
    if m is None:
        return None
    metric, op = m["metric"], m["op"]
    try:
        if m["champ"] is None:
            return {
                "kind": "metric",
                "metric": metric,
                ("min" if op == ">=" else "max"): float(m["value"]),
            }
        margin = float(m["margin"]) if m["margin"] is not None else 0.0
    except ValueError:
        return None
    loss = _lower_is_better(metric)
    sign = m["sign"] or ("+" if loss else "-")
    if (op, sign) != (("<=", "+") if loss else (">=", "-")):
        return None
    return {"kind": "champion", "metric": metric, "margin": margin}


def _expand(item: Any, path: list[int | str], source: str, lines: yaml.Node | None) -> Any:
    """Expand the short forms ``- "roc_auc >= 0.8"`` and ``- {expr: "...", severity: warn}``."""
    if isinstance(item, str):
        parsed = _parse_expr(item)
        if parsed is None:
            raise _fail(source, lines, path, f"cannot read {item!r}: {_EXPR_HELP}.")
        return parsed
    if isinstance(item, dict) and "expr" in item and "kind" not in item:
        rest = {k: v for k, v in item.items() if k != "expr"}
        parsed = _parse_expr(str(item["expr"]))
        if parsed is None:
            raise _fail(
                source, lines, [*path, "expr"], f"cannot read {item['expr']!r}: {_EXPR_HELP}."
            )
        return {**parsed, **rest}
    return item


def _validate(
    raw: Mapping[str, Any], *, source: str, lines: yaml.Node | None, digest: str
) -> Policy:
    top = dict(raw)
    for key in _INTERNAL & set(top):
        allowed = ", ".join(sorted(set(Policy.model_fields) - _INTERNAL))
        raise _fail(source, lines, [key], f"unknown field; allowed fields: {allowed}.")
    checks_raw = top.pop("checks", [])
    if checks_raw is None:
        checks_raw = []
    if not isinstance(checks_raw, list):
        raise _fail(source, lines, ["checks"], "must be a list of checks (each with a 'kind').")
    checks: list[CheckSpec] = []
    kinds = check_kinds()
    for i, item in enumerate(checks_raw):
        item = _expand(item, ["checks", i], source, lines)
        if not isinstance(item, dict):
            raise _fail(source, lines, ["checks", i], "each check must be a mapping with a 'kind'.")
        kind = item.get("kind")
        if kind not in kinds:
            raise _fail(
                source,
                lines,
                ["checks", i, "kind"],
                f"unknown check kind {kind!r}; allowed: {', '.join(kinds)}.",
            )
        cls = get_check(str(kind))
        try:
            checks.append(cls.model_validate(item))
        except ValidationError as exc:
            raise _raise_validation(exc, cls, source, lines, ["checks", i]) from exc
    try:
        policy = Policy.model_validate({**top, "checks": (), "source": source, "digest": digest})
    except ValidationError as exc:
        raise _raise_validation(exc, Policy, source, lines, []) from exc
    return policy.model_copy(update={"checks": tuple(checks)})
