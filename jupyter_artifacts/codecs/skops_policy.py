"""What a stored skops model may contain before it is loaded without ``trust=True``.

A store is copied and shared, so a model file is untrusted input. skops rebuilds an object
by resolving the type names its file lists and calling or instantiating them; it loads
only the types it trusts by default plus those the caller passes as ``trusted``. Trusting
whole packages by prefix (``builtins``, ``collections``, ``sklearn``...) lets a file name
``builtins.exec`` or a function re-exported by a module of a trusted package, so types are
trusted one by one here:

* plain data types (:data:`DATA_TYPES`), never a callable;
* classes *defined* in scikit-learn (re-exports do not count) that derive from an
  estimator, splitter, scorer, optimiser, kernel or loss base (:data:`SKLEARN_BASES`), and
  public functions of ``sklearn.metrics`` and ``sklearn.feature_selection`` (a scorer's or
  a selector's score function);
* sklearn's tree storage classes, KD/ball trees and distance metrics (:data:`CHECKED_TYPES`),
  whose raw indices scikit-learn reads without bounds checks: they are loaded, then every
  index and shape is checked (:func:`check_loaded`, :mod:`.skops_neighbors`) before the
  model is handed out.

Anything else (``builtins.exec``, ``functools.partial``, ``operator.*``, a metric holding a
Python function...) needs ``trust=True`` and the error names it.
"""

from __future__ import annotations

import importlib
import importlib.abc
import inspect
import sys
import threading
from types import ModuleType
from typing import Any

from ..errors import UntrustedPickleError
from .skops_neighbors import METRICS, NEIGHBOR_TREES, binary_tree_problem, metric_problem

#: Plain values and containers: constructing them runs no code of the file's choosing.
DATA_TYPES = frozenset({
    "builtins.dict", "builtins.list", "builtins.tuple", "builtins.set", "builtins.frozenset",
    "builtins.int", "builtins.float", "builtins.complex", "builtins.str", "builtins.bytes",
    "builtins.bytearray", "builtins.bool", "builtins.NoneType", "builtins.slice",
    "collections.OrderedDict",
    "numpy.dtype",  # a dtype from its name (SimpleImputer, KBinsDiscretizer): no code runs
})

#: Instances of sklearn classes deriving from these are rebuilt from their state alone.
SKLEARN_BASES = frozenset({
    "sklearn.base.BaseEstimator",
    "sklearn.model_selection._split.BaseCrossValidator",
    "sklearn.model_selection._split.BaseShuffleSplit",
    "sklearn.model_selection._split._RepeatedSplits",
    "sklearn.metrics._scorer._BaseScorer",
    "sklearn.metrics._scorer._MultimetricScorer",
    "sklearn.neural_network._stochastic_optimizers.BaseOptimizer",
    "sklearn.gaussian_process.kernels.Kernel",  # parameters and nested kernels only
    "sklearn._loss.loss.BaseLoss",  # a GLM's loss (TweedieRegressor): a power parameter
})

#: sklearn classes with no estimator base that hold only estimators and arrays.
SKLEARN_CLASSES = frozenset({"sklearn.calibration._CalibratedClassifier"})

#: Trusted only because :func:`check_loaded` validates their node indices after loading.
CHECKED_TYPES = frozenset({
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
}) | NEIGHBOR_TREES | METRICS

#: Array libraries that scikit-learn's vendored array-api-compat wraps. skops builds its
#: default trusted list with ``sklearn.utils.all_estimators()``, whose package walk imports
#: ``sklearn.externals.array_api_compat.torch`` (and so torch: +2-3 s, +200 MB).
_ARRAY_BACKENDS = frozenset({"torch", "cupy", "dask", "jax", "sparse", "array_api_strict"})


class _SkipArrayBackends(importlib.abc.MetaPathFinder):
    """Fail imports of array backends not yet imported, in the importing thread only."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        top = name.partition(".")[0]
        if top in _ARRAY_BACKENDS and top not in sys.modules and threading.get_ident() == self.thread:
            raise ModuleNotFoundError(f"{top} is not imported while skops loads", name=name)
        return None


_import_lock = threading.Lock()


def import_skops() -> ModuleType:
    """``skops.io``, imported without importing torch (or another array backend) with it.

    The walk tolerates the failed import (``pkgutil`` ignores ImportError); a failed import
    is not cached, so the user's own ``import torch`` later works as usual.
    """
    module = sys.modules.get("skops.io")
    # A module another thread is still importing is already in sys.modules, half made:
    # import_module below waits for it instead.
    if module is not None and not getattr(module.__spec__, "_initializing", False):
        return module
    with _import_lock:
        finder = _SkipArrayBackends()
        sys.meta_path.insert(0, finder)
        try:
            return importlib.import_module("skops.io")
        finally:
            sys.meta_path.remove(finder)


def _resolve(name: str) -> Any:
    module, _, attr = name.rpartition(".")
    parts = module.split(".")
    if parts[0] != "sklearn" or "tests" in parts or "externals" in parts:
        return None
    try:
        return getattr(importlib.import_module(module), attr, None)
    except Exception:  # an unknown module is simply not trusted
        return None


def _is_safe_sklearn(name: str) -> bool:
    """A class defined at ``name`` in sklearn with a safe base, or a public metric function."""
    obj = _resolve(name)
    if obj is None or f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}" != name:
        return False  # re-exported (e.g. ``sklearn.x.import_module``) or nested: not by this name
    if inspect.isclass(obj):
        if issubclass(obj, type):
            return False
        bases = {f"{c.__module__}.{c.__qualname__}" for c in obj.__mro__}
        return bool(bases & SKLEARN_BASES) or name in SKLEARN_CLASSES
    if not inspect.isfunction(obj) or obj.__name__.startswith("_"):
        return False
    if name.startswith("sklearn.metrics."):
        return True
    # Only the score functions sklearn.feature_selection exports, not its helpers.
    package = sys.modules.get("sklearn.feature_selection")
    return name.startswith("sklearn.feature_selection.") and obj.__name__ in getattr(package, "__all__", ())


def split_untrusted(untrusted: list[str]) -> tuple[list[str], list[str]]:
    """Split the types skops does not trust by default into (allowed here, refused)."""
    allowed: list[str] = []
    refused: list[str] = []
    for name in untrusted:
        ok = name in DATA_TYPES or name in CHECKED_TYPES or _is_safe_sklearn(name)
        (allowed if ok else refused).append(name)
    return allowed, refused


def check_loaded(obj: Any, ref: str) -> None:
    """Refuse a loaded model whose tree nodes point outside their arrays (or back up).

    Refuse too a KD/ball tree or distance metric whose indices or shapes are inconsistent.
    """
    for owner, tree in _trees(obj):
        problem = _tree_problem(tree, getattr(owner, "n_features_in_", None))
        if problem:
            raise UntrustedPickleError(
                f"{ref} is damaged or crafted: a {type(tree).__name__} of it has {problem}; "
                "it was not loaded (pass trust=True only if you made this file)"
            )


def _trees(obj: Any, owner: Any = None, depth: int = 0, seen: set[int] | None = None) -> Any:
    seen = set() if seen is None else seen
    if depth > 50 or id(obj) in seen:
        return
    seen.add(id(obj))
    name = f"{type(obj).__module__}.{type(obj).__qualname__}"
    if name in CHECKED_TYPES:
        yield owner, obj
        return
    if isinstance(obj, dict):
        children: Any = obj.values()
    elif isinstance(obj, list | tuple | set | frozenset):
        children = obj
    elif type(obj).__module__ == "numpy" and getattr(obj, "dtype", None) is not None:
        children = obj.ravel() if obj.dtype.hasobject else ()
    elif hasattr(obj, "__dict__") and type(obj).__module__.startswith("sklearn"):
        children, owner = vars(obj).values(), obj
    else:
        children = ()
    for child in children:
        yield from _trees(child, owner, depth + 1, seen)


def _tree_problem(tree: Any, n_features_in: Any) -> str | None:
    import numpy as np

    name = f"{type(tree).__module__}.{type(tree).__qualname__}"
    if name in NEIGHBOR_TREES:
        return binary_tree_problem(tree)
    if name in METRICS:
        return metric_problem(tree)
    if hasattr(tree, "nodes"):  # HistGradientBoosting's TreePredictor: a structured array
        nodes = tree.nodes
        count = len(nodes)
        left, right, feature = nodes["left"], nodes["right"], nodes["feature_idx"]
        leaf = nodes["is_leaf"].astype(bool)
        n_features = n_features_in
        cat = ~leaf & nodes["is_categorical"].astype(bool)
        if cat.any() and (nodes["bitset_idx"][cat] >= len(tree.raw_left_cat_bitsets)).any():
            return "a categorical split outside its bitsets"
    else:  # sklearn.tree._tree.Tree
        if not 0 <= tree.node_count <= tree.capacity:
            return f"node_count {tree.node_count} beyond its {tree.capacity} nodes"
        count = tree.node_count
        left, right, feature = tree.children_left, tree.children_right, tree.feature
        leaf = left == -1
        n_features = tree.n_features if n_features_in is None else min(tree.n_features, n_features_in)
        if (leaf & (right != -1)).any():
            return "a leaf with a right child"
    index = np.arange(count)
    inner = ~leaf
    # Builders give children larger ids than their parent: no cycles, no out-of-range reads.
    for child in (left, right):
        if ((child[inner] <= index[inner]) | (child[inner] >= count)).any():
            return "a child index out of range"
    if n_features is not None and ((feature[inner] < 0) | (feature[inner] >= n_features)).any():
        return "a feature index out of range"
    return None
