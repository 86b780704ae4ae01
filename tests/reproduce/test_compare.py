"""Comparing recorded and replayed values: tolerance, readable differences, seeds, pixels."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from jupyter_artifacts.reproduce.compare import (
    CLOSE,
    DIFFERS,
    EXACT,
    figure_pixels,
    metrics,
    unseeded,
    values,
)


def test_arrays_and_frames_within_tolerance_or_not() -> None:
    a = np.linspace(0, 1, 100)
    assert values(a, a.copy(), 1e-6) == (EXACT, "")
    status, detail = values(a, a + 1e-9, 1e-6)
    assert status == CLOSE and "max difference" in detail
    assert values(a, a[:50], 1e-6)[0] == DIFFERS
    frame = pd.DataFrame({"x": a, "label": ["a"] * 100})
    other = frame.assign(x=frame.x * 1.1)
    status, detail = values(frame, other, 1e-6)
    assert status == DIFFERS and detail.startswith("column x:")
    assert values(frame, frame.iloc[::-1], 1e-6) == (DIFFERS, "the row index differs")


def test_metrics() -> None:
    assert metrics("acc", 0.9, 0.9, 1e-6).status == EXACT
    assert metrics("acc", 0.9, 0.9 + 1e-9, 1e-6).status == CLOSE
    assert metrics("acc", 0.9, 0.8, 1e-6).line() == "acc: differs (0.9 -> 0.8)"
    assert metrics("acc", 0.9, None, 1e-6).status == DIFFERS


@pytest.mark.parametrize(("code", "expected"), [
    ("x = np.random.rand(3)", ["np.random.rand() with no np.random.seed()"]),
    ("np.random.seed(0)\nx = np.random.rand(3)", []),
    ("rng = np.random.default_rng()", ["default_rng() with no seed"]),
    ("rng = np.random.default_rng(4)", []),
    ("m = RandomForestClassifier(n_estimators=5).fit(X, y)",
     ["RandomForestClassifier(...) with no random_state"]),
    ("m = RandomForestClassifier(n_estimators=5, random_state=0)", []),
    ("a, b = train_test_split(X, random_state=None)", ["train_test_split(...) with no random_state"]),
    ("w = torch.randn(3, 3)", ["torch.randn() with no torch.manual_seed()"]),
    ("torch.manual_seed(1)\nw = torch.randn(3, 3)", []),
    ("k = random.choice(items)", ["random.choice() with no random.seed()"]),
    ("m = LogisticRegression().fit(X, y)", []),
])
def test_unseeded_randomness_from_the_code(code: str, expected: list[str]) -> None:
    assert unseeded(code) == expected


def test_figures_by_pixels() -> None:
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    def png(ys: list[float]) -> bytes:
        fig, ax = plt.subplots(figsize=(3, 2), dpi=50)
        ax.plot(ys)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
        return buf.getvalue()

    same = png([1, 2, 3])
    assert figure_pixels(same, png([1, 2, 3]), 0.01)[0] == EXACT
    status, detail = figure_pixels(same, png([3, 1, 2]), 0.01)
    assert status == DIFFERS and "of pixels differ" in detail
    assert figure_pixels(same, png([3, 1, 2]), 0.5)[0] == CLOSE
