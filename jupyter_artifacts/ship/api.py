"""``ja.bundle``: the Python side of the ship commands, on the API's default store."""

from __future__ import annotations

import os

from .bundle import BundleReport
from .bundle import bundle as _bundle


def bundle(ref: str, dest: str | os.PathLike[str], *, onnx: bool = True) -> BundleReport:
    """Write the deployment bundle of a model (``model:v3``, or a run that made one) to ``dest``.

    ``dest`` must be new or an empty folder. See :mod:`jupyter_artifacts.ship.bundle` for
    what the folder holds; ``onnx=False`` skips the ONNX copy.
    """
    from ..api import _store

    return _bundle(_store(), ref, dest, onnx=onnx)
