"""Curves libraries keep (no log calls): recorded from a tracked cell's values after it ran."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_artifacts.store import Store

from .conftest import run

DATA = ("import numpy as np\nrng = np.random.RandomState(0)\nX = rng.rand(120, 4)\n"
        "y = (X[:, 0] + X[:, 1] > 1).astype(int)")


def series(store: Store, run_ref: str, key: str) -> list[tuple[int | None, float]]:
    return [(step, value) for step, value, _ in store.metric_series(run_ref, key)]


def test_sklearn_mlp_loss_curve_and_validation_scores(shell: Any, store: Store) -> None:
    run(shell, DATA)
    run(shell, "%%track mlp\nfrom sklearn.neural_network import MLPClassifier\n"
               "mlp = MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, early_stopping=True,"
               " n_iter_no_change=100, random_state=0)\nimport warnings\n"
               "with warnings.catch_warnings():\n    warnings.simplefilter('ignore')\n    mlp.fit(X, y)")
    mlp = shell.user_ns["mlp"]
    assert series(store, "mlp", "mlp.loss") == [(i, pytest.approx(v)) for i, v in enumerate(mlp.loss_curve_)]
    assert len(series(store, "mlp", "mlp.validation_score")) == len(mlp.validation_scores_) == 30


def test_xgboost_evals_result(shell: Any, store: Store) -> None:
    pytest.importorskip("xgboost", reason="xgboost is in the [test] extra")
    run(shell, DATA)
    run(shell, "%%track xgb\nimport xgboost\nbooster = xgboost.XGBClassifier(n_estimators=7, max_depth=2)\n"
               "booster.fit(X, y, eval_set=[(X, y)], verbose=False)")
    expected = shell.user_ns["booster"].evals_result()["validation_0"]["logloss"]
    assert series(store, "xgb", "booster.validation_0.logloss") == [
        (i, pytest.approx(v)) for i, v in enumerate(expected)]


def test_lightgbm_evals_result(shell: Any, store: Store) -> None:
    pytest.importorskip("lightgbm", reason="lightgbm is in the [test] extra")
    run(shell, DATA)
    run(shell, "%%track lgbm\nimport lightgbm\ngbm = lightgbm.LGBMRegressor(n_estimators=6, verbose=-1)\n"
               "gbm.fit(X, y.astype(float), eval_set=[(X, y.astype(float))])")
    expected = shell.user_ns["gbm"].evals_result_["valid_0"]["l2"]
    assert [v for _, v in series(store, "lgbm", "gbm.valid_0.l2")] == pytest.approx(expected)
    assert len(expected) == 6


def test_keras_history_on_the_torch_backend(shell: Any, store: Store, monkeypatch: Any) -> None:
    monkeypatch.setenv("KERAS_BACKEND", "torch")  # keras 3 on the CPU torch: no TensorFlow
    keras = pytest.importorskip("keras", reason="keras is in the [test] extra")
    if keras.backend.backend() != "torch":
        pytest.skip("keras was imported earlier with another backend")
    run(shell, DATA)
    run(shell, "%%track keras\nimport keras\n"
               "net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])\n"
               "net.compile(optimizer='sgd', loss='mse')\n"
               "history = net.fit(X, y.astype('float32'), epochs=3, verbose=0, validation_split=0.25)")
    kept = shell.user_ns["history"].history
    assert series(store, "keras", "history.loss") == [
        (i, pytest.approx(v)) for i, v in enumerate(kept["loss"])]
    assert len(series(store, "keras", "history.val_loss")) == 3
