"""The quickstart's steps, in order; each adds findings, facts and a report section."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, roc_auc_score

from driftline.quickstart._story import Story
from driftline.report import Chart, Line, Stat, Table, Text, histogram_chart, line_chart
from driftline.report._document import Tone

__all__ = ["STEPS"]

Step = Callable[[Story, pd.DataFrame, pd.DataFrame, str], None]


def _score_tone(reference: pd.DataFrame, production: pd.DataFrame) -> Tone:
    return "warn" if production["score"].mean() > 1.2 * reference["score"].mean() else "ok"


def overview(story: Story, reference: pd.DataFrame, production: pd.DataFrame, target: str) -> None:
    """Volumes and the score distribution, reference vs production."""
    section = story.report.section("Overview")
    section.add(
        Stat("reference rows", f"{len(reference):,}"),
        Stat("production rows", f"{len(production):,}"),
        Stat(
            "mean score",
            f"{production['score'].mean():.3f}",
            note=f"reference {reference['score'].mean():.3f}",
            tone=_score_tone(reference, production),
        ),
    )
    edges = np.linspace(0.0, 1.0, 26)
    ref_counts, _ = np.histogram(reference["score"], bins=edges)
    cur_counts, _ = np.histogram(production["score"], bins=edges)
    section.add(
        Chart(
            histogram_chart(
                "Predicted probability of default",
                edges.tolist(),
                [("reference", ref_counts.tolist()), ("production", cur_counts.tolist())],
            ),
            caption="The model scores production applicants as riskier than the reference.",
        )
    )
    story.say(
        "overview",
        f"{len(reference):,} reference and {len(production):,} production predictions "
        f"over {production['week'].nunique()} weeks; mean score "
        f"{reference['score'].mean():.3f} -> {production['score'].mean():.3f}",
    )


def realized_performance(
    story: Story, reference: pd.DataFrame, production: pd.DataFrame, target: str
) -> None:
    """Performance once labels arrive, per production week."""
    weeks = sorted(production["week"].unique())
    ref_auc = float(roc_auc_score(reference[target], reference["score"]))
    aucs, accs = [], []
    for week in weeks:
        rows = production[production["week"] == week]
        aucs.append(float(roc_auc_score(rows[target], rows["score"])))
        accs.append(float(accuracy_score(rows[target], rows["score"] >= 0.5)))
    first, last = float(np.mean(aucs[:3])), float(np.mean(aucs[-3:]))
    tone: Tone = "fail" if ref_auc - last > 0.05 else "ok"
    section = story.report.section("Realized performance (after labels arrive)")
    section.add(
        Stat("reference ROC AUC", f"{ref_auc:.3f}"),
        Stat("last 3 weeks ROC AUC", f"{last:.3f}", note=f"first 3 weeks {first:.3f}", tone=tone),
        Chart(
            line_chart(
                "Weekly ROC AUC and accuracy",
                weeks,
                [Line("ROC AUC", aucs), Line("accuracy", accs, dashed=True)],
                y_label="metric",
            ),
            caption="Realized metrics need labels, which in lending arrive months later.",
        ),
        Table(
            ["week", "rows", "default rate", "ROC AUC", "accuracy"],
            [
                [
                    w,
                    f"{int((production['week'] == w).sum()):,}",
                    f"{production.loc[production['week'] == w, target].mean():.1%}",
                    f"{a:.3f}",
                    f"{c:.3f}",
                ]
                for w, a, c in zip(weeks, aucs, accs, strict=True)
            ],
        ),
        Text(
            "These numbers are only known once defaults are observed; driftline's "
            "estimated performance (coming next) flags the decay before that."
        ),
    )
    story.facts["realized_roc_auc"] = {
        "reference": ref_auc,
        "weekly": dict(zip(weeks, aucs, strict=True)),
    }
    story.say(
        "realized performance",
        f"ROC AUC {ref_auc:.3f} on reference -> {last:.3f} in the last 3 weeks "
        "(known only once labels arrive)",
        tone,
    )


STEPS: tuple[Step, ...] = (overview, realized_performance)
