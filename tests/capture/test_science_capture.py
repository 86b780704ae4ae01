"""A tracked cell records fitted statsmodels results, xarray Datasets and torch tensors."""

from __future__ import annotations

from typing import Any

import pytest

from jupyter_artifacts.store import Store
from tests.recording import record_calls

from .conftest import run


def test_statsmodels_xarray_and_tensor_outputs_are_recorded(shell: Any, store: Store) -> None:
    pytest.importorskip("statsmodels")
    pytest.importorskip("xarray")
    pytest.importorskip("h5netcdf")
    pytest.importorskip("torch")
    run(shell, "import numpy as np, pandas as pd, torch, xarray as xr\n"
               "import statsmodels.formula.api as smf\n"
               "df = pd.DataFrame({'x': np.arange(20.0), 'y': 2 * np.arange(20.0) + np.sin(np.arange(20))})")
    run(shell, "%%track fit\n"
               "res = smf.ols('y ~ x', df).fit()\n"
               "grid = xr.Dataset({'t': (('a', 'b'), np.ones((2, 3)))})\n"
               "emb = torch.randn(4, 3)\n"
               "loss = torch.tensor(0.25)")
    outputs = {v.name: v.codec for kind, v in store.run_events("fit") if kind == "output"}
    assert outputs == {"res": "statsmodels.results", "grid": "xarray.netcdf", "emb": "torch.tensor"}
    assert store.get_run("fit").metrics["loss"] == pytest.approx(0.25)


def test_statsmodels_results_are_described_off_the_cell(shell: Any, store: Store,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("statsmodels")

    from jupyter_artifacts.codecs import statsmodels_results

    described = record_calls(monkeypatch, statsmodels_results, "describe")
    run(shell, "import numpy as np, pandas as pd\nimport statsmodels.formula.api as smf\n"
               "df = pd.DataFrame({'x': np.arange(20.0), 'y': 3 * np.arange(20.0) + np.cos(np.arange(20))})")
    run(shell, "%%track fit\nres = smf.ols('y ~ x', df).fit()")
    # Its summary() formatting is tens of ms: done by the helper process (or a worker thread).
    assert "MainThread" not in [thread for thread, _ in described]
    (version,) = [v for kind, v in store.run_events("fit") if kind == "output"]
    assert version.codec == "statsmodels.results" and "OLS Regression Results" in version.summary["preview"]
