"""Collects what each quickstart step found: terminal lines, report sections and facts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftline.report import Report, Tone

__all__ = ["Finding", "Story"]


@dataclass(frozen=True)
class Finding:
    """One line of the terminal summary, under a step's heading."""

    step: str
    text: str
    tone: Tone = "info"

    def to_dict(self) -> dict[str, str]:
        """Return the finding as a plain dict."""
        return {"step": self.step, "text": self.text, "tone": self.tone}


@dataclass
class Story:
    """The quickstart's accumulating output."""

    report: Report
    out_dir: Path
    champion: Any = None
    train: Any = None
    files: dict[str, Path] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def say(self, step: str, text: str, tone: Tone = "info") -> None:
        """Add a line to the terminal summary."""
        self.findings.append(Finding(step, text, tone))
