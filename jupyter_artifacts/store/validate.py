"""Checks on what users hand to runs: metric keys, steps and values, param sizes and tags.

They run when the user calls, so a bad value is a clear ``InvalidValueError`` at the line
that passed it, never a failure later inside a batched write.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Iterable
from typing import Any

from ..errors import InvalidValueError

MAX_KEY = 250  # characters in a metric or param key (MLflow's limit too)
MAX_TAG = 250
MAX_PARAM = 6000  # characters of a param value's JSON: longer text belongs in an artifact
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # what SQLite stores in an INTEGER column


def safe_repr(value: Any, limit: int = 200) -> str:
    """``repr(value)`` cut to ``limit`` characters, or a placeholder when ``repr`` raises."""
    try:
        text = repr(value)
    except Exception as exc:  # a user's __repr__ may raise anything
        text = f"<{type(value).__qualname__} object: repr failed ({type(exc).__name__})>"
    if not isinstance(text, str):
        text = f"<{type(value).__qualname__} object>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_key(key: Any, what: str = "metric") -> str:
    """A metric or param key: a non-empty str of at most ``MAX_KEY`` printable characters."""
    if not isinstance(key, str):
        raise InvalidValueError(f"{what} key must be a str, not {type(key).__name__}")
    if not key or len(key) > MAX_KEY:
        raise InvalidValueError(f"{what} key must be 1 to {MAX_KEY} characters, got {len(key)}")
    if not key.isprintable():
        raise InvalidValueError(f"{what} key {safe_repr(key, 60)} has control characters")
    return key


def check_step(step: Any) -> int:
    """A metric step: an int (or numpy integer) that SQLite can store."""
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise InvalidValueError(f"metric step must be an int or None, not {type(step).__name__}")
    step = int(step)
    if not INT64_MIN <= step <= INT64_MAX:
        raise InvalidValueError(f"metric step {step} is outside the 64-bit integer range")
    return step


def check_value(value: Any, key: str = "") -> float:
    """A metric value as a float: real numbers, NaN and infinities, 0-d arrays and tensors.

    Booleans are refused (a flag is a param, not a curve); so are strings, even numeric ones.
    """
    if isinstance(value, float):  # numpy's float64 is one: the common case, kept cheap
        return float(value)
    if getattr(value, "ndim", None) == 0 and callable(getattr(value, "item", None)):
        value = value.item()  # a 0-d numpy array or torch tensor holding a loss
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = "a bool" if isinstance(value, bool) else type(value).__name__
        raise InvalidValueError(
            f"metric {key!r} must be a real number, not {kind}"
            + (" (log flags as params, or pass int(flag))" if isinstance(value, bool) else ""))
    try:
        return float(value)
    except (OverflowError, ValueError, TypeError) as exc:
        raise InvalidValueError(f"metric {key!r}: {safe_repr(value, 60)} is not a float ({exc})") from None


def check_tags(tags: Iterable[str] | str | None) -> list[str]:
    """Tags as a list: a single str is one tag (not one tag per character)."""
    if tags is None:
        return []
    if isinstance(tags, str):
        tags = [tags]
    try:
        items = list(tags)
    except TypeError:
        raise InvalidValueError(f"tags must be a str or a list of str, not {type(tags).__name__}") from None
    for tag in items:
        if not isinstance(tag, str) or not tag or len(tag) > MAX_TAG or not tag.isprintable():
            raise InvalidValueError(
                f"invalid tag {safe_repr(tag, 60)}: a tag is a str of 1 to {MAX_TAG} printable characters")
    return list(dict.fromkeys(items))


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities (not JSON) as their names: ``"nan"``, ``"inf"``."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def value_json(value: Any) -> str:
    """A param's value as strict JSON (the catalog's JSON functions reject ``NaN``)."""
    try:
        return json.dumps(value, sort_keys=True, default=str, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(value), sort_keys=True, default=str, allow_nan=False)


def param_json(key: str, value: Any) -> str:
    """A JSON-safe param value encoded, refused when longer than ``MAX_PARAM`` characters."""
    text = value_json(value)
    if len(text) > MAX_PARAM:
        raise InvalidValueError(
            f"param {key!r} is {len(text):,} characters as JSON; params are limited to "
            f"{MAX_PARAM:,} (store long values as an artifact with ja.save)")
    return text

