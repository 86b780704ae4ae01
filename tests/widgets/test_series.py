"""Downsampling and smoothing for display."""

from __future__ import annotations

import numpy as np
import pytest

from jupyter_artifacts.widgets.series import display_series, ema, lower_is_better, minmax_downsample


def test_minmax_downsample_bounds_points_and_keeps_extremes() -> None:
    x = np.arange(10_000, dtype=float)
    y = np.sin(x / 300)
    y[4321] = 50.0  # a spike striding would likely drop
    y[7777] = -50.0
    dx, dy = minmax_downsample(x, y, 600)
    assert len(dx) <= 600
    assert dy.max() == 50.0 and dy.min() == -50.0
    assert dx[0] == 0 and dx[-1] == 9_999
    assert np.all(np.diff(dx) > 0)  # still in x order


def test_short_series_untouched() -> None:
    x, y = np.arange(5.0), np.arange(5.0)
    dx, dy = minmax_downsample(x, y, 600)
    assert dx is x and dy is y


def test_ema_debiased_and_does_not_touch_input() -> None:
    values = np.array([1.0, 1.0, 1.0, 5.0])
    out = ema(values, 0.5)
    assert out[0] == 1.0  # debiasing: no pull towards zero at the start
    assert 1.0 < out[3] < 5.0
    assert values.tolist() == [1.0, 1.0, 1.0, 5.0]


def test_display_series_handles_missing_steps_and_time() -> None:
    points = [(None, 3.0, 100.0), (None, 2.0, 101.5)]
    assert display_series(points) == {"x": [0.0, 1.0], "y": [3.0, 2.0]}
    assert display_series(points, x_axis="time")["x"] == [0.0, 1.5]


@pytest.mark.parametrize(("key", "lower"), [
    ("loss", True), ("val_loss", True), ("train/mse", True), ("rmse", True), ("mae", True),
    ("error_rate", True), ("accuracy", False), ("f1", False), ("auc", False), ("max_depth", False),
])
def test_lower_is_better(key: str, lower: bool) -> None:
    assert lower_is_better(key) is lower
