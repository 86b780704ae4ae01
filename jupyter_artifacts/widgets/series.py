"""Metric series for display: smoothing, min/max-preserving downsampling, direction of "best".

Everything here works on copies: the stored points are never altered.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..store import Store

#: Points kept per series on screen: more than a plot's pixel width gains nothing.
MAX_POINTS = 600
_LOWER_TOKENS = {"loss", "error", "err", "mse", "mae", "rmse", "mape", "perplexity", "ppl", "wer", "cer"}


def lower_is_better(key: str) -> bool:
    """True for metric names that measure an error (``val_loss``, ``train/mse``, ``rmse``)."""
    tokens = [t for t in re.split(r"[^a-z0-9]+", key.lower()) if t]
    return any(t in _LOWER_TOKENS or t.endswith("loss") for t in tokens)


def minmax_downsample(
    x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS
) -> tuple[np.ndarray, np.ndarray]:
    """Keep the minimum and the maximum of each of ``max_points // 2`` buckets, in x order.

    Unlike striding, spikes (a diverging loss, a NaN-adjacent blow-up) survive, and the first
    and last points are always kept so a curve starts and ends where the data does.
    """
    n = len(y)
    if n <= max_points:
        return x, y
    buckets = max(1, (max_points - 2) // 2)
    bucket = (np.arange(n) * buckets) // n
    # Sorted by (bucket, value): each bucket's first row is its min, its last row its max.
    order = np.lexsort((y, bucket))
    starts = np.flatnonzero(np.r_[True, bucket[order][1:] != bucket[order][:-1]])
    ends = np.r_[starts[1:], n] - 1
    keep = np.unique(np.r_[0, order[starts], order[ends], n - 1])
    return x[keep], y[keep]


def ema(values: np.ndarray, weight: float) -> np.ndarray:
    """Exponential moving average with TensorBoard's debiasing (``weight`` in [0, 1))."""
    if weight <= 0 or len(values) == 0:
        return values
    out = np.empty_like(values, dtype=float)
    last, debias = 0.0, 0.0
    for i, v in enumerate(values.tolist()):
        last = last * weight + (1 - weight) * v
        debias = debias * weight + (1 - weight)
        out[i] = last / debias
    return out


def display_series(
    points: Sequence[tuple[int | None, float, float]], *, x_axis: str = "step", smoothing: float = 0.0,
    max_points: int = MAX_POINTS,
) -> dict[str, list[float]]:
    """Turn stored ``(step, value, time)`` points into bounded ``{"x": [...], "y": [...]}``.

    ``x_axis`` is ``"step"`` or ``"time"`` (seconds since the series' first point). Smoothing
    runs on the full series before downsampling, so the curve does not depend on the bucket size.
    """
    if not points:
        return {"x": [], "y": []}
    arr = np.asarray([(i if s is None else s, v, t) for i, (s, v, t) in enumerate(points)], dtype=float)
    x = arr[:, 2] - arr[0, 2] if x_axis == "time" else arr[:, 0]
    y = ema(arr[:, 1], smoothing)
    x, y = minmax_downsample(x, y, max_points)
    return {"x": x.tolist(), "y": y.tolist()}


def read_display_series(
    store: Store, run_id: str, key: str, *, count: int, x_axis: str = "step", smoothing: float = 0.0,
    max_points: int = MAX_POINTS,
) -> dict[str, list[float]]:
    """A run's metric ready to draw, reading no more than needed.

    Short series, smoothed ones (the average needs every point) and series with missing
    steps are read whole and downsampled in numpy; long ones are downsampled inside SQLite,
    which avoids building 10,000 Python tuples per curve (this decides whether a 20-run
    comparison opens in under a second).
    """
    if count > max_points and smoothing <= 0:
        points = store.metric_series_minmax(run_id, key, buckets=max(1, (max_points - 2) // 2))
        if points is not None:
            return display_series(points, x_axis=x_axis, max_points=max_points)
    return display_series(store.metric_series(run_id, key), x_axis=x_axis, smoothing=smoothing,
                          max_points=max_points)
