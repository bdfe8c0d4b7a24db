"""The quickstart's model: a scikit-learn pipeline trained on the demo's training weeks."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from driftline.quickstart._scenario import CATEGORICAL_FEATURES, FEATURES

__all__ = ["predict_scores", "train_model"]


def train_model(train: pd.DataFrame, target: str, *, seed: int = 0) -> Pipeline:
    """Fit a gradient-boosting classifier; unseen categories are ignored at predict time."""
    encode = ColumnTransformer(
        [
            (
                "categories",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                list(CATEGORICAL_FEATURES),
            )
        ],
        remainder="passthrough",
    )
    model = Pipeline(
        [
            ("encode", encode),
            (
                "classifier",
                HistGradientBoostingClassifier(max_iter=150, learning_rate=0.08, random_state=seed),
            ),
        ]
    )
    model.fit(train[list(FEATURES)], train[target])
    return model


def predict_scores(model: Pipeline, frame: pd.DataFrame) -> np.ndarray:
    """Return the predicted probability of default for every row."""
    return np.asarray(model.predict_proba(frame[list(FEATURES)])[:, 1], dtype=np.float64)
