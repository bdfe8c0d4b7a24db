"""The documentation site covers every public package and every docs page.

CI builds the site with ``mkdocs build --strict`` (a broken link, anchor or docstring
reference fails it); this test keeps ``mkdocs.yml`` in step with the code and the pages.
"""

from __future__ import annotations

import pkgutil
from pathlib import Path

import yaml

import driftline

ROOT = Path(__file__).resolve().parents[1]


def _nav_files(node: object) -> set[str]:
    if isinstance(node, str):
        return {node}
    if isinstance(node, list):
        return set().union(*(_nav_files(n) for n in node)) if node else set()
    if isinstance(node, dict):
        return set().union(*(_nav_files(v) for v in node.values())) if node else set()
    return set()


def _config() -> dict[str, object]:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    loaded = yaml.safe_load(text)
    assert isinstance(loaded, dict)
    return loaded


def test_every_public_package_has_a_reference_page() -> None:
    packages = {
        info.name
        for info in pkgutil.iter_modules(driftline.__path__)
        if info.ispkg and not info.name.startswith("_")
    }
    entry_points = {"cli", "quickstart"}  # documented in docs/cli.md and getting-started
    nav = _nav_files(_config()["nav"])
    for name in sorted(packages - entry_points):
        page = f"reference/{name}.md"
        assert (ROOT / "docs" / page).exists(), f"docs/{page} is missing"
        assert f"::: driftline.{name}" in (ROOT / "docs" / page).read_text(encoding="utf-8")
        assert page in nav, f"{page} is not in mkdocs.yml's nav"


def test_every_docs_page_is_in_the_nav() -> None:
    nav = _nav_files(_config()["nav"])
    pages = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")}
    assert pages - nav == set()
