"""Deployment bundles, used the way a user deploys them: a fresh process, MLflow, HTTP."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import jupyter_artifacts as ja
from jupyter_artifacts.cli import main
from jupyter_artifacts.ship import ShipError
from jupyter_artifacts.ship.bundle import bundle
from jupyter_artifacts.store import Store

from .conftest import Trained, training_frame


def _clean_env() -> dict[str, str]:
    """The environment of a user's shell: no path to this checkout's package."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "JUPYTER_ARTIFACTS_DIR")}


def _predict_in_process(python: str, folder: Path, csv: Path) -> list[int | float]:
    out = subprocess.run([python, "-m", "ja_model", str(csv)], cwd=folder, env=_clean_env(),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return pd.read_csv(io.StringIO(out.stdout))["prediction"].tolist()


def test_bundle_holds_model_card_and_serving_files(trained: Trained, tmp_path: Path) -> None:
    report = ja.bundle("model", tmp_path / "b")
    folder = tmp_path / "b"
    for name in ("model/model.skops", "model/model.onnx", "requirements.txt", "environment.yml",
                 "python_env.yaml", "MLmodel", "Dockerfile", "README.md", "input_example.csv",
                 "input_example.json", "ja_model/__main__.py", "figures/importance.png"):
        assert (folder / name).is_file(), name
    # Pinned to what the run recorded, and only what loading and predicting need.
    env = trained.store.environment(trained.store.get_run(trained.run_ref).environment_id or "")
    assert env is not None
    pins = dict(line.split("==") for line in (folder / "requirements.txt").read_text().split())
    assert {"scikit-learn", "skops", "numpy", "pandas", "scipy"} <= set(pins)
    assert all(env["packages"][name] == version for name, version in pins.items())
    assert not {"mlflow", "matplotlib", "ipython", "jupyter-artifacts", "onnxruntime"} & set(pins)
    assert report.requirements == [f"{k}=={v}" for k, v in sorted(pins.items())]
    meta = json.loads((folder / "bundle.json").read_text())
    assert meta["schema"] == [{"name": "sepal", "dtype": "float64"},
                              {"name": "petal", "dtype": "float64"},
                              {"name": "count", "dtype": "int64"}]
    assert meta["source"]["training_data"] == "X_train:v1"
    pd.testing.assert_frame_equal(pd.read_csv(folder / "input_example.csv"), trained.X.head(5))
    card = (folder / "README.md").read_text()
    for needle in ("model:v1", trained.run_ref, "| loss | 0.3 | 3 |", "| n_estimators | 15 |",
                   "X_train:v1 (training data)", "![importance:v1](figures/importance.png)",
                   "| count | int64 |"):
        assert needle in card, needle
    assert "FROM python:3.11-slim" in (folder / "Dockerfile").read_text()


def test_python_m_predicts_what_the_model_predicts(trained: Trained, tmp_path: Path) -> None:
    folder = bundle(trained.store, "model", tmp_path / "b").path
    csv = tmp_path / "rows.csv"
    trained.X.to_csv(csv, index=False)
    assert _predict_in_process(sys.executable, folder, csv) == trained.model.predict(trained.X).tolist()


def test_onnx_copy_agrees_with_the_model(trained: Trained, tmp_path: Path) -> None:
    import onnxruntime

    report = bundle(trained.store, "model:v1", tmp_path / "b")
    assert report.onnx == "ONNX labels equal the model's on 200 training rows"
    session = onnxruntime.InferenceSession(str(tmp_path / "b/model/model.onnx"),
                                           providers=["CPUExecutionProvider"])
    labels = session.run(None, {session.get_inputs()[0].name: trained.X.to_numpy(np.float32)})[0]
    assert labels.tolist() == trained.model.predict(trained.X).tolist()


def test_a_model_onnx_cannot_convert_is_bundled_without_it(store: Store, tmp_path: Path) -> None:
    from sklearn.kernel_ridge import KernelRidge

    X = np.random.default_rng(1).normal(size=(40, 2))
    ja.save(X, "features")
    with ja.run("fit"):
        model = KernelRidge().fit(ja.load("features"), X[:, 0] * 2)
        ja.save(model, "ridge")
    report = bundle(store, "ridge", tmp_path / "b")
    assert report.onnx.startswith("no ONNX copy: conversion failed")
    assert not (tmp_path / "b/model/model.onnx").exists()
    assert report.onnx in (tmp_path / "b/README.md").read_text()
    # Fitted on a bare array: the bundle names the columns x0, x1 and predicts from a CSV.
    csv = tmp_path / "rows.csv"
    pd.DataFrame(X, columns=["x0", "x1"]).to_csv(csv, index=False)
    assert np.allclose(_predict_in_process(sys.executable, tmp_path / "b", csv), model.predict(X))


def test_without_skl2onnx_the_bundle_says_so(trained: Trained, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "skl2onnx", None)  # what an install without [ship] has
    report = bundle(trained.store, "model", tmp_path / "b")
    assert report.onnx == ("no ONNX copy: skl2onnx is not installed "
                           "(pip install 'jupyter-artifacts[ship]')")


def test_a_run_ref_names_its_model(trained: Trained, tmp_path: Path) -> None:
    assert bundle(trained.store, trained.run_ref, tmp_path / "b").ref == "model:v1"


@pytest.mark.parametrize(("ref", "message"), [
    ("X_train", "X_train:v1 is a dataset, not a model"),
    ("nothing", "no model version or run matches 'nothing'"),
])
def test_refusals_are_one_line(trained: Trained, tmp_path: Path, ref: str, message: str,
                               capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--store", str(trained.store.root), "bundle", ref, "-o", str(tmp_path / "b")])
    err = capsys.readouterr().err
    assert code == 2 and err == f"jupyter-artifacts: {message}\n"
    assert not (tmp_path / "b").exists()


def test_an_existing_folder_is_not_overwritten(trained: Trained, tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "keep.txt").write_text("mine")
    with pytest.raises(ShipError, match="exists and is not an empty folder"):
        bundle(trained.store, "model", tmp_path / "b")
    assert (tmp_path / "b" / "keep.txt").read_text() == "mine"


def test_cli_bundle(trained: Trained, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--store", str(trained.store.root), "--json", "bundle", "model", "-o", str(tmp_path / "b")])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["ref"] == "model:v1" and "MLmodel" in data["files"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_served_bundle_answers_invocations(trained: Trained, tmp_path: Path) -> None:
    folder = bundle(trained.store, "model", tmp_path / "b").path
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "ja_model", "serve", "--port", str(port)],
                              cwd=folder, env=_clean_env(), stderr=subprocess.PIPE)
    try:
        body = trained.X.head(20).to_csv(index=False).encode()
        for _ in range(600):  # until it listens
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/invocations", data=body,
                                                 headers={"Content-Type": "text/csv"})
                with urllib.request.urlopen(request, timeout=10) as response:
                    answer = json.loads(response.read())
                break
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                time.sleep(0.1)
        else:
            raise AssertionError("the server never answered")
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert answer["predictions"] == trained.model.predict(trained.X.head(20)).tolist()


MLFLOW_CHECK = """
import sys, pandas as pd, mlflow.pyfunc
model = mlflow.pyfunc.load_model(sys.argv[1])
print(",".join(str(v) for v in model.predict(pd.read_csv(sys.argv[2]))))
"""


def test_mlflow_loads_the_folder_as_it_is(trained: Trained, tmp_path: Path) -> None:
    pytest.importorskip("mlflow", reason="MLflow is in the test extra only")
    folder = bundle(trained.store, "model", tmp_path / "b").path
    csv = tmp_path / "rows.csv"
    trained.X.to_csv(csv, index=False)
    out = subprocess.run([sys.executable, "-c", MLFLOW_CHECK, str(folder), str(csv)], cwd=tmp_path,
                         env=_clean_env(), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().split(",") == [str(v) for v in trained.model.predict(trained.X)]


def test_mlflow_models_predict_accepts_the_folder(trained: Trained, tmp_path: Path) -> None:
    pytest.importorskip("mlflow", reason="MLflow is in the test extra only")
    folder = bundle(trained.store, "model", tmp_path / "b").path
    out = subprocess.run([sys.executable, "-m", "mlflow", "models", "predict", "-m", str(folder),
                          "-i", str(folder / "input_example.csv"), "-t", "csv",
                          "--env-manager", "local", "-o", str(tmp_path / "out.json")],
                         cwd=tmp_path, env=_clean_env(), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    predictions = json.loads((tmp_path / "out.json").read_text())["predictions"]
    assert predictions == trained.model.predict(trained.X.head(5)).tolist()


def test_a_fresh_venv_with_only_the_requirements_predicts_the_same(trained: Trained,
                                                                   tmp_path: Path) -> None:
    """As a user deploys: a new virtual environment, ``pip install -r requirements.txt``."""
    folder = bundle(trained.store, "model", tmp_path / "b").path
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = str(venv / "bin" / "python")
    pip = subprocess.run([python, "-m", "pip", "install", "--disable-pip-version-check", "-q",
                          "-r", str(folder / "requirements.txt")], env=_clean_env(),
                         capture_output=True, text=True, timeout=1200)
    assert pip.returncode == 0, pip.stderr[-2000:]
    csv = tmp_path / "rows.csv"
    trained.X.to_csv(csv, index=False)
    expected = trained.model.predict(trained.X).tolist()
    assert _predict_in_process(python, folder, csv) == expected
    # A serving image adds MLflow's small client, not MLflow: mlflow-skinny loads the folder.
    mlflow = pytest.importorskip("mlflow", reason="the version to match comes from MLflow")
    pip = subprocess.run([python, "-m", "pip", "install", "--disable-pip-version-check", "-q",
                          f"mlflow-skinny=={mlflow.__version__}"], env=_clean_env(),
                         capture_output=True, text=True, timeout=1200)
    assert pip.returncode == 0, pip.stderr[-2000:]
    out = subprocess.run([python, "-c", MLFLOW_CHECK, str(folder), str(csv)], cwd=tmp_path,
                         env=_clean_env(), capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().split(",") == [str(v) for v in expected]


def test_a_model_from_a_tracked_cell_carries_its_code_and_data(store_dir: Path, tmp_path: Path) -> None:
    """The common case: ``%%track`` in a real IPython shell; lineage names the training frame."""
    from IPython.core.interactiveshell import InteractiveShell

    from jupyter_artifacts.capture.background import wait_pending

    main_module = sys.modules["__main__"]
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "jupyter_artifacts")
    try:
        for cell in ("from sklearn.linear_model import LogisticRegression\n"
                     "from tests.ship.conftest import training_frame\n"
                     "X_train, y_train = training_frame()",
                     "%%track fit\nclf = LogisticRegression(C=0.5).fit(X_train, y_train)"):
            result = ip.run_cell(cell, store_history=True)
            assert result.error_before_exec is None and result.error_in_exec is None, result
        wait_pending()
        store = Store.open(store_dir)
        report = bundle(store, "clf", tmp_path / "b")
        clf = ip.user_ns["clf"]
    finally:
        ip.run_line_magic("unload_ext", "jupyter_artifacts")
        ip.reset(new_session=False)
        sys.modules["__main__"] = main_module
    card = (tmp_path / "b/README.md").read_text()
    assert "clf = LogisticRegression(C=0.5).fit(X_train, y_train)" in card
    assert "X_train:v1 (training data)" in card
    assert report.onnx.startswith("ONNX labels equal the model's")
    csv = tmp_path / "rows.csv"
    X, _ = training_frame()
    X.to_csv(csv, index=False)
    assert _predict_in_process(sys.executable, tmp_path / "b", csv) == clf.predict(X).tolist()


def test_a_pipeline_on_text_columns_is_bundled_without_onnx(store: Store, tmp_path: Path) -> None:
    from sklearn.compose import make_column_transformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    X = pd.DataFrame({"city": ["paris", "oslo", "rome", "oslo"] * 10, "size": np.arange(40.0)})
    y = (X["size"] % 3 == 0).astype(int)
    ja.save(X, "X_train")
    with ja.run("fit"):
        pipe = make_pipeline(make_column_transformer((OneHotEncoder(), ["city"]), remainder="passthrough"),
                             LogisticRegression()).fit(ja.load("X_train"), y)
        ja.save(pipe, "pipe")
    report = bundle(store, "pipe", tmp_path / "b")
    assert report.onnx.startswith("no ONNX copy: conversion failed")
    csv = tmp_path / "rows.csv"
    X.to_csv(csv, index=False)
    assert _predict_in_process(sys.executable, tmp_path / "b", csv) == pipe.predict(X).tolist()
