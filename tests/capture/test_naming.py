"""Run, figure and output names a person recognises, stable across re-runs of a cell."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_artifacts.capture.naming import default_run_name, shorten, slug
from jupyter_artifacts.store import Store

from .conftest import run


@pytest.mark.parametrize(("body", "name"), [
    ("# Correlation heatmap\ncorr = df.corr()", "Correlation heatmap"),
    ("#\n## Correlation of quantity, unit price and revenue per customer id\nx = 1",
     "Correlation of quantity, unit price and"),
    ("corr = df[['qty', 'unit_price', 'revenue', 'customer_id']].corr()\nsns.heatmap(corr)", "corr"),
    ("joblib.dump(best, 'best_model.joblib')", "joblib.dump"),
    ("sns.heatmap(corr, annot=True).set(title='x')", "sns.heatmap"),
    ("import numpy as np\nX_train, X_test = split(X)", "X_train"),
    ("import numpy as np\nimport pandas as pd", "imports"),
    ("for epoch in range(3):\n    loss = step(epoch)", "loss"),
    ("def features(df):\n    return df", "features"),
    ("!ls -la", "!ls -la"),
    ("\n\n", "cell"),
])
def test_default_run_name(body: str, name: str) -> None:
    assert default_run_name(body, None) == name


def test_names_are_short_and_legal() -> None:
    assert shorten("word " * 30) == ("word " * 8).strip()
    assert slug("corr = df[['qty', 'unit_price']].corr()") == "corr-df-qty-unit_price-.corr"
    assert slug("ROC / PR: 'curves'") == "ROC-PR-curves"
    assert slug("!!!") == "cell"


def figure_refs(store: Store, run_ref: str) -> list[str]:
    return sorted(v.ref for _, v in store.run_events(run_ref) if v.kind == "figure")


def test_figures_are_named_by_variable_or_title(shell: Any, store: Store) -> None:
    run(shell, "import matplotlib.pyplot as plt\nimport numpy as np\nauc = 0.91")
    cell = ("%%track\nfig1 = plt.figure(); plt.plot([1, 2])\n"  # a Figure variable
            "ax = plt.figure().subplots(); ax.plot([2, 1])\n"  # an Axes variable: its figure
            "plt.figure(); plt.plot([0, 1]); plt.title(f'ROC curve (AUC = {auc:.2f})')\n"
            "plt.figure().subplots(1, 2); plt.suptitle('Residuals, 2 folds')\n"
            "plt.figure(); plt.plot([3, 3]);")
    run(shell, cell)
    assert figure_refs(store, "run-1") == ["ROC-curve-AUC:v1", "Residuals-folds:v1", "ax:v1",
                                           "fig1/figure5:v1", "fig1:v1"]
    # Re-run with another score in the title: a new version of the same name.
    run(shell, "auc = 0.97")
    run(shell, cell)
    assert "ROC-curve-AUC:v2" in figure_refs(store, "run-2")
    assert [v.ref for v in store.versions("ROC-curve-AUC")] == ["ROC-curve-AUC:v1", "ROC-curve-AUC:v2"]


def test_outputs_are_named_after_the_run(shell: Any, store: Store) -> None:
    run(shell, "%%track\n# Summary statistics\nprint('rows: 3')")
    assert store.get_run("run-1").name == "Summary statistics"
    assert store.resolve("Summary-statistics/stdout").kind == "log"
