"""The dependency direction of docs/concepts.md, enforced.

Every ``import`` in ``src/driftline`` (module level or inside a function: a lazy import
is still a dependency) is checked against the layer table below:

- a package may import packages of a lower layer, never of a higher one;
- packages of one layer may import each other, but without a cycle;
- no package imports another package's private module (``driftline.x._y``, or
  ``from driftline.x import _y``): a part used by others is public in its own package.
  The root package's private modules (``driftline._version``, ``_deps``, ``_config``,
  ``_params``) belong to everyone.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "driftline"

#: Lower numbers are lower layers. A package not listed here fails the test: a new part
#: takes its place in this table (and in docs/concepts.md) when it is created.
LAYERS: dict[str, int] = {
    # data in, summaries and math
    "tabular": 1,
    "report": 1,
    "profiles": 2,
    "stats": 2,
    # analyses
    "drift": 3,
    "metrics": 3,
    "estimate": 3,
    # decisions
    "gate": 4,
    "security": 4,
    # records
    "registry": 5,
    "audit": 5,
    "store": 5,
    # running services
    "monitor": 6,
    "alerts": 6,
    "serve": 6,
    "client": 6,
    # the loop driver
    "retrain": 7,
    # entry points: nothing imports them
    "server": 8,
    "cli": 8,
    "integrations": 8,
    "quickstart": 8,
    "testing": 8,
}
ROOT_MODULES = {"exceptions", "_version", "_deps", "_config", "_params", "__init__", "__main__"}


def _package_of(path: Path) -> str | None:
    parts = path.relative_to(SRC).parts
    if len(parts) == 1:
        return None  # a root module
    return parts[0]


def _imports(path: Path) -> Iterator[tuple[int, str, tuple[str, ...]]]:
    """(line, imported module, names imported from it) for every driftline import."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "driftline":
                    yield node.lineno, alias.name, ()
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and node.module
            and node.module.split(".")[0] == "driftline"
        ):
            yield node.lineno, node.module, tuple(a.name for a in node.names)


def _edges() -> Iterator[tuple[str, int, str | None, str, tuple[str, ...]]]:
    for path in sorted(SRC.rglob("*.py")):
        for line, module, names in _imports(path):
            yield str(path.relative_to(SRC)), line, _package_of(path), module, names


def _violations() -> list[str]:
    found: list[str] = []
    for where, line, package, module, names in _edges():
        parts = module.split(".")
        if len(parts) == 1:  # ``from driftline import stats``: a package import
            for name in names:
                if name not in ROOT_MODULES:
                    found.extend(_check(where, line, package, f"driftline.{name}", ()))
            continue
        found.extend(_check(where, line, package, module, names))
    return found


def _check(
    where: str, line: int, package: str | None, module: str, names: tuple[str, ...]
) -> list[str]:
    """What is wrong with one import of ``module`` (``names`` from it) in ``package``."""
    parts = module.split(".")
    target = parts[1]
    if target in ROOT_MODULES or target == package:
        return []
    if package is None:
        ok = where in {"__init__.py", "__main__.py"}  # the lazy facade and ``python -m``
        return [] if ok else [f"{where}:{line}: root module imports package {target!r}"]
    if package not in LAYERS or target not in LAYERS:
        unknown = package if package not in LAYERS else target
        return [f"{where}:{line}: package {unknown!r} has no layer in LAYERS"]
    found: list[str] = []
    if LAYERS[target] > LAYERS[package]:
        found.append(
            f"{where}:{line}: {package} (layer {LAYERS[package]}) imports {module} "
            f"(layer {LAYERS[target]}): an upward import"
        )
    private = [p for p in parts[2:] if p.startswith("_")]
    private += [n for n in names if n.startswith("_") and len(parts) == 2]
    if private:
        found.append(f"{where}:{line}: {package} imports private {module} {names or ''}")
    return found


def _same_layer_cycles() -> list[list[str]]:
    graph: dict[str, set[str]] = {}
    for _, _, package, module, _ in _edges():
        parts = module.split(".")
        if package is None or len(parts) < 2 or parts[1] == package:
            continue
        target = parts[1]
        if LAYERS.get(target) == LAYERS.get(package) and target in LAYERS:
            graph.setdefault(package, set()).add(target)
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in stack:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif len(stack) < len(LAYERS):
                visit(nxt, [*stack, nxt])

    for start in sorted(graph):
        visit(start, [start])
    return cycles


def test_layer_table_covers_every_package() -> None:
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages - set(LAYERS) == set(), "give each new package a layer"


#: Private cross-package imports allowed for now: none (issue 12 took them from 26 to 0).
#: A new entry needs a reason; the test fails when an entry is no longer needed.
_KNOWN: set[tuple[str, str]] = set()


def _key(violation: str) -> tuple[str, str]:
    where, _, rest = violation.partition(":")
    return where, rest.split(" imports private ")[-1].split()[0]


def test_no_upward_or_private_cross_package_import() -> None:
    found = _violations()
    new = [v for v in found if " imports private " not in v or _key(v) not in _KNOWN]
    assert new == [], "\n".join(new)
    gone = _KNOWN - {_key(v) for v in found}
    assert gone == set(), f"remove these fixed imports from _KNOWN: {sorted(gone)}"


def test_no_cycle_within_a_layer() -> None:
    assert _same_layer_cycles() == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from driftline.cli import app\n", "upward import"),
        ("from driftline.profiles._build import infer_kind\n", "imports private"),
        ("from driftline.profiles import _build\n", "imports private"),
        ("def f():\n    from driftline.server import create_app\n", "upward import"),
    ],
)
def test_the_checker_catches(tmp_path: Path, source: str, expected: str) -> None:
    """The rule itself can fail: a planted violation in a stats module is reported."""
    global SRC
    fake = tmp_path / "driftline"
    (fake / "stats").mkdir(parents=True)
    (fake / "stats" / "__init__.py").write_text("")
    (fake / "stats" / "_bad.py").write_text(source)
    saved, SRC = SRC, fake
    try:
        found = _violations()
    finally:
        SRC = saved
    assert len(found) == 1
    assert expected in found[0]
