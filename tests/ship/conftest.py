"""A store holding a model trained in a run that read its training data (lineage inputs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

import jupyter_artifacts as ja
from jupyter_artifacts.store import Store


@dataclass
class Trained:
    store: Store
    model: Any
    X: pd.DataFrame
    run_ref: str


def training_frame(rows: int = 300) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"sepal": rng.normal(size=rows), "petal": rng.normal(size=rows),
                      "count": rng.integers(0, 5, rows)})
    y = ((X.sepal + X.petal + 0.1 * X["count"]) > 0).astype(int)
    return X, y


@pytest.fixture
def trained(store: Store) -> Trained:
    """A random forest fitted on ``X_train:v1`` inside a run with params, metrics, a figure."""
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt
    from sklearn.ensemble import RandomForestClassifier

    X, y = training_frame()
    ja.save(X, "X_train")
    with ja.run("train", params={"n_estimators": 15}, tags=["baseline"]) as run:
        X_train = ja.load("X_train")
        model = RandomForestClassifier(n_estimators=15, random_state=0).fit(X_train, y)
        for step, loss in enumerate([0.9, 0.5, 0.3]):
            ja.log_metric("loss", loss, step=step)
        ja.log_metric("accuracy", float((model.predict(X_train) == y).mean()))
        fig = plt.figure()
        plt.plot([3, 1, 2])
        ja.save(fig, "importance")
        plt.close(fig)
        ja.save(model, "model")
        ref = run.ref
    return Trained(store, model, X, ref)
