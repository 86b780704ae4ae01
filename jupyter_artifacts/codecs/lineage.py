"""Versions recorded for lineage only: a large intermediate's content id and summary, not its bytes.

The version points at a small JSON document in the object store (so ``verify`` and ``gc``
treat it like any other object, and the same content gives the same document, hence no
new version when it is unchanged); loading or exporting it says why it cannot.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..errors import NotStoredError
from .base import Codec, Encoded, mro_names
from .tabular import _frame_summary, _npy_header, raw_bytes

if TYPE_CHECKING:
    from ..store import ArtifactVersion, Store

MEDIA_TYPE = "application/vnd.jupyter-artifacts.lineage-only+json"


def nbytes(obj: Any) -> int | None:
    """The in-memory size of an array or DataFrame without touching its data; None if unknown."""
    names = mro_names(obj)
    try:
        if "numpy.ndarray" in names:
            return int(obj.nbytes)
        if "pandas.core.generic.NDFrame" in names:
            usage = obj.memory_usage(index=True, deep=False)
            return int(usage.sum() if hasattr(usage, "sum") else usage)
        size = getattr(obj, "nbytes", None)  # torch tensors, xarray objects
        return size if isinstance(size, int) and not isinstance(size, bool) else None
    except (AttributeError, TypeError, ValueError):
        return None


class LineageOnlyCodec(Codec):
    """Never chosen for an object: the capture layer uses :meth:`describe` on purpose."""

    name = "lineage-only"
    kind = "dataset"

    def matches(self, obj: Any) -> bool:
        return False

    def describe(self, obj: Any, store: Store, codec: Codec, reason: str) -> Encoded:
        """Record ``obj``'s content id (what ``codec`` would have stored) and summary."""
        if "numpy.ndarray" in mro_names(obj) and not obj.dtype.hasobject:
            import numpy as np

            from ..store.objects import hash_buffers

            arr = obj if obj.flags.c_contiguous else np.ascontiguousarray(obj)
            content, _ = hash_buffers([_npy_header(arr), raw_bytes(arr)])  # its .npy's oid
            summary: dict[str, Any] = {"type": "ndarray", "shape": list(arr.shape),
                                       "dtype": str(arr.dtype)}
        else:
            fingerprint = codec.fingerprint(obj)
            if fingerprint is None:
                raise NotStoredError(f"no content id for {type(obj).__name__}")
            content = fingerprint
            is_frame = "pandas.core.generic.NDFrame" in mro_names(obj)
            frame = obj.to_frame() if is_frame and obj.ndim == 1 else obj
            summary = _frame_summary(frame) if is_frame else {"type": type(obj).__name__}
        size = nbytes(obj)
        summary.update(nbytes=size, stored=False)
        doc = {"lineage_only": True, "codec": codec.name, "content": content, "nbytes": size}
        oid, length, _ = store.objects.put_bytes(json.dumps(doc, sort_keys=True).encode())
        return Encoded(oid, length, codec.kind, MEDIA_TYPE, summary,
                       {"stored": False, "content_id": content, "would_be_codec": codec.name,
                        "reason": reason})

    def decode(self, version: ArtifactVersion, store: Store, trust: bool = False) -> Any:
        reason = version.metadata.get("reason", "it was recorded for lineage only")
        raise NotStoredError(f"{version.ref} was not stored ({reason}); only its content id and "
                             f"summary were. Re-run its cell with --save {version.name.split('/')[-1]} "
                             "to store it.")
