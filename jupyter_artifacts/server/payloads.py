"""Pure helpers that turn query strings and store records into REST payloads."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ..errors import (
    AmbiguousReferenceError,
    ArtifactsError,
    FilterError,
    InvalidReferenceError,
    InvalidValueError,
    NotFoundError,
    StoreNotFoundError,
    UnknownKeyError,
)
from ..store import Run

#: HTTP status per error class; the first class in an error's MRO found here wins.
ERROR_STATUS: dict[type[ArtifactsError], int] = {
    StoreNotFoundError: 404,
    NotFoundError: 404,
    AmbiguousReferenceError: 409,
    InvalidReferenceError: 400,
    InvalidValueError: 400,  # a tag or alias the store refuses: the client's mistake
}

#: Run fields left out of list rows: they can be large and only the details view shows them.
HEAVY_RUN_FIELDS = ("code", "error")

Point = tuple[int | None, float, float]


def status_for(error: ArtifactsError) -> int:
    """The HTTP status that reports ``error``: 404, 409, 400, or 500 for store faults."""
    for cls in type(error).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    return 500


def error_payload(error: ArtifactsError) -> dict[str, Any]:
    """The JSON body that reports ``error``."""
    body: dict[str, Any] = {"message": str(error), "error": type(error).__name__}
    if isinstance(error, AmbiguousReferenceError):
        body["candidates"] = error.candidates
    if isinstance(error, FilterError) and error.position is not None:
        body["position"], body["column"] = error.position, error.column
    if isinstance(error, UnknownKeyError):
        body["candidates"] = error.close
    return body


def parse_time(text: str) -> float:
    """Seconds since the epoch from ``1700000000.5`` or an ISO 8601 date/time."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise InvalidReferenceError(
            f"not a time: {text!r} (use epoch seconds or ISO 8601)"
        ) from None


def parse_sort(text: str) -> tuple[str, bool]:
    """``-metrics.acc`` -> (``metrics.acc``, descending); ``name`` -> (``name``, ascending)."""
    if text.startswith("-"):
        return text[1:], True
    return text.lstrip("+"), False


def parse_int(text: str | None, default: int, low: int, high: int, what: str) -> int:
    """An integer query argument clamped to ``[low, high]``."""
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise InvalidReferenceError(f"{what} must be an integer, not {text!r}") from None
    return max(low, min(high, value))


def run_row(run: Run) -> dict[str, Any]:
    """A run as a list row: everything but its code and traceback."""
    row = run.to_dict()
    for key in HEAVY_RUN_FIELDS:
        row.pop(key, None)
    row["has_error"] = bool(run.error)
    return row


def finite(value: Any) -> Any:
    """JSON has no NaN or infinity: map them to ``None`` (recursively for lists and dicts)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def downsample(points: Sequence[Point], max_points: int) -> list[Point]:
    """At most ``max_points`` points that keep the curve's shape.

    Splits the series into buckets and keeps each bucket's lowest and highest point in
    step order, so spikes survive (plain striding would drop them). The first and last
    points are always kept.
    """
    n = len(points)
    if max_points <= 0 or n <= max_points:
        return list(points)
    if max_points < 4:
        return [points[0], points[-1]][:max_points]
    buckets = (max_points - 2) // 2
    inner = points[1:-1]
    size = len(inner) / buckets
    kept: list[Point] = [points[0]]
    for b in range(buckets):
        chunk = inner[int(b * size) : int((b + 1) * size)]
        if not chunk:
            continue
        lo = min(range(len(chunk)), key=lambda i: chunk[i][1])
        hi = max(range(len(chunk)), key=lambda i: chunk[i][1])
        kept.extend(chunk[i] for i in sorted({lo, hi}))
    kept.append(points[-1])
    return kept
