"""A model file from a store is untrusted input: loading it never runs code without trust=True."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import jupyter_artifacts as ja
from jupyter_artifacts.codecs import load_version, save_object
from jupyter_artifacts.errors import CorruptObjectError, UntrustedPickleError
from jupyter_artifacts.store import ArtifactVersion, Store

sio = pytest.importorskip("skops.io")
ROOT = Path(__file__).resolve().parents[2]


def _state(obj: Any) -> dict[str, Any]:
    """The skops schema of ``obj`` without its file-level keys."""
    schema = json.loads(zipfile.ZipFile(io.BytesIO(sio.dumps(obj))).read("schema.json"))
    return {k: v for k, v in schema.items() if k not in ("protocol", "_skops_version")}


def crafted_reduce(module: str, name: str, args: tuple[Any, ...]) -> bytes:
    """A skops file whose root is ``module.name(*args)``: what an attacker would plant."""
    head = json.loads(zipfile.ZipFile(io.BytesIO(sio.dumps(1))).read("schema.json"))
    schema = {
        "__class__": name, "__module__": module, "__loader__": "ConstructorFromReduceNode",
        "content": _state(args), "protocol": head["protocol"], "_skops_version": head["_skops_version"],
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("schema.json", json.dumps(schema))
    return buf.getvalue()


def plant(store: Store, data: bytes, name: str = "model") -> ArtifactVersion:
    oid, size, _ = store.objects.put_bytes(data)
    version, _ = store.add_version(name, oid=oid, kind="model", media_type="application/vnd.skops",
                                   codec="sklearn", size=size, metadata={"format": "skops"})
    return version


def test_a_crafted_reduce_of_exec_never_runs(store: Store, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    version = plant(store, crafted_reduce("builtins", "exec", (f"open({str(marker)!r}, 'w')",)))
    with pytest.raises(UntrustedPickleError, match=r"builtins\.exec"):
        load_version(store, version)
    with pytest.raises(UntrustedPickleError, match=r"builtins\.exec"):
        ja.load(version.ref)
    assert not marker.exists()


def test_a_function_re_exported_by_sklearn_is_not_trusted_by_its_package(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # sklearn.utils.discovery imports importlib.import_module: a "sklearn." name that runs code.
    (tmp_path / "planted_module.py").write_text(f"open({str(tmp_path / 'pwned')!r}, 'w')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    version = plant(store, crafted_reduce("sklearn.utils.discovery", "import_module", ("planted_module",)))
    with pytest.raises(UntrustedPickleError, match=r"sklearn\.utils\.discovery\.import_module"):
        load_version(store, version)
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("ref", [
    ("functools", "partial"), ("operator", "attrgetter"), ("builtins", "eval"),
    ("builtins", "getattr"), ("builtins", "__import__"), ("collections", "namedtuple"),
])
def test_callables_outside_the_allow_list_are_named_and_refused(store: Store, ref: tuple[str, str]) -> None:
    version = plant(store, crafted_reduce(*ref, ("x",)))
    with pytest.raises(UntrustedPickleError, match=".".join(ref)):
        load_version(store, version)


def test_garbage_in_a_skops_version_is_a_clear_error(store: Store) -> None:
    version = plant(store, b"not a zip at all")
    with pytest.raises(CorruptObjectError, match="not a readable skops file"):
        load_version(store, version)


def _data() -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(0).normal(size=(80, 4))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


def _models() -> list[Any]:
    from sklearn.ensemble import (
        GradientBoostingClassifier,
        HistGradientBoostingClassifier,
        RandomForestClassifier,
    )
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = _data()
    return [m.fit(X, y) for m in (
        RandomForestClassifier(n_estimators=3, random_state=0),
        GradientBoostingClassifier(n_estimators=3, random_state=0),
        HistGradientBoostingClassifier(max_iter=3),
        make_pipeline(StandardScaler(), LogisticRegression()),
        GridSearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=3, scoring="accuracy"),
        MLPClassifier(hidden_layer_sizes=(4,), max_iter=20, random_state=0),
    )]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_everyday_models_load_without_trust(store: Store) -> None:
    X, _ = _data()
    for i, model in enumerate(_models()):
        version, _ = save_object(store, model, f"m{i}")
        assert version.metadata["format"] == "skops"
        back = load_version(store, version)
        np.testing.assert_array_equal(back.predict(X), model.predict(X))


# Both arrays are views of the tree's node memory: what a crafted file would hold.
@pytest.mark.parametrize(("field", "value", "problem"), [
    ("children_left", 10_000, "child index out of range"),
    ("children_right", 0, "child index out of range"),  # a cycle back to the root
    ("feature", 4, "feature index out of range"),  # X has 4 columns: index 4 reads past a row
])
def test_a_tree_whose_nodes_point_outside_it_is_refused(
    store: Store, field: str, value: int, problem: str,
) -> None:
    from sklearn.tree import DecisionTreeClassifier

    X, y = _data()
    model = DecisionTreeClassifier(random_state=0).fit(X, y)
    getattr(model.tree_, field)[0] = value
    version, _ = save_object(store, model, "tree")
    with pytest.raises(UntrustedPickleError, match=problem):
        load_version(store, version)


def test_a_hist_gradient_boosting_tree_pointing_outside_it_is_refused(store: Store) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = _data()
    model = HistGradientBoostingClassifier(max_iter=2).fit(X, y)
    model._predictors[0][0].nodes["right"][0] = 10_000
    version, _ = save_object(store, model, "hgb")
    with pytest.raises(UntrustedPickleError, match="TreePredictor of it has a child index out of range"):
        load_version(store, version)


def _l1(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).sum())


def test_types_not_known_safe_need_trust_and_load_with_it(store: Store) -> None:
    from sklearn.neighbors import KNeighborsClassifier

    X, y = _data()
    model = KNeighborsClassifier(algorithm="ball_tree", metric=_l1).fit(X, y)  # a Python function
    version, _ = save_object(store, model, "knn")
    with pytest.raises(UntrustedPickleError, match=r"PyFuncDistance64"):
        load_version(store, version)
    np.testing.assert_array_equal(load_version(store, version, trust=True).predict(X), model.predict(X))


def test_a_model_skops_cannot_store_says_so(store: Store) -> None:
    from sklearn.cluster import Birch

    X, _ = _data()
    with pytest.warns(UserWarning, match="skops cannot store sklearn.cluster._birch.Birch"):
        version, _ = save_object(store, Birch(n_clusters=2).fit(X), "birch")
    assert version.metadata["format"] == "joblib"


def test_skops_is_a_core_dependency() -> None:
    # Without it a plain install stored models as pickles that then refused to load.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(dep.startswith("skops") for dep in project["dependencies"])


def test_saving_and_loading_a_model_does_not_import_torch(tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="only meaningful where torch is installed")
    script = """
import sys
import numpy as np
from sklearn.linear_model import LogisticRegression
import jupyter_artifacts as ja
X = np.arange(20.0).reshape(10, 2); y = np.arange(10) % 2
v = ja.save(LogisticRegression().fit(X, y), "m")
ja.load(v.ref)
assert "skops.io" in sys.modules
print("torch" in sys.modules)
"""
    env = {**os.environ, "JUPYTER_ARTIFACTS_DIR": str(tmp_path / ".artifacts")}
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_more_common_models_load_without_trust(store: Store) -> None:
    # Each needed trust=True before: a numpy dtype, a selector's score function, a GLM's
    # loss, Gaussian-process kernels, a calibrated classifier's holder class.
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_selection import SelectKBest, chi2, f_classif, mutual_info_classif
    from sklearn.gaussian_process import GaussianProcessClassifier, GaussianProcessRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, TweedieRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import KBinsDiscretizer

    X, y = _data()
    X = np.abs(X)
    models = [
        make_pipeline(SimpleImputer(), LogisticRegression()),
        KBinsDiscretizer(n_bins=3, encode="ordinal"),
        make_pipeline(SelectKBest(f_classif, k=2), LogisticRegression()),
        SelectKBest(chi2, k=2), SelectKBest(mutual_info_classif, k=2),
        TweedieRegressor(power=1.5),
        GaussianProcessClassifier(), GaussianProcessRegressor(),
        CalibratedClassifierCV(LogisticRegression(), cv=3),
    ]
    for i, model in enumerate(models):
        model.fit(X, y)
        back = load_version(store, save_object(store, model, f"m{i}")[0])
        if hasattr(model, "predict"):
            np.testing.assert_allclose(back.predict(X), model.predict(X))
        else:
            np.testing.assert_array_equal(back.transform(X), model.transform(X))


def test_only_exported_feature_selection_functions_are_trusted(store: Store) -> None:
    version = plant(store, crafted_reduce("sklearn.feature_selection._univariate_selection",
                                          "_clean_nans", (1.0,)))
    with pytest.raises(UntrustedPickleError, match="_clean_nans"):
        load_version(store, version)
