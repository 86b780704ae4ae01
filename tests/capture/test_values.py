"""What a namespace value is taken for, matched by type name without importing its library."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

from jupyter_artifacts.capture.values import artifact_kind


def fake(module: str, *bases: str) -> Any:
    """An instance of a class named like a library's (``module.Class``), with base classes named too."""
    parents: tuple[type, ...] = ()
    for qualified in bases:
        mod, _, name = qualified.rpartition(".")
        parents = (type(name, parents or (object,), {"__module__": mod}),)
    mod, _, name = module.rpartition(".")
    return type(name, parents or (object,), {"__module__": mod})()


@pytest.mark.parametrize(("value", "kind"), [
    (fake("statsmodels.regression.linear_model.RegressionResultsWrapper",
          "statsmodels.base.wrapper.ResultsWrapper"), "model"),
    (fake("statsmodels.discrete.discrete_model.LogitResults", "statsmodels.base.model.Results"), "model"),
    (fake("xarray.core.dataset.Dataset"), "dataset"),
    (fake("xarray.core.dataarray.DataArray"), "dataset"),
    (torch.zeros(3, 4), "dataset"),
    (torch.nn.Parameter(torch.zeros(5)), "dataset"),
    (torch.tensor(0.5), None),  # a loss: a metric, not data
    (torch.zeros(1), None),
    (np.zeros(3), "dataset"),
    (fake("statsmodels.regression.linear_model.OLS"), None),  # an unfitted model spec
])
def test_artifact_kind_by_type_name(value: Any, kind: str | None) -> None:
    assert artifact_kind(value) == kind


def test_tensors_xarray_and_statsmodels_results_are_recorded(shell: Any, store: Any) -> None:
    from .conftest import run

    pytest.importorskip("xarray")
    pytest.importorskip("statsmodels")
    run(shell, "import numpy as np, torch, xarray as xr\nimport statsmodels.api as sm\n"
               "X = np.random.default_rng(0).random((50, 2)); y = X @ [1.0, 2.0]")
    run(shell, "%%track fit\nweights = torch.ones(4, 3)\n"
               "grid = xr.Dataset({'t': (('x',), np.arange(5.0))})\n"
               "ols = sm.OLS(y, sm.add_constant(X)).fit()")
    outputs = {v.name: v.kind for kind, v in store.run_events("fit") if kind == "output"}
    assert outputs == {"weights": "dataset", "grid": "dataset", "ols": "model"}
