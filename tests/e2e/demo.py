"""The demo notebook the end-to-end tests execute: a small store, then the three widgets."""

from __future__ import annotations

import nbformat

SETUP = '''\
import math
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.linear_model import LogisticRegression
import jupyter_artifacts as ja

ja.open_store(".artifacts")
frame = pd.DataFrame({"x": np.linspace(0, 1, 40), "y": [0, 1] * 20})
with ja.run("prepare", tags=["data"]):
    ja.save(frame, "train")

def confusion(c):
    fig = Figure(figsize=(3, 2.6))
    ax = fig.add_subplot()
    ax.imshow([[30 + 10 * c, 10 - 5 * c], [8 - 4 * c, 32 + 8 * c]], cmap="Blues")
    ax.set_title(f"confusion (C={c})")
    return fig

for c, lr in ((0.1, 0.01), (1.0, 0.01), (1.0, 0.1)):
    with ja.run("train", tags=["baseline"], params={"C": c, "lr": lr, "epochs": 300, "seed": 0}):
        ja.load("train:v1")
        for step in range(300):
            ja.log_metric("loss", math.exp(-step * c * lr * 40 / 100) + 0.02 * math.sin(step), step)
            ja.log_metric("accuracy", 1 - 0.5 * math.exp(-step * c * lr * 40 / 100), step)
        ja.save(LogisticRegression(C=c).fit(frame[["x"]], frame["y"]), "model")
        ja.save(confusion(c), "confusion")
with ja.run("prepare", tags=["data"]):
    ja.save(frame.assign(z=frame["x"] * 2), "train")
'''


def demo_notebook() -> nbformat.NotebookNode:
    """Setup, ``ja.panel()``, ``ja.compare("run-2", "run-3", "run-4")``, ``ja.lineage("model")``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in (
        SETUP, "ja.panel()", 'ja.compare("run-2", "run-3", "run-4")', 'ja.lineage("model")',
    )]
    return nb
