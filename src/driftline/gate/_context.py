"""What every check sees: the evaluation rows, the target, the models and their scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from driftline.exceptions import DataError, ParameterError
from driftline.gate._models import FloatArray, LoadedModel
from driftline.gate._policy import Policy

__all__ = ["GateContext"]


@dataclass
class GateContext:
    """Inputs of one gate run; model scores are computed once, on first use."""

    policy: Policy
    data: pd.DataFrame
    features: list[str]
    target: str | None
    candidate: LoadedModel
    champion: LoadedModel | None = None
    train_data: pd.DataFrame | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def confidence(self) -> float:
        """The policy's confidence level."""
        return self.policy.confidence

    @property
    def X(self) -> pd.DataFrame:  # noqa: N802 - the usual name for a feature matrix
        """The model inputs of the evaluation rows."""
        return self.data[self.features]

    def require_target(self, check: str) -> NDArray[Any]:
        """The target values; a clear error when the policy names no target."""
        if self.target is None:
            raise ParameterError(
                f"The check {check!r} needs labels: set 'target' in the policy or pass "
                "target=... (CLI: --target COLUMN)."
            )
        if "y" not in self._cache:
            y = self.data[self.target].to_numpy()
            if pd.isna(y).any():
                raise DataError(f"The target column {self.target!r} has missing values.")
            if self.policy.task == "binary":
                values = np.unique(y)
                if not set(values.tolist()) <= {0, 1}:
                    raise DataError(
                        f"The target {self.target!r} must be binary 0/1 for task 'binary'; "
                        f"got values {values[:10].tolist()}."
                    )
            self._cache["y"] = y.astype(np.float64)
        out: NDArray[Any] = self._cache["y"]
        return out

    def candidate_scores(self) -> FloatArray:
        """Candidate scores on the evaluation rows."""
        if "cand" not in self._cache:
            self._cache["cand"] = self.candidate.score(self.X)
        out: FloatArray = self._cache["cand"]
        return out

    def champion_scores(self, check: str) -> FloatArray:
        """Champion scores on the same rows; a clear error when there is no champion."""
        if self.champion is None:
            raise ParameterError(
                f"The check {check!r} compares with the champion: pass champion=... "
                "(CLI: --champion PATH)."
            )
        if "champ" not in self._cache:
            self._cache["champ"] = self.champion.score(self.X)
        out: FloatArray = self._cache["champ"]
        return out

    def require_train(self, check: str) -> pd.DataFrame:
        """The training data; a clear error when it was not given."""
        if self.train_data is None:
            raise ParameterError(
                f"The check {check!r} needs the training data: pass train_data=... "
                "(CLI: --train-data PATH)."
            )
        return self.train_data

    def labels(self, scores: FloatArray) -> NDArray[np.int64]:
        """Binary predictions: ``scores >= threshold``."""
        return (scores >= self.policy.threshold).astype(np.int64)
