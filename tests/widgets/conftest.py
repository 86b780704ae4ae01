"""A real store in tmp_path, populated through the public API like a notebook would."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
from matplotlib.figure import Figure
from sklearn.linear_model import LogisticRegression

import jupyter_artifacts as ja
from jupyter_artifacts import tracking
from jupyter_artifacts.store import Store

TRAIN_CODE = "model = LogisticRegression(C={c}).fit(X, y)\nloss = train(model, epochs={epochs})\n"


def _figure(slope: float) -> Figure:
    fig = Figure(figsize=(3, 2))
    ax = fig.add_subplot()
    ax.plot([0, 1, 2], [0, slope, 2 * slope])
    ax.set_title(f"slope {slope}")
    return fig


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A store with a dataset, two training runs (params, curves, figure, model) and lineage.

    run-1 "prepare" writes ``train`` (v1, then v2 with a new column after the training runs,
    so the models become stale); run-2 and run-3 "train" read train:v1 and write ``model``,
    ``confusion`` and ``predictions``.
    """
    st = ja.open_store(tmp_path / ".artifacts")
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [0, 1, 0, 1]})
    with ja.run("prepare", tags=["data"], store=st):
        ja.save(frame, "train")
    for c, epochs, lr in ((0.1, 50, 0.01), (1.0, 80, 0.01)):
        with ja.run("train", tags=["baseline"], params={"C": c, "epochs": epochs, "lr": lr,
                                                         "seed": 0}, store=st) as active:
            st.update_run(active.id, code=TRAIN_CODE.format(c=c, epochs=epochs))
            ja.load("train:v1")
            for step in range(epochs):
                ja.log_metric("loss", math.exp(-step * c / 10) + 0.01 * (step % 3), step)
                ja.log_metric("accuracy", 1 - math.exp(-step * c / 10) / 2, step)
            ja.save(LogisticRegression(C=c).fit(frame[["x"]], frame["y"]), "model")
            ja.save(_figure(c), "confusion")
            ja.save(frame.assign(p=frame["x"] * c).head(3 if c < 1 else 4), "predictions")
    with ja.run("prepare", tags=["data"], store=st):
        ja.save(frame.assign(z=frame["x"] * 2), "train")
    yield st
    tracking.set_default_store(None)
    st.close()


def add_bulk_runs(store: Store, count: int) -> None:
    """Insert ``count`` runs in one transaction (creating them one by one would take minutes)."""
    rows = [(uuid.uuid4().hex, f"sweep-{i % 97}", "ok", 1_700_000_000.0 + i, 1_700_000_010.0 + i)
            for i in range(count)]
    with store.catalog.write() as conn:
        conn.executemany("INSERT INTO runs (id, name, status, started_at, ended_at) VALUES (?,?,?,?,?)", rows)
