"""``driftline.gate.run``: load the inputs, run every check of the policy, build the report."""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import time
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from driftline._version import __version__
from driftline.exceptions import ParameterError, SchemaMismatchError
from driftline.gate._context import GateContext
from driftline.gate._models import LoadedModel, _sha256_file, load_model
from driftline.gate._policy import Policy, load_policy
from driftline.gate._registry import CheckOutcome
from driftline.gate._report import CheckResult, GateReport, Status, Verdict

if TYPE_CHECKING:
    from driftline.tabular import CsvOptions

__all__ = ["run"]


def _load_data(
    data: Any, what: str, schema: Mapping[str, str] | None, csv: CsvOptions | None
) -> tuple[pd.DataFrame, str]:
    """A pandas frame of ``data`` and its sha256 (of the file, or of its Arrow IPC bytes).

    Files are read by :func:`driftline.tabular.read_table` (typed columns, empty CSV
    cells missing in every column), so a CSV and a Parquet file of the same rows reach
    the model alike.
    """
    from driftline.tabular import read_table, to_table

    if isinstance(data, str | os.PathLike):
        path = Path(data)
        if not path.is_file():
            raise ParameterError(f"The {what} file {str(path)!r} does not exist or is not a file.")
        return read_table(path, schema=schema, csv=csv).to_pandas(), _sha256_file(path)
    table = to_table(data)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema.remove_metadata()) as writer:
        writer.write_table(table.replace_schema_metadata(None))
    digest = hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()
    if schema:
        return to_table(table, schema=schema).to_pandas(), digest
    frame = data if isinstance(data, pd.DataFrame) else table.to_pandas()
    return frame, digest


def _features(policy: Policy, frame: pd.DataFrame, target: str | None) -> list[str]:
    if policy.features is not None:
        missing = [c for c in policy.features if c not in frame.columns]
        if missing:
            raise SchemaMismatchError(
                f"The policy's features {missing} are not columns of the evaluation data "
                f"(columns: {list(frame.columns)[:30]})."
            )
        return list(policy.features)
    drop = {target, *policy.exclude}
    return [str(c) for c in frame.columns if c not in drop]


def _status(outcome: CheckOutcome, severity: str) -> Status:
    if not outcome.evaluated:
        return "not_evaluated"
    if outcome.passed:
        return "pass"
    return "fail" if severity == "fail" else "warn"


def _verdict(statuses: set[str], on_not_evaluated: str) -> Verdict:
    """fail > warn > pass; a check that could not be evaluated makes a pass a warning (or a
    failure with ``on_not_evaluated: fail``)."""
    if "fail" in statuses or ("not_evaluated" in statuses and on_not_evaluated == "fail"):
        return "fail"
    return "warn" if statuses & {"warn", "not_evaluated"} else "pass"


def run(
    policy: str | os.PathLike[str] | Mapping[str, Any] | Policy,
    *,
    candidate: Any,
    data: Any,
    champion: Any = None,
    train_data: Any = None,
    target: str | None = None,
    allow_pickle: bool = False,
    trusted_types: Collection[str] = (),
    schema: Mapping[str, str] | None = None,
    csv: CsvOptions | None = None,
) -> GateReport:
    """Run the gate: every check of ``policy`` on ``candidate`` (and ``champion``).

    ``candidate``/``champion``: a fitted scikit-learn-style estimator, or a path to an
    ``.onnx``, ``.skops``, predictions (``.csv``/``.parquet``, column named in the policy)
    or — only with ``allow_pickle=True`` — pickle file. ``data``/``train_data``: anything
    :func:`driftline.profile` accepts. ``target`` overrides the policy's target column.
    ``schema`` (column -> kind) and ``csv`` (:class:`driftline.tabular.CsvOptions`) say
    how to read ``data`` and ``train_data``, as for :func:`driftline.tabular.read_table`.

    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=500)})
    >>> df["y"] = (df["x"] + rng.normal(size=500) > 0).astype(int)
    >>> model = LogisticRegression().fit(df[["x"]], df["y"])
    >>> policy = {"target": "y", "checks": [{"kind": "metric", "metric": "roc_auc", "min": 0.7}]}
    >>> report = run(policy, candidate=model, data=df)
    >>> report.verdict, report.checks[0].status
    ('pass', 'pass')
    """
    t0 = time.perf_counter()
    started = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    pol = load_policy(policy)
    tgt = target if target is not None else pol.target
    frame, data_digest = _load_data(data, "data", schema, csv)
    if tgt is not None and tgt not in frame.columns:
        raise SchemaMismatchError(
            f"The target column {tgt!r} is not in the evaluation data "
            f"(columns: {list(frame.columns)[:30]})."
        )
    train, train_digest = (None, None)
    if train_data is not None:
        train, train_digest = _load_data(train_data, "training data", schema, csv)
    cand = load_model(candidate, allow_pickle=allow_pickle, task=pol.task,
                      predictions_column=pol.candidate_column, trusted_types=trusted_types,
                      class_columns=pol.candidate_columns)  # fmt: skip
    champ: LoadedModel | None = None
    if champion is not None:
        champ = load_model(champion, allow_pickle=allow_pickle, task=pol.task,
                           predictions_column=pol.champion_column, trusted_types=trusted_types,
                           class_columns=pol.champion_columns)  # fmt: skip
    ctx = GateContext(pol, frame, _features(pol, frame, tgt), tgt, cand, champ, train)
    results = []
    for spec in pol.checks:
        outcome = spec.evaluate(ctx)
        results.append(
            CheckResult(
                spec.label,
                spec.kind,
                spec.severity,
                _status(outcome, spec.severity),
                outcome.observed,
                outcome.threshold,
                outcome.direction,
                outcome.ci_low,
                outcome.ci_high,
                outcome.reason,
                outcome.details,
            )
        )
    verdict = _verdict({r.status for r in results}, pol.on_not_evaluated)
    notes = []
    skipped = [r.name for r in results if r.status == "not_evaluated"]
    if skipped:
        notes.append(
            f"{len(skipped)} check(s) could not be evaluated on these inputs and count as "
            f"{'failures' if pol.on_not_evaluated == 'fail' else 'warnings'} "
            f"(on_not_evaluated: {pol.on_not_evaluated}): {', '.join(skipped[:10])}."
        )
    pickled = [m.source for m in (cand, champ) if m is not None and m.kind == "pickle"]
    if pickled:
        notes.append(
            f"Pickle loaded with allow_pickle=True (runs arbitrary code): {', '.join(pickled)}."
        )
    unhashed = [m.source for m in (cand, champ) if m is not None and m.digest is None]
    if unhashed:
        notes.append(f"No digest for {', '.join(unhashed)}: the object cannot be pickled.")
    if not results:
        notes.append("The policy has no checks; the gate passes vacuously.")
    inputs: dict[str, Any] = {
        "n_rows": len(frame),
        "n_train_rows": None if train is None else len(train),
        "target": tgt,
        "task": pol.task,
        "candidate": f"{cand.kind}: {cand.source}",
        "champion": None if champ is None else f"{champ.kind}: {champ.source}",
        "allow_pickle": allow_pickle,
        "policy_source": pol.source,
    }
    if ctx.known_classes() is not None:
        inputs["classes"] = list(ctx.known_classes() or ())
    digests = {
        "candidate": cand.digest,
        "champion": None if champ is None else champ.digest,
        "data": data_digest,
        "train_data": train_digest,
        "policy": pol.digest,
    }
    return GateReport(pol.name, verdict, tuple(results), digests, inputs, pol.confidence,
                      started, time.perf_counter() - t0, __version__, tuple(notes))  # fmt: skip
