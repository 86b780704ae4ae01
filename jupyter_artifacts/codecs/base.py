"""The codec contract: a Python object <-> stored bytes, a kind, a media type and a summary."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from ..store import ArtifactVersion, Store

Progress = Callable[[int], None]
"""Called with the number of bytes written so far (for progress bars)."""

KINDS = (
    "dataset", "model", "features", "metrics", "figure", "table", "text", "log", "config",
    "report", "notebook", "file", "directory", "object",
)


@dataclass
class Encoded:
    """What a codec stored: the primary object and how to describe it."""

    oid: str
    size: int
    kind: str
    media_type: str
    summary: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    #: Called with the recorded version, for work that can wait (a figure's SVG): it hands
    #: that work to :mod:`.background` so the caller returns at once.
    later: Callable[[ArtifactVersion], None] | None = None


class Codec:
    """Base class: subclasses set ``name``/``kind`` and implement the three methods."""

    name: ClassVar[str]
    kind: ClassVar[str]
    #: Top-level module whose objects this codec handles; the codec is only consulted
    #: when that module is already imported (so no optional library is imported eagerly).
    module: ClassVar[str | None] = None
    #: Loading runs code of the payload's choosing (pickle): refuse without trust.
    unsafe: ClassVar[bool] = False

    def matches(self, obj: Any) -> bool:
        raise NotImplementedError

    def encode(self, obj: Any, store: Store, progress: Progress | None = None) -> Encoded:
        raise NotImplementedError

    def decode(self, version: ArtifactVersion, store: Store, trust: bool = False) -> Any:
        raise NotImplementedError

    def fingerprint(self, obj: Any) -> str | None:
        """A cheap content id of ``obj`` (not of its encoding), or None if not cheap to get."""
        return None

    def reuse(self, obj: Any, oid: str, store: Store) -> Encoded:
        """Describe ``obj`` as the stored object ``oid``; only codecs with fingerprints need it."""
        raise NotImplementedError

    def available(self) -> bool:
        return self.module is None or self.module in sys.modules


def type_name(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def mro_names(obj: Any) -> set[str]:
    """Fully qualified names of the object's classes, to match types without importing them."""
    return {f"{c.__module__}.{c.__qualname__}" for c in type(obj).__mro__}


def json_safe(value: Any, depth: int = 0) -> Any:
    """A JSON-serialisable rendering of small values (for summaries and params)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if depth < 3 and isinstance(value, dict):
        return {str(k): json_safe(v, depth + 1) for k, v in list(value.items())[:50]}
    if depth < 3 and isinstance(value, list | tuple):
        return [json_safe(v, depth + 1) for v in value[:50]]
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        return json_safe(value.item(), depth)
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."
