"""An ONNX copy of a scikit-learn model, written only when its predictions match the model's."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: How far a regressor's ONNX prediction may drift: ONNX runs in float32.
RTOL, ATOL = 1e-3, 1e-4


@dataclass
class OnnxResult:
    """``path`` when the copy was written; ``note`` says what was checked, or why there is none."""

    path: Path | None
    note: str
    rows_checked: int = 0
    max_abs_diff: float | None = None


def _is_classifier(model: Any) -> bool:
    return getattr(model, "_estimator_type", None) == "classifier" or hasattr(model, "classes_")


def onnx_copy(model: Any, rows: pd.DataFrame | None, target: Path) -> OnnxResult:
    """Convert ``model`` with skl2onnx and check it on ``rows``; write ``target`` if they agree."""
    if rows is None or len(rows) == 0:
        return OnnxResult(None, "no ONNX copy: no training rows are stored to check it against")
    try:
        import numpy as np
        import onnxruntime
        from skl2onnx import to_onnx
    except ImportError as exc:
        return OnnxResult(None, f"no ONNX copy: {exc.name} is not installed "
                                "(pip install 'jupyter-artifacts[ship]')")
    try:
        # One float tensor in: a model of numeric columns (text columns fail here, with a note).
        features = rows.to_numpy(dtype=np.float32)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # converter chatter about opsets
            onx = to_onnx(model, features[:1], target_opset=None)
        session = onnxruntime.InferenceSession(onx.SerializeToString(),
                                               providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        converted = np.asarray(session.run(None, {name: features})[0]).ravel()
    except Exception as exc:  # skl2onnx has no converter for the model, or it fails
        return OnnxResult(None, f"no ONNX copy: conversion failed ({type(exc).__name__}: "
                                f"{str(exc).splitlines()[0] if str(exc) else ''})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a model fitted on named columns, given an array
        original = np.asarray(model.predict(rows if hasattr(model, "feature_names_in_")
                                            else rows.to_numpy())).ravel()
    n = len(rows)
    if _is_classifier(model):
        differ = int((converted.astype(str) != original.astype(str)).sum())
        if differ:
            return OnnxResult(None, f"no ONNX copy: its labels differ on {differ} of {n} "
                                    "training rows", n)
        result = OnnxResult(target, f"ONNX labels equal the model's on {n} training rows", n)
    else:
        diff = float(np.max(np.abs(converted.astype(float) - original.astype(float))))
        if not np.allclose(converted, original, rtol=RTOL, atol=ATOL):
            return OnnxResult(None, f"no ONNX copy: predictions differ by up to {diff:.3g} on "
                                    f"{n} training rows", n, diff)
        result = OnnxResult(target, f"ONNX predictions within {diff:.2g} of the model's on "
                                    f"{n} training rows", n, diff)
    target.write_bytes(onx.SerializeToString())
    return result
