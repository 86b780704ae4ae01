"""KNN models (KD/ball trees, distance metrics) load without trust, and crafted ones are refused."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from jupyter_artifacts.codecs import load_version, save_object
from jupyter_artifacts.errors import CorruptObjectError, UntrustedPickleError
from jupyter_artifacts.store import Store

pytest.importorskip("skops.io")
neighbors = pytest.importorskip("sklearn.neighbors")


def _data() -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(0).normal(size=(60, 3))
    return X, (X[:, 0] + X[:, 1] > 0).astype(int)


@pytest.mark.parametrize("make", [
    lambda: neighbors.KNeighborsClassifier(n_neighbors=3),
    lambda: neighbors.KNeighborsClassifier(algorithm="kd_tree", leaf_size=5, metric="manhattan"),
    lambda: neighbors.KNeighborsClassifier(algorithm="ball_tree", leaf_size=4, weights="distance"),
    lambda: neighbors.KNeighborsClassifier(algorithm="ball_tree", metric="minkowski", p=3),
    lambda: neighbors.KNeighborsClassifier(algorithm="ball_tree", metric="chebyshev"),
    lambda: neighbors.KNeighborsRegressor(algorithm="kd_tree", leaf_size=3),
    lambda: neighbors.KNeighborsClassifier(
        algorithm="ball_tree", metric="minkowski", metric_params={"w": np.array([1.0, 2.0, 0.5])}),
    lambda: neighbors.KNeighborsClassifier(
        algorithm="ball_tree", metric="mahalanobis", metric_params={"VI": np.eye(3)}),
    lambda: neighbors.RadiusNeighborsClassifier(radius=3.0, algorithm="kd_tree"),
])
def test_everyday_knn_models_round_trip_without_trust(store: Store, make: Any) -> None:
    X, y = _data()
    model = make().fit(X, y)
    version, _ = save_object(store, model, "knn")
    assert version.metadata["format"] == "skops"
    back = load_version(store, version)
    np.testing.assert_array_equal(back.predict(X), model.predict(X))


def test_nearest_neighbors_and_kernel_density_round_trip_without_trust(store: Store) -> None:
    X, _ = _data()
    nn = neighbors.NearestNeighbors(n_neighbors=4, algorithm="kd_tree", leaf_size=3).fit(X)
    back = load_version(store, save_object(store, nn, "nn")[0])
    np.testing.assert_array_equal(back.kneighbors(X)[1], nn.kneighbors(X)[1])
    kde = neighbors.KernelDensity(bandwidth=0.5).fit(X)
    back = load_version(store, save_object(store, kde, "kde")[0])
    np.testing.assert_allclose(back.score_samples(X), kde.score_samples(X))


def _tampered(model: Any, **changes: Any) -> Any:
    """``model`` with its tree rebuilt from a changed state: what a crafted file would hold."""
    tree = model._tree
    names = ("data", "idx_array", "node_data", "node_bounds", "leaf_size", "n_levels", "n_nodes",
             "n_trims", "n_leaves", "n_splits", "n_calls", "dist_metric", "sample_weight")
    state = dict(zip(names, tree.__getstate__(), strict=True))
    state = {k: (np.array(v) if isinstance(v, np.ndarray) else v) for k, v in state.items()}
    for key, change in changes.items():
        state[key] = change(state[key])
    crafted = type(tree).__new__(type(tree))
    crafted.__setstate__(tuple(state[n] for n in names))
    model._tree = crafted
    return model


def _set(array: np.ndarray, index: Any, value: Any) -> np.ndarray:
    array[index] = value
    return array


def _nodes(field: str, index: int, value: int) -> Any:
    return lambda nodes: _set_field(nodes, field, index, value)


def _set_field(nodes: np.ndarray, field: str, index: int, value: int) -> np.ndarray:
    nodes[field][index] = value
    return nodes


@pytest.mark.parametrize(("algorithm", "changes", "problem"), [
    ("kd_tree", {"idx_array": lambda a: _set(a, 0, 10_000)}, "idx_array that is not a permutation"),
    ("ball_tree", {"idx_array": lambda a: _set(a, 0, a[1])}, "idx_array that is not a permutation"),
    ("kd_tree", {"node_data": _nodes("idx_end", 1, 10_000)}, "index range outside its samples"),
    ("ball_tree", {"node_data": _nodes("idx_start", 2, -5)}, "index range outside its samples"),
    ("kd_tree", {"node_data": _nodes("idx_end", 1, 1)}, "children do not split"),
    ("kd_tree", {"node_data": _nodes("is_leaf", -1, 0)}, "child index out of range"),
    ("kd_tree", {"node_bounds": lambda b: np.ascontiguousarray(b[:, :2])}, "node_bounds of shape"),
    ("ball_tree", {"node_bounds": lambda b: np.ascontiguousarray(b[:, :, :2])}, "node_bounds of shape"),
    ("kd_tree", {"n_nodes": lambda n: n + 100}, "node_data entries for n_nodes"),
    ("kd_tree", {"leaf_size": lambda n: 0}, "leaf_size of 0"),
    ("kd_tree", {"sample_weight": lambda w: np.ones(3)}, "sample weights"),
    ("kd_tree", {"data": lambda d: np.ascontiguousarray(d[:10])}, "not a permutation"),
])
def test_a_crafted_neighbors_tree_is_refused_with_its_problem(
    store: Store, algorithm: str, changes: dict[str, Any], problem: str,
) -> None:
    X, y = _data()
    model = neighbors.KNeighborsClassifier(algorithm=algorithm, leaf_size=5).fit(X, y)
    version, _ = save_object(store, _tampered(model, **changes), "knn")
    with pytest.raises(UntrustedPickleError, match=problem):
        load_version(store, version)


@pytest.mark.parametrize(("metric", "params", "swap", "problem"), [
    ("minkowski", {"p": 3}, lambda p, v, m: (float("nan"), v, m), "not a positive number"),
    ("minkowski", {"p": 3}, lambda p, v, m: (0.5, v, m), "Minkowski metric with p=0.5"),
    ("minkowski", {"p": 3, "metric_params": {"w": np.ones(3)}}, lambda p, v, m: (p, v[:1].copy(), m),
     "1 weights for 3 features"),
    ("mahalanobis", {"metric_params": {"VI": np.eye(3)}}, lambda p, v, m: (p, v, np.eye(2)),
     "Mahalanobis metric"),
    ("seuclidean", {"metric_params": {"V": np.ones(3)}}, lambda p, v, m: (p, np.ones(1), m),
     "1 variances for 3 features"),
])
def test_a_crafted_metric_is_refused_with_its_problem(
    store: Store, metric: str, params: dict[str, Any], swap: Any, problem: str,
) -> None:
    X, y = _data()
    model = neighbors.KNeighborsClassifier(algorithm="ball_tree", metric=metric, **params).fit(X, y)
    dist = model._tree.__getstate__()[11]
    crafted = type(dist).__new__(type(dist))
    crafted.__setstate__(swap(*dist.__getstate__()))
    version, _ = save_object(store, _tampered(model, dist_metric=lambda _: crafted), "knn")
    with pytest.raises(UntrustedPickleError, match=problem):
        load_version(store, version)


def _my_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).sum())


def test_a_metric_that_is_a_callable_needs_trust(store: Store) -> None:
    X, y = _data()
    model = neighbors.KNeighborsClassifier(algorithm="ball_tree", metric=_my_distance).fit(X, y)
    version, _ = save_object(store, model, "knn")
    with pytest.raises(UntrustedPickleError, match=r"PyFuncDistance|_my_distance"):
        load_version(store, version)


def test_a_tree_array_of_the_wrong_dtype_is_a_clear_error(store: Store) -> None:
    # sklearn refuses it while rebuilding the tree; that must not surface as a raw ValueError.
    import io
    import zipfile

    X, y = _data()
    model = neighbors.KNeighborsClassifier(algorithm="kd_tree").fit(X, y)
    version, _ = save_object(store, model, "knn")
    source = zipfile.ZipFile(io.BytesIO(store.objects.read_bytes(version.oid)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as crafted:
        for info in source.infolist():
            payload = source.read(info)
            if info.filename.endswith(".npy"):
                array = np.load(io.BytesIO(payload))
                if array.dtype == np.intp and np.array_equal(np.sort(array), np.arange(len(X))):
                    buf = io.BytesIO()
                    np.save(buf, array.astype(float))  # idx_array as floats
                    payload = buf.getvalue()
            crafted.writestr(info, payload)
    oid, size, _ = store.objects.put_bytes(out.getvalue())
    bad, _ = store.add_version("bad", oid=oid, kind="model", media_type=version.media_type,
                               codec=version.codec, size=size, metadata=version.metadata)
    with pytest.raises(CorruptObjectError, match="bad:v1 could not be rebuilt"):
        load_version(store, bad)
