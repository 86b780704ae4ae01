"""Curves libraries already keep: read from a tracked cell's values after it ran.

Keras ``History`` (``.history``, per epoch), scikit-learn ``loss_curve_`` /
``validation_scores_`` (MLP) and ``train_score_`` (gradient boosting), XGBoost's
``evals_result()``, LightGBM's ``evals_result_``, Hugging Face ``Trainer.state.log_history``
and Lightning's CSV logger. Types are recognised by their module and class names: no
library is imported here.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterable
from typing import Any

from ..codecs.base import mro_names

Series = dict[str, list[tuple[int, float]]]


def _plain(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if getattr(value, "ndim", None) == 0 and callable(getattr(value, "item", None)):
        value = value.item()
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _indexed(values: Iterable[Any], steps: list[int] | None = None) -> list[tuple[int, float]]:
    points = []
    for i, value in enumerate(values):
        number = _plain(value)
        if number is not None:
            points.append((steps[i] if steps and i < len(steps) else i, number))
    return points


def _nested(results: Any) -> Series:
    """``{"validation_0": {"rmse": [...]}}`` as ``{"validation_0.rmse": points}``."""
    out: Series = {}
    if isinstance(results, dict):
        for data_name, metrics in results.items():
            if isinstance(metrics, dict):
                for metric, values in metrics.items():
                    out[f"{data_name}.{metric}"] = _indexed(values)
    return out


def _keras(value: Any) -> Series:
    history = getattr(value, "history", None)
    if not isinstance(history, dict):  # a Keras model: its last fit's History
        history = getattr(history, "history", None)
    epochs = list(getattr(value, "epoch", []) or [])
    return {str(k): _indexed(v, epochs) for k, v in (history or {}).items() if isinstance(v, list)}


def _sklearn(value: Any) -> Series:
    out: Series = {}
    for attr, key in (("loss_curve_", "loss"), ("validation_scores_", "validation_score"),
                      ("train_score_", "train_score")):
        values = vars(value).get(attr)
        if values is not None:
            out[key] = _indexed(values)
    return out


def _xgboost(value: Any) -> Series:
    try:
        return _nested(value.evals_result())
    except Exception:  # not fitted, or fitted without eval_set: XGBoostError
        return {}


def _lightgbm(value: Any) -> Series:
    return _nested(getattr(value, "evals_result_", None))  # a property


def _huggingface(value: Any) -> Series:
    out: Series = {}
    for entry in getattr(getattr(value, "state", None), "log_history", None) or []:
        step = entry.get("step")
        for key, item in entry.items():
            number = _plain(item) if key not in ("step", "epoch") else None
            if number is not None and isinstance(step, int):
                out.setdefault(key, []).append((step, number))
    return out


def _lightning(value: Any) -> Series:
    """Lightning keeps no history in memory: its CSV logger's file has one."""
    out: Series = {}
    for logger in getattr(value, "loggers", None) or []:
        if "CSVLogger" not in type(logger).__name__:
            continue
        path = os.path.join(getattr(logger, "log_dir", ""), "metrics.csv")
        if not os.path.isfile(path):
            continue
        with open(path, newline="") as handle:
            for row in csv.DictReader(handle):
                step = row.get("step")
                for key, text in row.items():
                    if key in ("step", "epoch") or not text or step in (None, ""):
                        continue
                    number = _plain(text)
                    if number is not None:
                        out.setdefault(key, []).append((int(float(step)), number))
    return out


# (predicate on the fully qualified class names, reader)
_SOURCES: list[tuple[Callable[[set[str]], bool], Callable[[Any], Series]]] = [
    (lambda names: any(n.endswith(".History") and n.split(".")[0] in ("keras", "tf_keras", "tensorflow")
                       for n in names), _keras),
    (lambda names: any(n.split(".")[0] in ("keras", "tf_keras") and n.endswith(".Model") for n in names),
     _keras),
    (lambda names: any(n.startswith("xgboost.") and n.endswith(".XGBModel") for n in names), _xgboost),
    (lambda names: any(n.startswith("lightgbm.") and n.endswith(".LGBMModel") for n in names), _lightgbm),
    (lambda names: "sklearn.base.BaseEstimator" in names, _sklearn),
    (lambda names: any(n.startswith("transformers.") and n.endswith(".Trainer") for n in names),
     _huggingface),
    (lambda names: any(n.split(".")[0] in ("lightning", "pytorch_lightning") and n.endswith(".Trainer")
                       for n in names), _lightning),
]


def library_curves(value: Any) -> Series:
    """The per-step series ``value``'s library kept (empty for anything else); never raises."""
    if isinstance(value, int | float | str | bytes | list | tuple | dict | type) or value is None:
        return {}
    names = mro_names(value)
    for matches, read in _SOURCES:
        if matches(names):
            try:
                return {k: v for k, v in read(value).items() if v}
            except Exception:  # a library's internals changed: no curve, never a failed cell
                return {}
    return {}
