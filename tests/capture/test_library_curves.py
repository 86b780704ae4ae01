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


def test_huggingface_trainer_log_history(shell: Any, store: Store, tmp_path: Any) -> None:
    pytest.importorskip("transformers", reason="transformers is not in the [test] extra (large)")
    pytest.importorskip("accelerate", reason="the torch Trainer needs accelerate")
    run(shell, "import torch, transformers\ntorch.manual_seed(0)\n"
               "config = transformers.BertConfig(vocab_size=40, hidden_size=8, num_hidden_layers=1,"
               " num_attention_heads=2, intermediate_size=16, max_position_embeddings=16)\n"
               "tiny = transformers.BertForSequenceClassification(config)  # random weights: no download\n"
               "rows = [{'input_ids': torch.randint(0, 40, (6,)), 'labels': torch.tensor(i % 2)}"
               " for i in range(16)]\n"
               f"args = transformers.TrainingArguments(output_dir={str(tmp_path / 'hf')!r}, max_steps=4,"
               " logging_steps=1, per_device_train_batch_size=4, report_to=[], save_strategy='no',"
               " use_cpu=True, disable_tqdm=True)")
    run(shell, "%%track hf\ntrainer = transformers.Trainer(model=tiny, args=args, train_dataset=rows)\n"
               "trainer.train()")
    logged = [(e["step"], e["loss"]) for e in shell.user_ns["trainer"].state.log_history if "loss" in e]
    assert len(logged) == 4
    assert series(store, "hf", "trainer.loss") == [(s, pytest.approx(v)) for s, v in logged]


def test_lightning_csv_logger_metrics(shell: Any, store: Store, tmp_path: Any) -> None:
    pytest.importorskip("lightning", reason="lightning is not in the [test] extra (large)")
    run(shell, "import torch, lightning\nfrom lightning.pytorch.loggers import CSVLogger\n"
               "class Tiny(lightning.LightningModule):\n"
               "    def __init__(self):\n        super().__init__()\n"
               "        self.layer = torch.nn.Linear(4, 1)\n"
               "    def training_step(self, batch, i):\n"
               "        loss = torch.nn.functional.mse_loss(self.layer(batch[0]), batch[1])\n"
               "        self.log('train_loss', loss)\n        return loss\n"
               "    def configure_optimizers(self):\n"
               "        return torch.optim.SGD(self.parameters(), lr=0.1)\n"
               "torch.manual_seed(0)\n"
               "data = torch.utils.data.TensorDataset(torch.randn(32, 4), torch.randn(32, 1))\n"
               "loader = torch.utils.data.DataLoader(data, batch_size=8)")
    run(shell, f"%%track lit\ntrainer = lightning.Trainer(max_epochs=2, logger=CSVLogger({str(tmp_path)!r}),"
               " log_every_n_steps=1, enable_checkpointing=False, enable_progress_bar=False,"
               " enable_model_summary=False, accelerator='cpu')\ntrainer.fit(Tiny(), loader)")
    points = series(store, "lit", "trainer.train_loss")
    assert [s for s, _ in points] == list(range(8))  # 4 batches x 2 epochs, one point per step
