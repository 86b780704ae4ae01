"""Checks of scikit-learn's KD/ball trees and distance metrics loaded from an untrusted file.

sklearn's ``KDTree``/``BallTree`` restore their arrays as given (``__setstate__`` only
assigns them) and their queries read ``idx_array``, ``node_data``, ``node_bounds`` and the
metric's weight arrays with bounds checks off. A crafted file could make a query read or
write outside those arrays, so every index and shape a query relies on is checked before a
model holding one is handed out. Each check returns a short description of the first problem
found, or None.
"""

from __future__ import annotations

import math
from typing import Any

_METRIC_MODULE = "sklearn.metrics._dist_metrics"

#: The tree classes whose state :func:`binary_tree_problem` checks.
NEIGHBOR_TREES = frozenset(
    f"sklearn.neighbors._{module}.{cls}{suffix}"
    for module, cls in (("kd_tree", "KDTree"), ("ball_tree", "BallTree"))
    for suffix in ("", "64", "32")
)

#: Metrics whose state is (p, vec, mat) of numbers; ``PyFuncDistance`` holds a callable.
METRICS = frozenset(
    f"{_METRIC_MODULE}.{name}Distance{suffix}"
    for name in ("Euclidean", "SEuclidean", "Manhattan", "Chebyshev", "Minkowski", "Mahalanobis",
                 "Hamming", "Canberra", "BrayCurtis", "Jaccard", "Matching", "Dice", "Kulsinski",
                 "RogersTanimoto", "RussellRao", "SokalMichener", "SokalSneath", "Haversine")
    for suffix in ("64", "32")
)


def metric_problem(metric: Any, n_features: int | None = None) -> str | None:
    """What is wrong with a distance metric's parameters, for data of ``n_features`` columns."""
    import numpy as np

    name = f"{type(metric).__module__}.{type(metric).__qualname__}"
    if name not in METRICS:
        return f"a distance metric of type {name}, which is not an allowed metric"
    p, vec, mat = (np.asarray(x) if i else x for i, x in enumerate(metric.__getstate__()[:3]))
    kind = type(metric).__name__.rstrip("0123456789")
    if not isinstance(p, float | int) or math.isnan(p) or p <= 0:
        return f"a metric parameter p={p!r} that is not a positive number"
    if kind == "MinkowskiDistance" and (math.isinf(p) or p < 1):
        return f"a Minkowski metric with p={p!r} (it must be finite and at least 1)"
    if vec.ndim != 1 or mat.ndim != 2:
        return "a metric with weight arrays of the wrong shape"
    if kind == "SEuclideanDistance" and n_features is not None and vec.shape[0] != n_features:
        return f"a metric with {vec.shape[0]} variances for {n_features} features"
    weights = vec.shape[0] if n_features is None else n_features
    if kind == "MinkowskiDistance" and vec.shape[0] not in (0, weights):
        return f"a metric with {vec.shape[0]} weights for {n_features} features"
    if kind == "MahalanobisDistance" and (
        mat.shape[0] != mat.shape[1] or (n_features is not None and mat.shape[0] != n_features)
    ):
        return f"a Mahalanobis metric with a {mat.shape} matrix for {n_features} features"
    return None


def binary_tree_problem(tree: Any) -> str | None:
    """What is wrong with a KDTree/BallTree's arrays: the invariants its builder guarantees."""
    import numpy as np

    state = tree.__getstate__()
    data, idx, nodes, bounds = (np.asarray(a) for a in state[:4])
    leaf_size, n_nodes, metric, weight = state[4], state[6], state[11], state[12]
    if data.ndim != 2 or data.shape[0] < 1:
        return f"data of shape {data.shape}"
    n_samples, n_features = data.shape
    if idx.shape != (n_samples,) or not np.array_equal(np.sort(idx), np.arange(n_samples)):
        return "an idx_array that is not a permutation of its samples"
    if leaf_size < 1:
        return f"a leaf_size of {leaf_size}"
    if weight is not None and np.asarray(weight).shape != (n_samples,):
        return "sample weights not matching its samples"
    if n_nodes < 1 or nodes.shape != (n_nodes,):
        return f"{nodes.shape[0] if nodes.ndim == 1 else nodes.shape} node_data entries for n_nodes={n_nodes}"
    rows = 2 if "KDTree" in type(tree).__name__ else 1
    if bounds.shape != (rows, n_nodes, n_features):
        return f"node_bounds of shape {bounds.shape}, expected {(rows, n_nodes, n_features)}"
    problem = _node_problem(nodes, n_samples)
    return problem or metric_problem(metric, n_features)


def _node_problem(nodes: Any, n_samples: int) -> str | None:
    """Node ranges inside the samples, children (2i+1, 2i+2) splitting their parent's range."""
    import numpy as np

    start, end = nodes["idx_start"], nodes["idx_end"]
    inner = np.flatnonzero(nodes["is_leaf"] == 0)
    if ((start < 0) | (start > end) | (end > n_samples)).any():
        return "a node_data index range outside its samples"
    if start[0] != 0 or end[0] != n_samples:
        return "a root node not covering its samples"
    left, right = 2 * inner + 1, 2 * inner + 2
    if (right >= len(nodes)).any():
        return "a node_data child index out of range"
    if ((start[left] != start[inner]) | (end[left] != start[right]) | (end[right] != end[inner])).any():
        return "node_data whose children do not split their parent's range"
    return None
