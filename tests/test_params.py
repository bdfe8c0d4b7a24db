"""The declarative parameter validation of ``driftline._params``."""

from __future__ import annotations

import functools
import importlib
import inspect
import math
import tempfile
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import driftline
from driftline._params import BOOLEAN, InstanceOf, Interval, Options, check, invalid_value
from driftline.exceptions import ParameterError


@pytest.mark.parametrize(
    ("constraint", "good", "bad"),
    [
        (Interval("real", 0, 1, closed="neither"), [0.5, 1e-9, np.float32(0.3)], [0, 1, -1, 2]),
        (Interval("real", 0, 1, closed="both"), [0, 1, 0.5], [-1e-9, 1.0000001]),
        (Interval("real", 0, None, closed="left"), [0, 1e300], [-1, math.inf]),
        (Interval("int", 1, None), [1, 10**12, np.int64(3)], [0, 1.0, 2.5, True]),
        (Interval("int", 1, 5, closed="right"), [2, 5], [1, 6]),
        (Options("a", "b"), ["a", "b"], ["c", 1, None, b"a"]),
        (BOOLEAN, [True, False, np.bool_(True)], [0, 1, "true", None]),
        (InstanceOf((str, bytes), "a str or bytes"), ["x", b"x"], [1, None]),
    ],
)
def test_constraints(constraint: object, good: list[object], bad: list[object]) -> None:
    for value in good:
        assert check("Owner", "p", value, constraint) == value
    for value in bad:
        with pytest.raises(ParameterError, match=r"The 'p' parameter of Owner must be"):
            check("Owner", "p", value, constraint)


def test_nan_and_bool_are_never_numbers() -> None:
    for value in (math.nan, True, False):
        with pytest.raises(ParameterError):
            check("O", "x", value, Interval("real", None, None))


def test_conversion() -> None:
    assert type(check("O", "x", np.int64(3), Interval("int", 0, None))) is int
    assert type(check("O", "x", 3, Interval("real", 0, None))) is float
    assert type(check("O", "x", np.bool_(True), BOOLEAN)) is bool


def test_message_names_owner_allowed_values_and_received_value() -> None:
    constraints = (Interval("int", 1, None), Options("auto"), None)
    with pytest.raises(ParameterError) as info:
        check(object(), "n_jobs", -3, *constraints)
    assert str(info.value) == (
        "The 'n_jobs' parameter of object must be an int in the range [1, inf), "
        "a str among {'auto'} or None. Got -3 instead."
    )


def test_did_you_mean() -> None:
    with pytest.raises(ParameterError, match=r"Did you mean 'bonferroni'\?"):
        check("DriftDetector", "correction", "bonferoni", Options("fdr_bh", "bonferroni"))


@given(
    st.one_of(
        st.lists(st.sampled_from([None, BOOLEAN, Options("x", "y")]), min_size=1),
        st.builds(
            lambda lo, width, closed: [Interval("real", lo, lo + width, closed=closed)],
            st.floats(-100, 100),
            st.floats(0.1, 100),
            st.sampled_from(["left", "right", "both", "neither"]),
        ),
    )
)
def test_invalid_value_violates_every_constraint(constraints: list[object]) -> None:
    value = invalid_value(constraints)  # type: ignore[arg-type]
    with pytest.raises(ParameterError):
        check("O", "p", value, *constraints)  # type: ignore[arg-type]


# --- the generic test: every public class (and constrained function) of every package ---

#: Every public package (the entry points cli, server and quickstart have no public API of
#: their own beyond functions; integrations' submodules import optional engines lazily).
PACKAGES = (
    "driftline",
    *(
        f"driftline.{path.name}"
        for path in sorted(Path(driftline.__file__).parent.iterdir())
        if (path / "__init__.py").is_file()
        and not path.name.startswith("_")
        and path.name not in {"cli", "server", "quickstart"}
    ),
)


def _group(reason: str, *names: str) -> dict[str, str]:
    return dict.fromkeys(names, reason)


#: Public classes with constructor parameters but no ``_parameter_constraints``, each with
#: the reason (keys are ``package.Name`` of the defining package).
EXEMPT: dict[str, str] = {
    **_group(
        "a result: built by driftline from validated inputs, read by users",
        *("stats.TestResult", "drift.ColumnDrift", "drift.DriftReport", "drift.DriftChunk"),
        *("drift.MultivariateDrift", "metrics.MetricResult", "metrics.MetricComparison"),
        *("metrics.EvaluationReport", "metrics.FairnessReport", "metrics.BrierDecomposition"),
        *("metrics.ReliabilityCurve", "metrics.SegmentReport", "metrics.SliceReport"),
        *("metrics.SliceResult", "metrics.SliceCondition", "estimate.AssumptionWarning"),
        *("estimate.ChunkEstimate", "estimate.EstimationResult", "estimate.MetricEstimate"),
        *("gate.CheckOutcome", "gate.CheckResult", "gate.GateReport", "gate.LoadedModel"),
        *("store.IngestResult", "store.LabelResult", "store.NewToken", "store.RejectedRow"),
        *("store.TokenInfo", "store.ValidatedBatch", "store.ValidatedLabels"),
        *("store.PreparedBatch", "store.WindowIndex", "monitor.MonitorStats"),
        *("alerts.DeliveryStats", "alerts.Evaluation", "alerts.Firing", "alerts.Notification"),
        *("alerts.StoredRule", "alerts.EvaluationContext", "profiles.QualityFinding"),
        *("profiles.QualityReport",),
    ),
    **_group(
        "an API answer: the SDK parses it from the server's JSON",
        *("client.AlertEvent", "client.AlertRule", "client.ClientStats", "client.Health"),
        *("client.Identity", "client.Model", "client.Point", "client.ProfileReceipt"),
        *("client.Rejection", "client.Version", "client.Window", "client.WindowResults"),
    ),
    **_group(
        "mergeable profile state: built by profile() or from_bytes(), which validate",
        *("profiles.DatasetProfile", "profiles.ColumnProfile", "profiles.NumericProfile"),
        *("profiles.CategoricalProfile", "profiles.BooleanProfile", "profiles.FrequentItems"),
        *("profiles.QuantileSketch",),
    ),
    **_group(
        "a report block: document content, rendered (escaped) as given",
        *("report.Band", "report.Chart", "report.Curve", "report.Line", "report.Report"),
        *("report.Section", "report.Table", "report.Text"),
    ),
    **_group(
        "a registry entry: checked by its register_* function",
        "drift.DriftMethod",
        "metrics.MetricSpec",
        "alerts.ChannelType",
    ),
    **_group(
        "a pydantic model: pydantic validates every field (ValidationError is a ValueError)",
        *("gate.ArtifactSizeCheck", "gate.CalibrationCheck", "gate.ChampionCheck"),
        *("gate.CheckSpec", "gate.ColumnContract", "gate.DataContractCheck", "gate.DriftCheck"),
        *("gate.FairnessCheck", "gate.LatencyCheck", "gate.MemoryCheck", "gate.MetricCheck"),
        *("gate.Policy", "gate.SliceCheck", "gate.TargetLeakageCheck", "gate.ThroughputCheck"),
        *("gate.TrainOverlapCheck", "alerts.ChannelSpec", "alerts.RetrainChannel"),
        *("alerts.RuleSpec", "alerts.SignedChannelSpec", "alerts.SlackChannel"),
        *("alerts.WebhookChannel",),
    ),
    **_group(
        "a repository over one SQLAlchemy session or engine: no option to validate",
        *("store.Catalog", "store.TokenRepository", "store.WindowStore"),
        *("store.RegistryRepository", "alerts.AlertRepository"),
    ),
    **_group(
        "a result or record: built by driftline (or parsed from the server's JSON), read by users",
        *("audit.ConsistencyProof", "audit.Event", "audit.InclusionProof", "audit.LoggedEvent"),
        *("audit.Problem", "audit.SignedTreeHead", "audit.VerifyReport", "client.IngestReceipt"),
        *("registry.AliasRecord", "registry.ArtifactInfo", "registry.ArtifactRecord"),
        *("registry.DatasetFingerprint", "registry.DatasetRecord", "registry.LineageGraph"),
        *("registry.LineageLink", "registry.LineageNode", "registry.ResolvedVersion"),
        *("registry.Signature", "registry.TensorSpec", "registry.ModelRef"),
        *("serve.Feature", "serve.Signature", "serve.ServedModel"),
    ),
    **_group(
        "key material or a handle made by its owner (SigningKey.load/generate, "
        "ArtifactStore.upload): nothing a user chooses",
        "audit.SigningKey",
        "registry.ArtifactUpload",
    ),
    **_group(
        "an adapter over an SDK client or a store engine: the names it carries are checked "
        "by the store or server that receives the rows",
        "serve.ClientSink",
        "serve.StoreSink",
    ),
}


def _sqlite_engine() -> object:
    from driftline.store import create_engine_from_url

    return create_engine_from_url("sqlite://")


def _session_factory() -> object:
    from driftline.store import session_factory

    return session_factory(_sqlite_engine())  # type: ignore[arg-type]


#: Minimal valid values of required data arguments, by ``package.Name``.
FIXTURES: dict[str, Callable[[], dict[str, object]]] = {
    "store.PredictionStore": lambda: {"engine": _sqlite_engine()},
    "monitor.Monitor": lambda: {"engine": _sqlite_engine()},
    "alerts.AlertEngine": lambda: {"session_factory": _session_factory()},
    "client.Client": lambda: {"url": "http://127.0.0.1:9", "token": "t", "project": "p"},
    "store.VersionSchema": lambda: {"features": {"x": "numeric"}},
    "report.Callout": lambda: {"text": "t"},
    "report.Stat": lambda: {"label": "l", "value": "v"},
    "metrics.evaluate": lambda: {"task": "binary"},
    "tabular.numeric_values": lambda: {"kind": "numeric"},
    "registry.ArtifactStore": lambda: {"url": tempfile.mkdtemp(prefix="driftline-params-")},
    "registry.Registry": lambda: {"engine": _sqlite_engine(), "project": "p"},
    "audit.AuditLog": lambda: {"engine": _sqlite_engine()},
    "serve.PredictionLog": lambda: {
        "sink": object(),
        "spill_dir": tempfile.mkdtemp(prefix="driftline-params-"),
    },
}


def _key(obj: Any) -> str:
    return f"{obj.__module__.split('.')[1]}.{obj.__name__}"


def _public(kind: Callable[[object], bool]) -> list[tuple[str, Any]]:
    found: dict[int, tuple[str, Any]] = {}
    for package in PACKAGES:
        module = importlib.import_module(package)
        for name in module.__all__:
            obj = getattr(module, name)
            if kind(obj) and id(obj) not in found:
                found[id(obj)] = (_key(obj), obj)
    return sorted(found.values(), key=lambda item: item[0])


def _is_class(obj: object) -> bool:
    return inspect.isclass(obj) and not issubclass(obj, BaseException)


def _parameters(obj: Any) -> dict[str, inspect.Parameter]:
    params = dict(inspect.signature(obj).parameters)
    return {n: p for n, p in params.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


CLASSES = [(k, c) for k, c in _public(_is_class) if _parameters(c)]
FUNCTIONS = _public(inspect.isfunction)


def _has_literal(annotation: object) -> bool:
    if typing.get_origin(annotation) is typing.Literal:
        return True
    return any(_has_literal(a) for a in typing.get_args(annotation))


def _option_parameters(function: Any) -> list[str]:
    """Parameters typed with a ``Literal`` (a fixed set of options)."""
    try:
        hints = typing.get_type_hints(function)
    except NameError:  # an annotation only importable for type checking: read its text
        return [n for n, p in _parameters(function).items() if "Literal[" in str(p.annotation)]
    return [n for n, t in hints.items() if n != "return" and _has_literal(t)]


def test_discovery_finds_the_public_surface() -> None:
    assert len(CLASSES) > 100
    assert {"drift.DriftDetector", "estimate.CBPE", "monitor.Monitor"} <= dict(CLASSES).keys()
    assert not set(EXEMPT) - dict(CLASSES).keys(), "an exemption names no public class"


@pytest.mark.parametrize(("key", "cls"), CLASSES, ids=[k for k, _ in CLASSES])
def test_every_public_class_validates_every_option(key: str, cls: Any) -> None:
    table = vars(cls).get("_parameter_constraints")
    if table is None:
        assert key in EXEMPT, (
            f"{key} takes parameters but declares no _parameter_constraints: declare them "
            "(driftline._params) or add it to EXEMPT with a reason"
        )
        return
    assert key not in EXEMPT, f"{key} has a table: remove it from EXEMPT"
    _check_table(key, cls, table)


@pytest.mark.parametrize(("key", "function"), FUNCTIONS, ids=[k for k, _ in FUNCTIONS])
def test_every_public_function_with_options_validates_them(key: str, function: Any) -> None:
    table = getattr(function, "_parameter_constraints", None)
    if table is None:
        options = _option_parameters(function)
        assert not options, (
            f"{key} takes options {options} but declares no table: decorate it with "
            "driftline._params.validate_params"
        )
        return
    _check_table(key, function, table)


def _check_table(key: str, owner: Any, table: Any) -> None:
    params = _parameters(owner)
    assert table, f"{key} declares an empty table"
    assert not set(table) - params.keys(), f"{key}: constraints name no parameter"
    fixtures = FIXTURES.get(key, lambda: {})
    required = {n for n, p in params.items() if p.default is inspect.Parameter.empty}
    if inspect.isfunction(owner):
        # validate_params checks before the body runs: data arguments may be placeholders
        data = dict.fromkeys(required - table.keys())
        fixtures = functools.partial(lambda f: {**data, **f()}, fixtures)
    missing = required - fixtures().keys()
    assert not missing, f"{key}: add minimal values of {sorted(missing)} to FIXTURES"
    for name, param in params.items():
        if name in table and param.default is not inspect.Parameter.empty:
            check(key, name, param.default, *table[name])  # the default is allowed
    if inspect.isclass(owner):
        owner(**fixtures())  # the defaults are accepted
    for name, constraints in table.items():
        bad = invalid_value(constraints)
        kwargs = fixtures()
        kwargs[name] = bad
        with pytest.raises(ParameterError) as info:
            owner(**kwargs)
        message = str(info.value)
        owner_name = owner.__name__
        assert f"The {name!r} parameter of {owner_name} must be " in message, (key, message)
        assert f"Got {bad!r} instead." in message, (key, message)
