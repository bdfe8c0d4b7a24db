"""The built-in check kinds (importing this package registers them)."""

from __future__ import annotations

from driftline.gate._checks._data import ColumnContract, DataContractCheck, DriftCheck
from driftline.gate._checks._groups import FairnessCheck, SliceCheck
from driftline.gate._checks._leakage import TargetLeakageCheck, TrainOverlapCheck
from driftline.gate._checks._metrics import CalibrationCheck, ChampionCheck, MetricCheck
from driftline.gate._checks._ops import (
    ArtifactSizeCheck,
    LatencyCheck,
    MemoryCheck,
    ThroughputCheck,
)

__all__ = [
    "ArtifactSizeCheck",
    "CalibrationCheck",
    "ChampionCheck",
    "ColumnContract",
    "DataContractCheck",
    "DriftCheck",
    "FairnessCheck",
    "LatencyCheck",
    "MemoryCheck",
    "MetricCheck",
    "SliceCheck",
    "TargetLeakageCheck",
    "ThroughputCheck",
    "TrainOverlapCheck",
]
