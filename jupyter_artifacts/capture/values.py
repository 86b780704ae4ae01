"""Deciding what a namespace value is: a param, a metric, an artifact worth storing, or noise."""

from __future__ import annotations

import numbers
import types
from typing import Any

from ..codecs.base import mro_names
from ..codecs.documents import is_metrics_dict

MAX_PARAM_ITEMS = 20
MAX_PARAM_STR = 500

_ARTIFACT_CLASSES = {
    "pandas.DataFrame": "dataset", "pandas.core.frame.DataFrame": "dataset",
    "pandas.Series": "dataset", "pandas.core.series.Series": "dataset",
    "numpy.ndarray": "dataset",
    "sklearn.base.BaseEstimator": "model",
    "torch.nn.modules.module.Module": "model",
    "matplotlib.figure.Figure": "figure",
    "IPython.core.display.HTML": "report",
    # Stored by their codecs (codecs/statsmodels_results.py, codecs/labelled.py).
    "statsmodels.base.wrapper.ResultsWrapper": "model",
    "statsmodels.base.model.Results": "model",  # fitted results not behind a wrapper
    "xarray.core.dataset.Dataset": "dataset", "xarray.core.dataarray.DataArray": "dataset",
    "torch.Tensor": "dataset",
}


def is_number(value: Any) -> bool:
    """Real numbers, and 0-d numpy arrays or torch tensors holding one (a loss)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Real):
        return True
    if isinstance(value, type):  # a class with ``ndim = 0`` and an ``item`` method is no number
        return False
    if getattr(value, "ndim", None) == 0 and callable(getattr(value, "item", None)):
        try:
            item = value.item()
        except Exception:  # a user's look-alike: whatever it raises, it is not a number to log
            return False
        return isinstance(item, numbers.Real) and not isinstance(item, bool)
    return False


def to_float(value: Any) -> float:
    """A number as a float; ``.item()`` for 0-d arrays and tensors (float() of a tensor
    that requires grad warns)."""
    return float(value.item() if getattr(value, "ndim", None) == 0 else value)


def is_param_value(value: Any, depth: int = 0) -> bool:
    """Small, simple values: numbers, strings, bools, None and small containers of them."""
    if value is None or isinstance(value, bool) or is_number(value):
        return True
    if isinstance(value, str):
        return len(value) <= MAX_PARAM_STR
    if depth == 0 and isinstance(value, tuple | list) and len(value) <= MAX_PARAM_ITEMS:
        return all(is_param_value(v, 1) for v in value)
    if depth == 0 and isinstance(value, dict) and len(value) <= MAX_PARAM_ITEMS:
        return all(isinstance(k, str) and is_param_value(v, 1) for k, v in value.items())
    return False


def artifact_kind(value: Any) -> str | None:
    """The kind of artifact ``value`` is worth storing as, or None for noise."""
    if isinstance(value, types.ModuleType | types.FunctionType | type | types.BuiltinFunctionType):
        return None
    names = mro_names(value)
    for cls_name, kind in _ARTIFACT_CLASSES.items():
        if cls_name in names:
            if cls_name == "torch.Tensor" and value.numel() < 2:
                return None  # a loss: a metric, not a dataset
            if kind == "dataset" and cls_name == "numpy.ndarray":
                if value.dtype.hasobject or value.size < 2:
                    return None
                if value.ndim == 2 and value.shape[0] == value.shape[1] and value.dtype.kind in "iu":
                    return "metrics"  # a confusion matrix
            return kind
    if is_metrics_dict(value):
        return "metrics"
    return None


def is_fitted_estimator(value: Any) -> bool:
    """False for a scikit-learn estimator that was never fitted (it is configuration, not a model)."""
    if "sklearn.base.BaseEstimator" not in mro_names(value):
        return True
    return any(k.endswith("_") and not k.startswith("_") for k in vars(value))


def signature(value: Any) -> Any:
    """A cheap token that changes when ``value`` is rebound or changed through its attributes.

    Identity plus the identities of its attributes: ``model.fit(...)`` sets new fitted
    attributes, so the token moves without hashing the model.
    """
    try:
        attrs = vars(value)
    except TypeError:
        attrs = None
    if attrs is not None and len(attrs) < 200:
        return (id(value), tuple((k, id(v)) for k, v in attrs.items()))
    version = getattr(value, "_mgr", None)
    return (id(value), id(version))
