"""The metric registry: every entry against scikit-learn, its direction, and every consumer
reads it (a metric registered at run time is accepted everywhere; no other module keeps
its own list of metric names)."""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from driftline.exceptions import ParameterError
from driftline.metrics import (
    METRICS,
    MetricResult,
    MetricSpec,
    compare_metric,
    evaluate,
    find_worst_slices,
    get_metric,
)
from driftline.metrics._losses import absolute_error
from driftline.metrics._registry import register, unregister

SRC = Path(__file__).resolve().parents[2] / "src" / "driftline"


def _ece(y: np.ndarray, p: np.ndarray, n_bins: int = 15) -> float:
    """Plain equal-mass ECE, written out (no scikit-learn counterpart)."""
    order = np.argsort(p, kind="stable")
    bins = np.empty(p.size, dtype=int)
    bins[order] = np.arange(p.size) * n_bins // p.size
    return float(
        sum(abs(y[bins == b].mean() - p[bins == b].mean()) * (bins == b).mean()
            for b in range(n_bins) if (bins == b).any())
    )  # fmt: skip


def _top_label_ece(y: np.ndarray, p: np.ndarray) -> float:
    return _ece((p.argmax(axis=1) == y).astype(float), p.max(axis=1))


# One reference per registered metric: adding a metric without a reference fails below.
REFERENCE: dict[str, tuple[str, Callable[[Any, Any], float]]] = {
    "roc_auc": ("score", skm.roc_auc_score),
    "f1": ("pred", skm.f1_score),
    "precision": ("pred", skm.precision_score),
    "recall": ("pred", skm.recall_score),
    "accuracy": ("pred", skm.accuracy_score),
    "specificity": ("pred", functools.partial(skm.recall_score, pos_label=0)),
    "mae": ("pred", skm.mean_absolute_error),
    "rmse": ("pred", skm.root_mean_squared_error),
    "mape": ("pred", skm.mean_absolute_percentage_error),
    "average_precision": ("score", skm.average_precision_score),
    "log_loss": ("score", skm.log_loss),
    "brier": ("score", skm.brier_score_loss),
    "ece_quantile": ("score", _ece),
    "r2": ("pred", skm.r2_score),
    "roc_auc_ovr_macro": ("score", functools.partial(skm.roc_auc_score, multi_class="ovr")),
    "ece_top_label": ("score", _top_label_ece),
    "precision_macro": ("pred", functools.partial(skm.precision_score, average="macro")),
    "precision_weighted": ("pred", functools.partial(skm.precision_score, average="weighted")),
    "recall_macro": ("pred", functools.partial(skm.recall_score, average="macro")),
    "recall_weighted": ("pred", functools.partial(skm.recall_score, average="weighted")),
    "f1_macro": ("pred", functools.partial(skm.f1_score, average="macro")),
    "f1_weighted": ("pred", functools.partial(skm.f1_score, average="weighted")),
}


def _data(task: str, good: bool, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(y, scores, predictions): a good model (informative, calibrated) or a bad one."""
    rng = np.random.default_rng(seed)
    n = 3000
    if task == "binary":
        p = rng.beta(0.4, 0.4, n) if good else rng.uniform(0, 1, n)
        truth = rng.beta(0.4, 0.4, n) if not good else p
        y = (rng.random(n) < truth).astype(int)
        return y, p, (p >= 0.5).astype(int)
    if task == "multiclass":
        p = rng.dirichlet([0.3, 0.3, 0.3], n) if good else rng.dirichlet([1, 1, 1], n)
        truth = p if good else rng.dirichlet([0.3, 0.3, 0.3], n)
        y = (rng.random(n)[:, None] > truth.cumsum(axis=1)).sum(axis=1).clip(0, 2)
        return y, p, p.argmax(axis=1)
    y = rng.normal(10, 2, n)
    pred = y + rng.normal(0, 0.5 if good else 3.0, n)
    return y, pred, pred


def test_every_metric_has_a_reference() -> None:
    assert set(REFERENCE) == set(METRICS)


@pytest.mark.parametrize("name", list(METRICS))
def test_every_entry_equals_its_reference(name: str) -> None:
    spec = METRICS[name]
    assert spec.name == name
    assert spec.tasks
    assert spec.tasks <= {"binary", "multiclass", "regression"}
    kind, ref = REFERENCE[name]
    assert (kind == "score") == spec.needs_scores
    for task in sorted(spec.tasks):
        y, s, pred = _data(task, good=True)
        x = s if spec.needs_scores else pred
        got = spec.compute(y, x, labels=[0, 1, 2] if task == "multiclass" else None,
                           n_resamples=200, random_state=0)  # fmt: skip
        assert got.name == name
        assert got.value == pytest.approx(ref(y, x), abs=1e-10), task
        assert got.ci_low <= got.value <= got.ci_high


@pytest.mark.parametrize("name", list(METRICS))
def test_direction_of_every_entry(name: str) -> None:
    """A good model scores better than a bad one in the registered direction (the alerts'
    old list had the opposite polarity of the gate's)."""
    spec = METRICS[name]
    for task in sorted(spec.tasks):
        values = []
        for good in (True, False):
            y, s, pred = _data(task, good=good, seed=1)
            values.append(
                spec.compute(y, s if spec.needs_scores else pred, n_resamples=100,
                             random_state=0).value
            )  # fmt: skip
        assert (values[0] > values[1]) == spec.greater_is_better, (task, values)


def test_unknown_name_lists_the_known_ones_with_a_suggestion() -> None:
    with pytest.raises(ParameterError, match=r"did you mean 'f1_macro'\? Known metrics: roc_auc"):
        get_metric("f1_marco")
    with pytest.raises(ParameterError, match="Unknown metric 'zzz'; Known metrics"):
        get_metric("zzz")


def test_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        METRICS["x"] = METRICS["f1"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        METRICS["f1"].greater_is_better = False  # type: ignore[misc]


# ------------------------------------------------------------- a metric added at run time
def _median_ae(y_true: Any, y_pred: Any, *, confidence: float = 0.95, **_: Any) -> MetricResult:
    """Median absolute error (a throw-away metric for the test)."""
    e = np.abs(np.asarray(y_true, float) - np.asarray(y_pred, float))
    v = float(np.median(e))
    return MetricResult("median_ae_tmp", v, v, v, confidence, "none", e.size)


def _youden(y_true: Any, y_pred: Any, *, confidence: float = 0.95, **_: Any) -> MetricResult:
    """Youden's J = recall + specificity - 1 (a throw-away metric for the test)."""
    y, p = np.asarray(y_true), np.asarray(y_pred)
    v = float(p[y == 1].mean() - p[y == 0].mean())
    return MetricResult("youden_tmp", v, v, v, confidence, "none", y.size)


@pytest.fixture
def temporary() -> Iterator[tuple[MetricSpec, MetricSpec]]:
    reg = MetricSpec(name="median_ae_tmp", function=_median_ae, greater_is_better=False,
                     needs_scores=False, needs_labels=True, tasks=frozenset({"regression"}),
                     estimable=False, row_loss=absolute_error, comparison="loss")  # fmt: skip
    cls = MetricSpec(name="youden_tmp", function=_youden, greater_is_better=True,
                     needs_scores=False, needs_labels=True, tasks=frozenset({"binary"}),
                     estimable=True)  # fmt: skip
    register(reg)
    register(cls)
    try:
        yield reg, cls
    finally:
        unregister(reg.name)
        unregister(cls.name)


def test_a_registered_metric_is_accepted_by_every_consumer(
    temporary: tuple[MetricSpec, MetricSpec],
) -> None:
    from driftline.alerts import RuleSpec, check_rule
    from driftline.alerts._evaluate import EvaluationContext
    from driftline.estimate import CBPE, DLE
    from driftline.gate import Policy, run

    assert temporary[0].name in METRICS
    # evaluate: every registered metric of the task is reported
    y, _, pred = _data("regression", good=True)
    assert evaluate(y, y_pred=pred, task="regression")["median_ae_tmp"].value == pytest.approx(
        np.median(np.abs(y - pred))
    )
    yb, sb, _ = _data("binary", good=True)
    assert "youden_tmp" in evaluate(yb, sb, task="binary").metrics
    # compare_metric: a loss with a row loss is compared by the delta method
    assert compare_metric(y, pred, pred + 1, metric="median_ae_tmp").method == "delta"
    # slices: a row loss is tested with the Welch t-test
    rep = find_worst_slices({"x": np.arange(y.size) % 3}, y, y_pred=pred, metric="median_ae_tmp")
    assert rep.metric == "median_ae_tmp"
    assert rep.higher_is_better is False
    # the gate's policy: metric checks, champion checks (only comparable metrics), short forms
    pol = Policy.from_dict({"task": "regression", "checks": [
        {"kind": "metric", "metric": "median_ae_tmp", "max": 1.0},
        "median_ae_tmp <= champion + 0.1",
    ]})  # fmt: skip
    assert [c.kind for c in pol.checks] == ["metric", "champion"]
    with pytest.raises(ParameterError, match="no paired comparison"):
        Policy.from_dict({"checks": [{"kind": "champion", "metric": "youden_tmp"}]})

    class Reg:
        def predict(self, x: pd.DataFrame) -> np.ndarray:
            return np.asarray(pred[x.index.to_numpy()])

    frame = pd.DataFrame({"f": np.zeros(y.size), "y": y})
    gate = run({"task": "regression", "target": "y", "checks": [
        {"kind": "metric", "metric": "median_ae_tmp", "max": 1.0}]}, candidate=Reg(), data=frame)  # fmt: skip
    assert gate.checks[0].observed == pytest.approx(np.median(np.abs(y - pred)))
    # CBPE / DLE: the metric check accepts an estimable metric, refuses the others
    assert "youden_tmp" in CBPE(metrics=["roc_auc", "youden_tmp"]).metrics
    with pytest.raises(ParameterError, match="can estimate"):
        DLE(metrics=["median_ae_tmp"])
    # alert rules: realized rules take any registered metric, estimated only estimable ones;
    # the direction of a band comes from the registry
    RuleSpec(name="r", kind="realized_metric",
             config={"metric": "median_ae_tmp", "op": ">", "threshold": 1.0})  # fmt: skip
    with pytest.raises(ValueError, match=r"must be one of .*; got 'median_ae_tmp'"):
        RuleSpec(name="e", kind="estimated_metric", config={"metric": "median_ae_tmp"})
    register(MetricSpec(name="median_ae_tmp", function=_median_ae, greater_is_better=False,
                        needs_scores=False, needs_labels=True, tasks=frozenset({"regression"}),
                        estimable=True))  # fmt: skip
    rule = RuleSpec(name="e", kind="estimated_metric", config={"metric": "median_ae_tmp"})
    results = {"window": {"key": 1, "start": "2026-11-20T13:00:00+00:00", "end": None,
                          "status": "open"},
               "estimated": {"method": "DLE", "metrics": {"median_ae_tmp": {
                   "value": 2.0, "lower": 1.8, "upper": 2.2, "band_lower": 0.5,
                   "band_upper": 1.0, "alert": True}}}}  # fmt: skip
    firing = check_rule(rule, results, EvaluationContext(version_id="v1")).firing
    assert firing is not None
    assert "above its band" in firing.message  # lower is better: the bad side is above


# ------------------------------------------------------- no other list of metric names
def _name_lists(root: Path, names: set[str]) -> list[str]:
    """``file:line`` of each literal in ``root`` (outside ``metrics/``) that lists three or
    more metric names: a tuple/list/set assigned at module or class level, the keys of a
    dict literal, or a ``Literal[...]`` type."""
    found = []
    for path in sorted(root.rglob("*.py")):
        if "metrics" in path.relative_to(root).parts[:1]:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        candidates: list[tuple[int, list[ast.expr | None]]] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                candidates.append((node.lineno, list(node.keys)))
            elif isinstance(node, ast.Subscript) and getattr(node.value, "id", None) == "Literal":
                elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
                candidates.append((node.lineno, list(elts)))
        for scope in [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef))]:
            for stmt in scope.body:
                value = stmt.value if isinstance(stmt, ast.Assign | ast.AnnAssign) else None
                nodes = ast.walk(value) if value is not None else ()
                candidates.extend(
                    (node.lineno, list(node.elts))
                    for node in nodes
                    if isinstance(node, ast.Tuple | ast.List | ast.Set)
                )
        lines = {}
        for line, elts in candidates:
            hits = {e.value for e in elts if isinstance(e, ast.Constant) and e.value in names}
            if len(hits) >= 3:
                lines[line] = sorted(hits)
        found += [f"{path.relative_to(root)}:{n} {lines[n]}" for n in sorted(lines)]
    return found


def test_no_module_outside_metrics_lists_metric_names() -> None:
    assert _name_lists(SRC, set(METRICS)) == []


def test_the_name_list_scan_finds_lists(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(
        'from typing import Literal\nX = ("roc_auc", "f1", "mae")\n'
        'M = Literal["roc_auc", "log_loss", "brier"]\n'
        'def f():\n    return {"roc_auc": 1, "f1": 2, "recall": 3}\n'
        'def g():\n    return ("roc_auc", "f1", "mae")  # a call-site choice: allowed\n'
    )
    assert [x.split(" ")[0] for x in _name_lists(tmp_path, set(METRICS))] == [
        "pkg/a.py:2", "pkg/a.py:3", "pkg/a.py:5",
    ]  # fmt: skip
