"""Ship it: deployment bundles, MLflow interchange and OpenLineage events.

Everything here goes through the :class:`~jupyter_artifacts.store.Store` facade and the codecs;
the optional libraries (skl2onnx, onnxruntime, mlflow) are imported only when used.
"""

from __future__ import annotations

from ..errors import ArtifactsError


class ShipError(ArtifactsError):
    """A bundle, export or import cannot be made as asked (one line says why)."""


__all__ = ["ShipError"]
