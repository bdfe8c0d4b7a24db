"""What every check sees: the evaluation rows, the target, the models and their scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from driftline.exceptions import DataError, ParameterError, SchemaMismatchError
from driftline.gate._models import FloatArray, LoadedModel
from driftline.gate._policy import Policy

if TYPE_CHECKING:
    from driftline.metrics import MetricSpec

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
            if self.policy.task == "multiclass":
                self._cache["y"] = y
                return y
            if self.policy.task == "binary":
                values = np.unique(y)
                if not set(values.tolist()) <= {0, 1}:
                    raise DataError(
                        f"The target {self.target!r} must be binary 0/1 for task 'binary'; "
                        f"got values {values[:10].tolist()} (use task 'multiclass' for more "
                        "classes)."
                    )
            self._cache["y"] = y.astype(np.float64)
        out: NDArray[Any] = self._cache["y"]
        return out

    # ------------------------------------------------------------------ multiclass
    def known_classes(self) -> tuple[Any, ...] | None:
        """The classes if a multiclass check has read them, else ``None``."""
        out: tuple[Any, ...] | None = self._cache.get("classes")
        return out

    @property
    def classes(self) -> tuple[Any, ...]:
        """The classes, in the order of the candidate's probability columns (multiclass)."""
        self.class_probabilities("candidate", "the gate")
        out: tuple[Any, ...] = self._cache["classes"]
        return out

    def class_probabilities(
        self, which: Literal["candidate", "champion"], check: str
    ) -> FloatArray:
        """``(n, K)`` probabilities of ``which`` model, columns in the order of ``classes``."""
        key = f"proba_{which}"
        if key in self._cache:
            out: FloatArray = self._cache[key]
            return out
        y = self.require_target(check)
        observed = tuple(np.unique(y).tolist())
        if which == "candidate":
            matrix, classes = self.candidate.class_scores(self.X, observed)
            unknown = sorted(set(observed) - set(classes), key=str)
            if unknown:
                raise DataError(
                    f"The target {self.target!r} holds class(es) {unknown[:10]} that the "
                    f"candidate does not predict (its classes: {list(classes)[:20]})."
                )
            self._cache["classes"] = tuple(classes)
        else:
            if self.champion is None:
                self.champion_scores(check)  # raises the "pass champion=..." error
            assert self.champion is not None
            order = self.classes
            matrix, classes = self.champion.class_scores(self.X, order)
            if set(classes) != set(order):
                raise SchemaMismatchError(
                    f"The champion's classes {list(classes)[:20]} differ from the candidate's "
                    f"{list(order)[:20]}; both must score the same classes."
                )
            position = {c: i for i, c in enumerate(classes)}
            matrix = matrix[:, [position[c] for c in order]]
        self._cache[key] = matrix
        return matrix

    def metric_input(self, spec: MetricSpec, which: Literal["candidate", "champion"],
                     check: str) -> Any:  # fmt: skip
        """What ``spec``'s function takes from a model: scores or probabilities, or hard
        predictions (``score >= threshold``, the arg-max class, regression predictions)."""
        if self.policy.task == "multiclass":
            p = self.class_probabilities(which, check)
            return p if spec.needs_scores else np.asarray(self.classes)[p.argmax(axis=1)]
        s = self.candidate_scores() if which == "candidate" else self.champion_scores(check)
        if spec.needs_scores or self.policy.task == "regression":
            return s
        return self.labels(s)

    def candidate_predictions(self, check: str) -> NDArray[Any]:
        """Hard predictions of the candidate (class labels; values for regression)."""
        if self.policy.task == "multiclass":
            p = self.class_probabilities("candidate", check)
            out: NDArray[Any] = np.asarray(self.classes)[p.argmax(axis=1)]
            return out
        s = self.candidate_scores()
        return s if self.policy.task == "regression" else self.labels(s)

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
