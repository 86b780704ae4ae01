"""statsmodels results, xarray Datasets/DataArrays and torch tensors, with the real libraries."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from jupyter_artifacts.codecs import codec_for, export_version, load_version, save_object
from jupyter_artifacts.store import Store


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=80), "g": rng.integers(0, 2, 80)})
    df["y"] = 1.5 + 2.0 * df.x + 0.5 * df.g + rng.normal(scale=0.3, size=80)
    return df


def test_statsmodels_formula_ols_loads_as_safe_tables(store: Store) -> None:
    smf = pytest.importorskip("statsmodels.formula.api")
    fit = smf.ols("y ~ x + C(g)", _frame()).fit()
    version, _ = save_object(store, fit, "ols")
    assert (version.kind, version.codec) == ("model", "statsmodels.results")
    assert version.summary["formula"] == "y ~ x + C(g)"
    assert version.summary["params"]["x"] == pytest.approx(fit.params["x"])
    assert "OLS Regression Results" in version.summary["preview"]
    back = load_version(store, version)  # no trust: no pickle is read
    pd.testing.assert_series_equal(back.params, fit.params.rename(None))
    pd.testing.assert_series_equal(back.pvalues, fit.pvalues.rename(None))
    pd.testing.assert_series_equal(back.bse, fit.bse.rename(None))
    np.testing.assert_allclose(back.conf_int().to_numpy(), fit.conf_int().to_numpy())
    assert back.rsquared == pytest.approx(fit.rsquared) and back.nobs == 80
    assert _undated(back.summary().as_text()) == _undated(fit.summary().as_text())
    assert "<table" in back._repr_html_()


def _undated(summary: str) -> str:
    """A summary without its Date and Time: the stored one has the moment it was saved (the
    comparison failed when a second ended between the save and the new summary)."""
    return re.sub(r"\d\d:\d\d:\d\d|\w{3}, \d\d \w{3} \d{4}", "", summary)


def test_statsmodels_full_results_need_trust(store: Store) -> None:
    sm = pytest.importorskip("statsmodels.api")
    df = _frame()
    fit = sm.Logit(df.g, sm.add_constant(df[["x"]])).fit(disp=0)
    version, _ = save_object(store, fit, "logit")
    assert list(load_version(store, version).params.index) == ["const", "x"]
    full = load_version(store, version, trust=True)
    X = sm.add_constant(df[["x"]])
    np.testing.assert_allclose(full.predict(X), fit.predict(X))


def test_statsmodels_array_fit_names_its_parameters(store: Store) -> None:
    sm = pytest.importorskip("statsmodels.api")
    df = _frame()
    fit = sm.OLS(df.y.to_numpy(), sm.add_constant(df.x.to_numpy())).fit()
    back = load_version(store, save_object(store, fit, "ols")[0])
    assert list(back.params.index) == ["const", "x1"]
    np.testing.assert_allclose(back.params.to_numpy(), fit.params)


def _dataset() -> Any:
    xr = pytest.importorskip("xarray")
    pytest.importorskip("h5netcdf")
    time = pd.date_range("2026-01-01", periods=4)
    return xr.Dataset(
        {"temp": (("time", "site"), np.arange(8.0).reshape(4, 2), {"units": "K"}),
         "count": (("time",), np.arange(4, dtype="int64"))},
        coords={"time": time, "site": ["a", "b"]}, attrs={"title": "toy"},
    )


def test_xarray_dataset_round_trips_through_netcdf(store: Store, tmp_path: Path) -> None:
    ds = _dataset()
    version, _ = save_object(store, ds, "weather")
    assert (version.kind, version.codec, version.media_type) == ("dataset", "xarray.netcdf",
                                                                 "application/x-netcdf")
    assert version.summary["dims"] == {"time": 4, "site": 2}
    assert version.summary["variables"]["temp"]["dims"] == ["time", "site"]
    back = load_version(store, version)
    assert back.identical(ds)
    import xarray as xr

    exported = export_version(store, version, tmp_path)
    assert exported.suffix == ".nc"
    with xr.open_dataset(exported) as reopened:
        assert reopened.load().identical(ds)


def test_xarray_dataarray_round_trips(store: Store) -> None:
    da = _dataset()["temp"]
    version, _ = save_object(store, da, "temp")
    back = load_version(store, version)
    assert type(back).__name__ == "DataArray" and back.identical(da)


def test_tensor_round_trips_through_safetensors(store: Store) -> None:
    torch = pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    t = torch.arange(12, dtype=torch.float32).reshape(3, 4)[:, ::2]  # not contiguous
    version, _ = save_object(store, t, "t")
    assert (version.codec, version.metadata["format"]) == ("torch.tensor", "safetensors")
    assert version.summary["shape"] == [3, 2] and version.summary["max"] == 10.0
    assert torch.equal(load_version(store, version), t)


def test_a_tensor_that_requires_grad_and_a_sparse_one(store: Store) -> None:
    torch = pytest.importorskip("torch")
    w = torch.ones(3, requires_grad=True)
    back = load_version(store, save_object(store, w, "w")[0])
    assert back.requires_grad and torch.equal(back.detach(), w.detach())
    sparse = torch.eye(3).to_sparse()
    version, _ = save_object(store, sparse, "s")
    assert version.metadata["format"] == "torch"
    assert torch.equal(load_version(store, version).to_dense(), torch.eye(3))


def test_optional_libraries_are_consulted_only_once_imported() -> None:
    script = """
import sys, tempfile
import pandas as pd
from jupyter_artifacts.codecs import codec_for, save_object
from jupyter_artifacts.store import Store
save_object(Store.open(tempfile.mkdtemp() + "/s"), pd.DataFrame({"a": [1]}), "df")
codec_for({"a": [1, 2]}); codec_for("text")
print(sorted(m for m in ("statsmodels", "xarray", "torch", "safetensors", "h5netcdf") if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_codecs_pick_the_new_types() -> None:
    torch = pytest.importorskip("torch")
    assert codec_for(torch.zeros(2)).name == "torch.tensor"
    assert codec_for({"w": torch.zeros(2)}).name == "torch.state_dict"
