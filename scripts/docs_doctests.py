"""Render doctest examples as code, and Sphinx roles as code, in the documentation site.

Docstrings and docs pages hold ``>>>`` examples (pytest runs them) outside code fences,
where Markdown would read ``[1055]`` as a link and join the lines into a paragraph. This
file wraps every run of doctest lines in a ``pycon`` fence, for mkdocs (a hook on each
page's Markdown) and for mkdocstrings (a griffe extension on each docstring). The text in
the repository is unchanged, so pytest keeps running the examples as written.
"""

from __future__ import annotations

import re
from typing import Any

try:  # griffe is there when mkdocstrings is; the hook alone needs nothing
    import griffe
except ImportError:  # pragma: no cover
    griffe = None


def fence_doctests(text: str) -> str:
    r"""Wrap each block of ``>>>`` lines and their output (up to a blank line) in a fence.

    >>> fence_doctests("Intro.\n\n>>> 1 + 1\n2\n\nAfter.").split("\n")
    ['Intro.', '', '```pycon', '>>> 1 + 1', '2', '```', '', 'After.']
    """
    out: list[str] = []
    in_fence = False
    in_block = False
    indent = ""
    for line in text.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")) and not in_block:
            in_fence = not in_fence
        elif not in_fence and not in_block and stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            out.append(f"{indent}```pycon")
            in_block = True
        elif in_block and not stripped:
            out.append(f"{indent}```")
            in_block = False
        out.append(line)
    if in_block:
        out.append(f"{indent}```")
    return "\n".join(out)


_ROLE = re.compile(r":(?:mod|func|class|meth|attr|data|exc|obj):`(~?)([^`]+)`")


def plain_roles(text: str) -> str:
    """Sphinx cross-reference roles as code: ``:func:`~a.b``` becomes ```b```.

    >>> plain_roles("see :class:`~driftline.drift.DriftReport` and :mod:`driftline.stats`")
    'see `DriftReport` and `driftline.stats`'
    """
    return _ROLE.sub(lambda m: f"`{m[2].rsplit('.', 1)[-1] if m[1] else m[2]}`", text)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """mkdocs hook: fence the doctests of a docs page."""
    return fence_doctests(markdown)


if griffe is not None:

    class FenceDoctests(griffe.Extension):  # type: ignore[misc]
        """griffe extension: fence the doctests of every docstring."""

        def on_instance(self, *, obj: Any, **_: Any) -> None:
            if obj.docstring is not None:
                obj.docstring.value = plain_roles(fence_doctests(obj.docstring.value))
