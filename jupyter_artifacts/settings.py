"""Settings a user may change: from the environment, or ``ja.configure(...)`` in the kernel."""

from __future__ import annotations

import os
import re

from .errors import InvalidReferenceError

MAX_INTERMEDIATE_ENV = "JUPYTER_ARTIFACTS_MAX_INTERMEDIATE"
DEFAULT_MAX_INTERMEDIATE = 10 * 1024**2
_UNITS = {"": 1, "b": 1, "kb": 1024, "k": 1024, "mb": 1024**2, "m": 1024**2, "gb": 1024**3, "g": 1024**3}
_configured: dict[str, int | None] = {}
_lineage_url: dict[str, str | None] = {}


def parse_size(text: str | int | None) -> int | None:
    """``"50MB"``, ``"1.5 GB"``, ``1048576`` -> bytes; ``None``/``"none"``/``"off"``: no limit."""
    if text is None or (isinstance(text, str) and text.strip().lower() in ("none", "off", "")):
        return None
    if isinstance(text, int) and not isinstance(text, bool):
        return max(text, 0)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", str(text))
    if not match or match.group(2).lower() not in _UNITS:
        raise InvalidReferenceError(f"not a size: {text!r} (use e.g. '50MB', '2GB', 0 or 'none')")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def configure(*, max_intermediate: str | int | None = ...,  # type: ignore[assignment]
              openlineage_url: str | None = ...) -> None:  # type: ignore[assignment]
    """Change settings for this kernel.

    ``max_intermediate``: arrays, tensors and DataFrames a tracked cell reads or makes that are
    larger than this are recorded for lineage only (content id and summary), not stored,
    unless named with ``--save``; ``None`` stores them all. Default 10 MB, or the
    ``JUPYTER_ARTIFACTS_MAX_INTERMEDIATE`` environment variable.

    ``openlineage_url``: post each run's OpenLineage events there when it ends (``None``:
    stop); default the ``OPENLINEAGE_URL`` environment variable.
    """
    if max_intermediate is not ...:
        _configured["max_intermediate"] = parse_size(max_intermediate)
    if openlineage_url is not ...:
        _lineage_url["url"] = openlineage_url


def openlineage_url() -> str | None:
    """Where run events are posted, if anywhere (see :mod:`jupyter_artifacts.ship.emitter`)."""
    return _lineage_url["url"] if "url" in _lineage_url else os.environ.get("OPENLINEAGE_URL") or None


def max_intermediate_bytes() -> int | None:
    """The size above which intermediate datasets are not stored (None: no limit)."""
    if "max_intermediate" in _configured:
        return _configured["max_intermediate"]
    env = os.environ.get(MAX_INTERMEDIATE_ENV)
    return DEFAULT_MAX_INTERMEDIATE if env is None else parse_size(env)
