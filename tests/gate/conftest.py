"""Shared data and models for the gate tests (seeded)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder

FEATURES = ["age", "tenure", "plan", "gender"]


def make_churn(n: int, seed: int) -> pd.DataFrame:
    """Churn-like data: the label depends on age, tenure and plan."""
    r = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "age": r.uniform(18, 90, n),
            "tenure": r.exponential(3, n),
            "plan": r.choice(["basic", "plus", "pro"], n),
            "gender": r.choice(["f", "m"], n),
        }
    )
    logit = -1 + 0.06 * (df["age"] - 50) + 0.5 * df["tenure"] + (df["plan"] == "pro") * 1.5
    df["churned"] = (r.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return df


def fit_model(train: pd.DataFrame, features: list[str]) -> Pipeline:
    cats = [c for c in features if c in ("plan", "gender")]
    ct = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), cats), remainder="passthrough"
    )
    return make_pipeline(ct, LogisticRegression(max_iter=1000)).fit(
        train[features], train["churned"]
    )


class FixedScores:
    """An estimator-like object that returns given scores for the rows' index labels."""

    def __init__(self, scores: Any) -> None:
        self.scores = np.asarray(scores, dtype=np.float64)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        s = self.scores[X.index.to_numpy()]
        return np.column_stack([1 - s, s])


@pytest.fixture(scope="session")
def train_df() -> pd.DataFrame:
    return make_churn(3000, 1)


@pytest.fixture(scope="session")
def eval_df() -> pd.DataFrame:
    return make_churn(2000, 2)


@pytest.fixture(scope="session")
def good_model(train_df: pd.DataFrame) -> Pipeline:
    return fit_model(train_df, FEATURES)


@pytest.fixture(scope="session")
def weak_model(train_df: pd.DataFrame) -> Pipeline:
    """Trained without age and tenure: clearly worse."""
    return fit_model(train_df, ["plan", "gender"])
