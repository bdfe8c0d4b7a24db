"""The quickstart's steps, in order; each adds findings, facts and a report section."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from driftline.quickstart._live import live_monitoring
from driftline.quickstart._scenario import FEATURES
from driftline.quickstart._story import Story
from driftline.report import (
    Band,
    Block,
    Callout,
    Chart,
    Line,
    Stat,
    Table,
    Text,
    Tone,
    bar_chart,
    format_count,
    format_number,
    format_p_value,
    format_percent,
    histogram_chart,
    line_chart,
)

if TYPE_CHECKING:
    from driftline.drift import DriftReport
    from driftline.gate import GateReport
    from driftline.profiles import QualityReport

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


def estimated_performance(
    story: Story, reference: pd.DataFrame, production: pd.DataFrame, target: str
) -> None:
    """CBPE: accuracy, F1 and ROC AUC per production week from scores alone."""
    from driftline.estimate import CBPE

    cbpe = CBPE(metrics=("accuracy", "f1", "roc_auc"), chunk_size=_rows_per_week(production))
    cbpe.fit(reference, y_score="score", y_true=target, features=list(FEATURES))
    estimated = cbpe.estimate(production)
    weeks = sorted(production["week"].unique())[: len(estimated.chunks)]
    acc = [c.metric("accuracy") for c in estimated.chunks]
    auc = [c.metric("roc_auc") for c in estimated.chunks]
    first_alert = next((w for w, m in zip(weeks, acc, strict=True) if m.alert), None)
    # Weeks later, labels arrive: how good was the estimate?
    checked = estimated.compare(production[target].to_numpy())
    realized = [c.metric("accuracy").realized for c in checked.chunks]
    section = story.report.section("Estimated performance (before labels arrive)")
    lower = acc[0].reference_lower
    section.add(
        Stat(
            "first estimated-accuracy alert",
            first_alert or "none",
            note="estimate below the reference band" if first_alert else "",
            tone="fail" if first_alert else "ok",
        ),
        Stat(
            f"estimated accuracy in {weeks[-1]}",
            f"{acc[-1].value:.3f}",
            note=f"95% band {acc[-1].lower:.3f}–{acc[-1].upper:.3f}; reference {acc[0].value:.3f}",
        ),
        Chart(
            line_chart(
                "Accuracy: estimated from scores (CBPE) vs realized once labels arrived",
                weeks,
                [
                    Line("estimated (no labels)", [m.value for m in acc]),
                    Line("realized (labels, weeks later)", list(realized), dashed=True),
                    Line("reference band, lower edge", [lower] * len(acc) if lower else []),
                ],
                y_label="accuracy",
                bands=[Band("estimate 95% band", [m.lower for m in acc], [m.upper for m in acc])],
            ),
            caption="CBPE turns calibrated scores into expected confusion matrices and needs no "
            "labels: as applicants move toward the decision threshold, expected accuracy falls.",
        ),
        Text(
            f"Estimated ROC AUC stays near {auc[-1].value:.3f}: the ranking loss in this demo "
            "comes from concept shift (new risk factors), which no label-free method can see. "
            "The estimate's assumption checks say so: covariates outside the reference "
            "before labels, a calibration shift once labels arrive:"
        ),
        *[Text(f"{w.check} ({w.severity}): {w.message}") for w in checked.warnings[:3]],
    )
    story.facts["estimated_accuracy"] = {
        "weekly": {w: m.value for w, m in zip(weeks, acc, strict=True)},
        "first_alert": first_alert,
        "warnings_after_labels": [w.check for w in checked.warnings],
    }
    story.say(
        "estimated performance",
        f"CBPE estimated accuracy {acc[0].value:.3f} -> {acc[-1].value:.3f} from scores alone"
        + (f"; first alert in {first_alert}, before any label" if first_alert else "; no alert"),
        "fail" if first_alert else "ok",
    )
    if any(w.check == "calibration_shift" for w in checked.warnings):
        story.say(
            "estimated performance",
            "once labels arrived: calibration shift detected (concept shift: the estimate "
            "was too optimistic)",
            "warn",
        )


def _rows_per_week(production: pd.DataFrame) -> int:
    return int(production.groupby("week").size().max())


def realized_performance(
    story: Story, reference: pd.DataFrame, production: pd.DataFrame, target: str
) -> None:
    """Performance once labels arrive, per production week, with confidence intervals."""
    from driftline.metrics import accuracy, roc_auc

    weeks = sorted(production["week"].unique())
    ref_auc = roc_auc(reference[target], reference["score"])
    aucs, accs = [], []
    for week in weeks:
        rows = production[production["week"] == week]
        aucs.append(roc_auc(rows[target], rows["score"]))
        accs.append(accuracy(rows[target], (rows["score"] >= 0.5).astype(int)))
    last = aucs[-1]
    decayed = last.ci_high < ref_auc.ci_low
    tone: Tone = "fail" if decayed else "ok"
    section = story.report.section("Realized performance (after labels arrive)")
    section.add(
        Stat(
            "reference ROC AUC",
            f"{ref_auc.value:.3f}",
            note=f"95% CI {ref_auc.ci_low:.3f}–{ref_auc.ci_high:.3f}",
        ),
        Stat(
            f"ROC AUC in {weeks[-1]}",
            f"{last.value:.3f}",
            note=f"95% CI {last.ci_low:.3f}–{last.ci_high:.3f}",
            tone=tone,
        ),
        Chart(
            line_chart(
                "Weekly ROC AUC (DeLong 95% band) and accuracy",
                weeks,
                [
                    Line("ROC AUC", [a.value for a in aucs]),
                    Line("accuracy", [a.value for a in accs], dashed=True),
                ],
                y_label="metric",
                bands=[Band("ROC AUC 95% CI", [a.ci_low for a in aucs], [a.ci_high for a in aucs])],
            ),
            caption="Realized metrics need labels, which in lending arrive months later.",
        ),
        Table(
            ["week", "rows", "default rate", "ROC AUC [95% CI]", "accuracy [95% CI]"],
            [
                [
                    w,
                    f"{int((production['week'] == w).sum()):,}",
                    f"{production.loc[production['week'] == w, target].mean():.1%}",
                    f"{a.value:.3f} [{a.ci_low:.3f}, {a.ci_high:.3f}]",
                    f"{c.value:.3f} [{c.ci_low:.3f}, {c.ci_high:.3f}]",
                ]
                for w, a, c in zip(weeks, aucs, accs, strict=True)
            ],
        ),
    )
    story.facts["realized_roc_auc"] = {
        "reference": ref_auc.value,
        "weekly": {w: a.value for w, a in zip(weeks, aucs, strict=True)},
        "weekly_ci": {w: [a.ci_low, a.ci_high] for w, a in zip(weeks, aucs, strict=True)},
    }
    story.say(
        "realized performance",
        f"ROC AUC {ref_auc.value:.3f} on reference -> {last.value:.3f} "
        f"[{last.ci_low:.3f}, {last.ci_high:.3f}] in {weeks[-1]} "
        "(known only once labels arrive)",
        tone,
    )


def worst_slice(
    story: Story, reference: pd.DataFrame, production: pd.DataFrame, target: str
) -> None:
    """The slices of the last four weeks where the model is significantly worse."""
    from driftline.metrics import find_worst_slices

    weeks = sorted(production["week"].unique())
    recent = production[production["week"].isin(weeks[-4:])]
    found = find_worst_slices(
        recent[list(FEATURES)],
        recent[target],
        y_pred=(recent["score"] >= 0.5).astype(int),
        metric="accuracy",
        min_support=200,
        random_state=0,
    )
    section = story.report.section("Worst slices, last 4 weeks (after labels arrive)")
    significant = found.significant()
    if not significant:
        section.add(Text("No slice is significantly worse than the rest."))
        story.say("worst slice", "no slice is significantly worse than the rest", "ok")
        return
    rows = [
        [
            r.description,
            f"{r.support:,}",
            f"{r.metric.value:.3f} [{r.metric.ci_low:.3f}, {r.metric.ci_high:.3f}]",
            f"{r.rest.value:.3f}",
            f"{r.q_value:.2g}",
        ]
        for r in significant[:8]
    ]
    section.add(
        Table(["slice", "rows", "accuracy [95% CI]", "rest", "q (BH)"], rows),
        Text(
            "Each slice is tested against the rest of the rows; q-values are "
            "Benjamini–Hochberg adjusted across all slices tried."
        ),
    )
    top = significant[0]
    story.facts["worst_slice"] = top.to_dict()
    story.say(
        "worst slice",
        f"{top.description}: accuracy {top.metric.value:.3f} vs {top.rest.value:.3f} "
        f"elsewhere ({top.support:,} rows, q={top.q_value:.2g})",
        "warn",
    )


_SEVERITY_TONES: dict[str, Tone | None] = {"error": "fail", "warning": "warn", "info": None}


def _quality_tone(quality: QualityReport) -> Tone:
    severities = {f.severity for f in quality.findings}
    return "fail" if "error" in severities else ("warn" if "warning" in severities else "ok")


def _profile_row(column: object) -> list[str]:
    from driftline.profiles import CategoricalProfile, NumericProfile

    name = str(getattr(column, "name", ""))
    kind = str(getattr(column, "kind", ""))
    missing = format_percent(float(getattr(column, "missing_rate", 0.0)))
    if isinstance(column, NumericProfile):
        p50, p99 = column.quantiles([0.5, 0.99])
        text = (
            f"mean {format_number(column.mean)}, sd {format_number(column.std)}, "
            f"median {format_number(p50)}, p99 {format_number(p99)}"
        )
    elif isinstance(column, CategoricalProfile):
        top = ", ".join(
            f"{k} {format_percent(v / max(column.count, 1), decimals=0)}"
            for k, v in column.frequent.top(3)
        )
        text = f"{format_number(column.distinct)} distinct; top: {top}"
    else:
        text = ""
    return [name, kind, missing, text]


def data_quality(
    story: Story, reference: pd.DataFrame, production: pd.DataFrame, target: str
) -> None:
    """Profile both periods (mergeable, bounded) and check production's quality."""
    from driftline.profiles import check_quality, profile

    columns = [*FEATURES, "score"]
    weeks = sorted(production["week"].unique())
    # Profiles merge: the production profile is the sum of the weekly ones.
    weekly = [profile(production[production["week"] == w], columns=columns) for w in weeks]
    current = weekly[0]
    for week_profile in weekly[1:]:
        current = current + week_profile
    baseline = profile(reference, columns=columns)
    quality = check_quality(current, baseline)
    path = story.out_dir / "production.dlprof"
    path.write_bytes(current.to_bytes())
    story.files["production_profile"] = path
    section = story.report.section("Data profile and quality (no labels needed)")
    section.add(
        Stat("columns profiled", str(len(columns))),
        Stat("quality findings", str(len(quality.findings)), tone=_quality_tone(quality)),
        Stat(
            "profile size",
            f"{path.stat().st_size / 1024:.0f} KiB",
            note=f"for {current.n_rows:,} rows; merged from {len(weekly)} weekly profiles",
        ),
        Table(
            ["column", "finding", "severity", "what"],
            [[f.column, f.kind, f.severity, f.message] for f in quality.findings],
            tones=[_SEVERITY_TONES[f.severity] for f in quality.findings],
        ),
        Table(["column", "kind", "missing", "summary"], [_profile_row(c) for c in current.columns]),
    )
    story.facts["quality"] = [f.to_dict() for f in quality.findings]
    story.say(
        "data quality",
        f"profiled {current.n_rows:,} production rows into {path.stat().st_size / 1024:.0f} KiB "
        f"(merged from {len(weekly)} weekly profiles); "
        f"{format_count(len(quality.findings), 'finding')}",
        _quality_tone(quality),
    )
    for finding in quality.findings:
        story.say(
            "data quality",
            f"{finding.column}: {finding.message}",
            _SEVERITY_TONES[finding.severity] or "info",
        )


def data_drift(
    story: Story, reference: pd.DataFrame, production: pd.DataFrame, target: str
) -> None:
    """Drift per production week, and the full drift report of the last four weeks."""
    from driftline.drift import DriftDetector

    columns = [*FEATURES, "score"]
    detector = DriftDetector(columns=columns).fit(reference)
    weeks = sorted(production["week"].unique())
    counts = []
    for week in weeks:
        weekly = detector.compare(production[production["week"] == week])
        counts.append(len(weekly.drifted_columns))
    first = next((w for w, c in zip(weeks, counts, strict=True) if c > 0), None)
    recent = production[production["week"].isin(weeks[-4:])]
    report = detector.compare(recent)
    drift_path = story.out_dir / "drift.html"
    report.to_html(drift_path)
    section = story.report.section("Data drift (no labels needed)")
    section.add(
        Stat(
            "drifted columns, last 4 weeks",
            f"{len(report.drifted_columns)} of {len(report.columns)}",
            tone="fail" if report.drifted else "ok",
        ),
        Stat("first week with drift", first or "none", tone="warn" if first else "ok"),
        Chart(
            line_chart(
                "Drifted columns per production week",
                weeks,
                [Line("drifted columns", [float(c) for c in counts])],
                y_label="columns",
                y_format="integer",
            ),
            caption="Each week is compared with the reference period; FDR-controlled tests "
            "plus effect-size thresholds keep quiet weeks quiet.",
        ),
    )
    section.add(*_drift_blocks(report))
    story.files["drift_report"] = drift_path
    story.facts["drift"] = {
        "first_week": first,
        "drifted_columns_per_week": dict(zip(weeks, counts, strict=True)),
        "last_4_weeks": report.drifted_columns,
    }
    story.say(
        "data drift",
        f"first drift in week {first}; in the last 4 weeks "
        f"{len(report.drifted_columns)} of {len(report.columns)} columns drifted",
        "fail" if report.drifted else "ok",
    )
    for name in report.drifted_columns:
        story.say("data drift", f"{name}: {report.columns[name].explanation}", "warn")


def _drift_blocks(report: DriftReport) -> list[Block]:
    """The per-column table and the drifted columns' charts, from the report's data."""
    ordered = sorted(report.columns.values(), key=lambda c: (not c.drifted, c.column))
    blocks: list[Block] = [
        Table(
            ["column", "method", "p (adjusted)", "effect", "threshold", "drifted", "what changed"],
            [
                [c.column, c.method, format_p_value(c.p_value_adjusted),
                 f"{c.effect_name} {format_number(c.effect_size)}",
                 f">= {format_number(c.threshold)}", "yes" if c.drifted else "no",
                 c.explanation if c.drifted else ""]
                for c in ordered
            ],
            tones=["fail" if c.drifted else None for c in ordered],
            numeric=(2,),
        )
    ]  # fmt: skip
    for name in report.drifted_columns:
        col = report.columns[name]
        chart, title = col.chart, f"{name}: reference vs current"
        series = [("reference", chart.get("reference", [])), ("current", chart.get("current", []))]
        if chart.get("type") == "histogram":
            svg = histogram_chart(title, chart["edges"], series)
        else:
            svg = bar_chart(title, chart.get("categories", []), series, y_label="share of rows")
        blocks.append(Chart(svg, caption=col.explanation))
    return blocks


def streaming_alarm(
    story: Story, reference: pd.DataFrame, production: pd.DataFrame, target: str
) -> None:
    """A CUSUM on the mean score of each batch of predictions, as they stream in."""
    from driftline.drift import CUSUM

    batch = 250
    scores = production["score"].to_numpy()
    usable = len(scores) // batch * batch
    means = scores[:usable].reshape(-1, batch).mean(axis=1)
    mean, sd = float(reference["score"].mean()), float(reference["score"].std())
    detector = CUSUM(mean=mean, sd=sd / np.sqrt(batch), k=0.5, h=8.0, mode="up")
    detector.update_many(means)
    section = story.report.section("Streaming alarm on the score (no labels needed)")
    if not detector.detections:
        story.say("streaming alarm", "CUSUM on the batch mean score raised no alarm", "ok")
        section.add(Text("CUSUM on the mean score of each 250 predictions raised no alarm."))
        return
    first = detector.detections[0]
    rows = (first + 1) * batch
    week = str(production["week"].iloc[rows - 1])
    when = production["timestamp"].iloc[rows - 1]
    section.add(
        Stat("first alarm", week, note=f"after {rows:,} production predictions", tone="warn"),
        Chart(
            line_chart(
                f"Mean score of each {batch} predictions",
                [str(production["week"].iloc[(i + 1) * batch - 1]) for i in range(len(means))],
                [Line("batch mean score", means.tolist())],
                y_label="mean score",
                markers=[(first, "CUSUM alarm")],
            ),
            caption=f"CUSUM (k = 0.5, h = 8 standard errors) against the reference mean "
            f"{mean:.3f}; it raises an alarm as soon as the mean score drifts up.",
        ),
    )
    story.facts["streaming_alarm"] = {"week": week, "after_rows": rows, "at": str(when)}
    story.say(
        "streaming alarm",
        f"CUSUM on the batch mean score alarmed in week {week}, after {rows:,} "
        "production predictions",
        "warn",
    )


def gate(story: Story, reference: pd.DataFrame, production: pd.DataFrame, target: str) -> None:
    """Retrain on fresher labelled weeks and gate the candidate against the production model."""
    from driftline.gate import run
    from driftline.quickstart._model import train_model

    weeks = sorted(production["week"].unique())
    fresh = production[production["week"].isin(weeks[-6:-2])]
    holdout = production[production["week"].isin(weeks[-2:])]
    candidate = train_model(fresh, target, seed=1)
    policy = {
        "name": "credit model promotion",
        "target": target,
        "features": list(FEATURES),
        "checks": [
            "roc_auc >= 0.70",
            {"kind": "champion", "metric": "roc_auc", "margin": 0.01},
            {"kind": "calibration", "max_ece": 0.05, "severity": "warn"},
            {
                "kind": "slices",
                "metric": "accuracy",
                "min_support": 200,
                "min_value": 0.6,
                "severity": "warn",
            },
            {"kind": "train_overlap", "max_share": 0.0},
            {"kind": "latency", "p95_ms": 50, "severity": "warn"},
        ],
    }
    columns = [*FEATURES, target]
    report = run(
        policy,
        candidate=candidate,
        champion=story.champion,
        data=holdout[columns],
        train_data=fresh[columns],
    )
    html = report.to_html(story.out_dir / "gate.html")
    (story.out_dir / "gate.md").write_text(report.to_markdown(), encoding="utf-8")
    (story.out_dir / "gate.junit.xml").write_text(report.to_junit(), encoding="utf-8")
    story.files["gate_report"] = html
    show_gate(
        story,
        report,
        f"Candidate trained on {len(fresh):,} labelled rows of {weeks[-6]}–{weeks[-3]}; "
        f"both models evaluated on the held-out weeks {weeks[-2]}–{weeks[-1]} "
        f"({len(holdout):,} rows). Full report: {html.name}, PR comment: gate.md, "
        "JUnit: gate.junit.xml.",
    )


def show_gate(story: Story, report: GateReport, context: str) -> None:
    """The gate's section and terminal lines: the verdict's tone is its own (WARN is
    amber, never green)."""
    tone = _STATUS_TONES[report.verdict]
    section = story.report.section("Deployment gate: retrained candidate vs production model")
    section.add(
        Callout(report.headline(), tone),
        Text(context),
        Table(
            ["check", "status", "observed", "reason"],
            [[c.name, c.status.upper(), _observed(c.observed), c.reason] for c in report.checks],
            tones=[_STATUS_TONES[c.status] for c in report.checks],
            numeric=(2,),
        ),
    )
    story.facts["gate"] = {"verdict": report.verdict, "checks": len(report.checks)}
    path = story.files.get("gate_report")
    story.say("gate", report.headline() + (f"; report {path}" if path else ""), tone)
    for check in report.checks:
        if check.status != "pass":
            story.say("gate", f"{check.name}: {check.reason}", _STATUS_TONES[check.status])


_STATUS_TONES: dict[str, Tone] = {
    "pass": "ok",
    "warn": "warn",
    "fail": "fail",
    "not_evaluated": "warn",
}


def _observed(value: object) -> str:
    return format_number(value, digits=4)


STEPS: tuple[Step, ...] = (
    overview,
    data_quality,
    data_drift,
    streaming_alarm,
    estimated_performance,
    realized_performance,
    worst_slice,
    gate,
    live_monitoring,
)
