"""The deployment gate: policy as code, champion/challenger comparison, ``GateReport``.

>>> from driftline.gate import Policy
>>> Policy.from_yaml("target: y\\nchecks:\\n  - kind: metric\\n    metric: f1\\n    min: 0.7\\n").checks[0].label
'f1 >= 0.7'
"""

from __future__ import annotations

from driftline.gate._checks import (
    ArtifactSizeCheck,
    CalibrationCheck,
    ChampionCheck,
    ColumnContract,
    DataContractCheck,
    DriftCheck,
    FairnessCheck,
    LatencyCheck,
    MemoryCheck,
    MetricCheck,
    SliceCheck,
    TargetLeakageCheck,
    ThroughputCheck,
    TrainOverlapCheck,
)
from driftline.gate._example import example_policy
from driftline.gate._models import SKOPS_TRUSTED_TYPES, LoadedModel, load_model, load_skops
from driftline.gate._policy import Policy, load_policy
from driftline.gate._registry import CheckOutcome, CheckSpec, check_kinds, register_check
from driftline.gate._report import MARKDOWN_MARKER, MAX_MARKDOWN_CHARS, CheckResult, GateReport
from driftline.gate._run import run

__all__ = [
    "MARKDOWN_MARKER",
    "MAX_MARKDOWN_CHARS",
    "SKOPS_TRUSTED_TYPES",
    "ArtifactSizeCheck",
    "CalibrationCheck",
    "ChampionCheck",
    "CheckOutcome",
    "CheckResult",
    "CheckSpec",
    "ColumnContract",
    "DataContractCheck",
    "DriftCheck",
    "FairnessCheck",
    "GateReport",
    "LatencyCheck",
    "LoadedModel",
    "MemoryCheck",
    "MetricCheck",
    "Policy",
    "SliceCheck",
    "TargetLeakageCheck",
    "ThroughputCheck",
    "TrainOverlapCheck",
    "check_kinds",
    "example_policy",
    "load_model",
    "load_policy",
    "load_skops",
    "register_check",
    "run",
]
