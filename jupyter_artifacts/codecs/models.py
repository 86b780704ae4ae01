"""Models: scikit-learn (skops, else joblib), torch state dicts, and the pickle fallback."""

from __future__ import annotations

import contextlib
import io
import pickle
import re
import warnings
from typing import TYPE_CHECKING, Any, cast

from ..errors import CorruptObjectError, UnsupportedObjectError, UntrustedPickleError
from .base import Codec, Encoded, Progress, json_safe, mro_names, type_name
from .skops_policy import check_loaded, import_skops, split_untrusted

if TYPE_CHECKING:
    from ..store import ArtifactVersion, Store

SKOPS = "application/vnd.skops"
PICKLE = "application/x-python-pickle"
TORCH = "application/vnd.pytorch"


def _sklearn_summary(model: Any, size: int) -> dict[str, Any]:
    summary: dict[str, Any] = {"type": "model", "class": type_name(model), "size": size}
    with contextlib.suppress(Exception):  # a summary never stops a save
        summary["params"] = json_safe(model.get_params(deep=False))
    fitted = [a for a in vars(model) if a.endswith("_") and not a.startswith("_")]
    summary["fitted"] = bool(fitted)
    for attr in ("n_features_in_", "classes_", "feature_names_in_"):
        if hasattr(model, attr):
            summary[attr.rstrip("_")] = json_safe(getattr(model, attr).tolist()
                                                  if hasattr(getattr(model, attr), "tolist")
                                                  else getattr(model, attr))
    return summary


class SklearnCodec(Codec):
    """scikit-learn estimators: skops (no arbitrary code on load) where it can, else joblib."""

    name = "sklearn"
    kind = "model"
    module = "sklearn"

    def matches(self, obj: Any) -> bool:
        return "sklearn.base.BaseEstimator" in mro_names(obj)

    def encode(self, obj: Any, store: Store, progress: Progress | None = None) -> Encoded:
        try:
            data = import_skops().dumps(obj)
            media_type, fmt = SKOPS, "skops"
        except Exception as exc:  # skops is a dependency; some objects it cannot hold
            # Say so: a joblib pickle loads only with trust=True, which surprises later.
            warnings.warn(
                f"skops cannot store {type_name(obj)} ({type(exc).__name__}: {exc}); it is "
                "stored as a joblib pickle, which ja.load refuses without trust=True",
                UserWarning, stacklevel=2,
            )
            import joblib

            buf = io.BytesIO()
            joblib.dump(obj, buf)
            data, media_type, fmt = buf.getvalue(), PICKLE, "joblib"
        oid, size, _ = store.objects.put_bytes(data)
        return Encoded(oid, size, self.kind, media_type, _sklearn_summary(obj, size), {"format": fmt})

    def decode(self, version: ArtifactVersion, store: Store, trust: bool = False) -> Any:
        data = store.objects.read_bytes(version.oid)
        if version.metadata.get("format") == "joblib":
            if not trust:
                raise UntrustedPickleError(
                    f"{version.ref} is a joblib pickle, which can run code when loaded; "
                    "pass trust=True if you trust this store"
                )
            import joblib

            return joblib.load(io.BytesIO(data))
        sio = import_skops()
        try:
            untrusted = sio.get_untrusted_types(data=data)
        except Exception as exc:  # not a zip, no schema, an unknown node...
            raise CorruptObjectError(f"{version.ref} is not a readable skops file ({exc})") from exc
        if trust:
            return sio.loads(data, trusted=untrusted or None)
        allowed, refused = split_untrusted(untrusted)
        if refused:
            raise UntrustedPickleError(
                f"{version.ref} names types that can run code or are not known to be safe to "
                f"load: {', '.join(sorted(refused))}; pass trust=True only if you trust this store"
            )
        try:
            model = sio.loads(data, trusted=allowed or None)
        except Exception as exc:  # e.g. sklearn refusing a tree array of the wrong dtype
            raise CorruptObjectError(
                f"{version.ref} could not be rebuilt from its skops file ({type(exc).__name__}: {exc})"
            ) from exc
        check_loaded(model, version.ref)
        return model


class TorchCodec(Codec):
    """torch modules and state dicts, saved as a state dict (tensors only) with torch.save."""

    name = "torch.state_dict"
    kind = "model"
    module = "torch"

    def matches(self, obj: Any) -> bool:
        names = mro_names(obj)
        if "torch.nn.modules.module.Module" in names:
            return True
        if isinstance(obj, dict) and obj:
            return all("torch.Tensor" in mro_names(v) for v in obj.values())
        return False

    def encode(self, obj: Any, store: Store, progress: Progress | None = None) -> Encoded:
        import torch

        is_module = isinstance(obj, torch.nn.Module)
        state = obj.state_dict() if is_module else obj
        with store.objects.writer() as sink:
            torch.save(state, cast(Any, sink))  # a binary sink, though not an IO subclass
        assert sink.oid is not None
        n_params = int(sum(t.numel() for t in state.values() if hasattr(t, "numel")))
        summary = {
            "type": "model", "class": type_name(obj) if is_module else "state_dict",
            "parameters": n_params, "tensors": len(state), "size": sink.size,
            "layers": {k: list(v.shape) for k, v in list(state.items())[:50]},
        }
        if is_module:
            summary["repr"] = repr(obj)[:2000]
        return Encoded(sink.oid, sink.size, self.kind, TORCH, summary,
                       {"module_class": type_name(obj) if is_module else None})

    def decode(self, version: ArtifactVersion, store: Store, trust: bool = False) -> Any:
        return load_torch(version, store, trust)


def load_torch(version: ArtifactVersion, store: Store, trust: bool) -> Any:
    """``torch.load`` with ``weights_only=True``: tensors and plain containers, no code runs.

    Before torch 2.6 that loader could be made to run code (CVE-2025-32434), so there it
    is used only with ``trust=True``.
    """
    import torch

    major, minor = (int(p) for p in re.findall(r"\d+", torch.__version__)[:2])
    if (major, minor) < (2, 6) and not trust:
        raise UntrustedPickleError(
            f"{version.ref} is a torch file, and torch {torch.__version__}'s weights_only loader can "
            "run code (CVE-2025-32434); upgrade torch to 2.6 or later, or pass trust=True"
        )
    return torch.load(io.BytesIO(store.objects.read_bytes(version.oid)), weights_only=True)


class PickleCodec(Codec):
    """Anything else picklable, clearly marked: loading it is refused without ``trust=True``."""

    name = "pickle"
    kind = "object"
    unsafe = True

    def matches(self, obj: Any) -> bool:
        return True

    def encode(self, obj: Any, store: Store, progress: Progress | None = None) -> Encoded:
        try:
            data = pickle.dumps(obj, protocol=5)
        except Exception as exc:
            raise UnsupportedObjectError(
                f"cannot store an object of type {type_name(obj)}: no codec handles it and "
                f"it cannot be pickled ({exc})"
            ) from exc
        oid, size, _ = store.objects.put_bytes(data)
        summary = {"type": type_name(obj), "repr": repr(obj)[:500], "size": size, "pickle": True}
        return Encoded(oid, size, self.kind, PICKLE, summary, {"python_type": type_name(obj)})

    def decode(self, version: ArtifactVersion, store: Store, trust: bool = False) -> Any:
        if not trust:
            raise UntrustedPickleError(
                f"{version.ref} is a pickle ({version.metadata.get('python_type')}), which can run "
                "code when loaded; pass trust=True if you trust this store"
            )
        return pickle.loads(store.objects.read_bytes(version.oid))
