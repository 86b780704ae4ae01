"""Metrics, params, JSON, text and HTML reports."""

from __future__ import annotations

import json
import numbers
from typing import TYPE_CHECKING, Any

from .base import Codec, Encoded, Progress, json_safe, mro_names

if TYPE_CHECKING:
    from ..store import ArtifactVersion, Store

JSON = "application/json"


def is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def is_metrics_dict(obj: Any) -> bool:
    """A dict of numbers, or of dicts of numbers (a classification report)."""
    if not isinstance(obj, dict) or not obj:
        return False
    for value in obj.values():
        if is_number(value):
            continue
        if isinstance(value, dict) and value and all(is_number(v) for v in value.values()):
            continue
        return False
    return all(isinstance(k, str | int) for k in obj)


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, indent=1, default=_default).encode()


def _default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class MetricsCodec(Codec):
    """Dicts of numbers (accuracy, F1...) and classification reports, as JSON."""

    name = "metrics.json"
    kind = "metrics"

    def matches(self, obj: Any) -> bool:
        return is_metrics_dict(obj)

    def encode(self, obj: Any, store: Store, progress: Progress | None = None) -> Encoded:
        data = _dumps(obj)
        oid, size, _ = store.objects.put_bytes(data)
        return Encoded(oid, size, self.kind, JSON, {"type": "metrics", "values": json_safe(obj)})

    def decode(self, version: ArtifactVersion, store: Store, trust: bool = False) -> Any:
        return json.loads(store.objects.read_bytes(version.oid))


class JsonCodec(Codec):
    """Other JSON-serialisable dicts and lists (configs, records)."""

    name = "json"
    kind = "config"

    def matches(self, obj: Any) -> bool:
        if not isinstance(obj, dict | list):
            return False
        try:
            json.dumps(obj, default=_default)
        except (TypeError, ValueError):
            return False
        return True

    def encode(self, obj: Any, store: Store, progress: Progress | None = None) -> Encoded:
        data = _dumps(obj)
        oid, size, _ = store.objects.put_bytes(data)
        preview = data[:2000].decode(errors="replace")
        return Encoded(oid, size, self.kind, JSON,
                       {"type": type(obj).__name__, "length": len(obj), "preview": preview},
                       {"python_type": type(obj).__name__})

    def decode(self, version: ArtifactVersion, store: Store, trust: bool = False) -> Any:
        value = json.loads(store.objects.read_bytes(version.oid))
        return tuple(value) if version.metadata.get("python_type") == "tuple" else value


class TextCodec(Codec):
    """Strings (logs, notes) as UTF-8 text."""

    name = "text"
    kind = "text"

    def matches(self, obj: Any) -> bool:
        return isinstance(obj, str)

    def encode(self, obj: Any, store: Store, progress: Progress | None = None) -> Encoded:
        data = obj.encode()
        oid, size, _ = store.objects.put_bytes(data)
        lines = obj.count("\n") + 1
        media = "text/html" if obj.lstrip().lower().startswith(("<!doctype html", "<html")) else "text/plain"
        kind = "report" if media == "text/html" else self.kind
        return Encoded(oid, size, kind, media, {"type": "text", "lines": lines, "preview": obj[:2000]})

    def decode(self, version: ArtifactVersion, store: Store, trust: bool = False) -> Any:
        return store.objects.read_bytes(version.oid).decode()


class HtmlCodec(Codec):
    """Rich HTML objects (``IPython.display.HTML``, SHAP/LIME reports with ``_repr_html_``)."""

    name = "html"
    kind = "report"

    def matches(self, obj: Any) -> bool:
        if "IPython.core.display.HTML" in mro_names(obj):
            return True
        # Explanation objects (e.g. LIME's Explanation) render themselves as HTML.
        return callable(getattr(type(obj), "_repr_html_", None)) and any(
            n.split(".")[0] in ("lime", "shap") for n in mro_names(obj)
        )

    def encode(self, obj: Any, store: Store, progress: Progress | None = None) -> Encoded:
        html = obj.data if hasattr(obj, "data") and isinstance(obj.data, str) else obj._repr_html_()
        oid, size, _ = store.objects.put_bytes(html.encode())
        return Encoded(oid, size, self.kind, "text/html", {"type": "html", "preview": html[:500]})

    def decode(self, version: ArtifactVersion, store: Store, trust: bool = False) -> Any:
        html = store.objects.read_bytes(version.oid).decode()
        try:
            from IPython.display import HTML
        except ImportError:
            return html
        return HTML(html)
