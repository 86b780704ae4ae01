"""Catching the matplotlib figures a cell drew, before the inline backend closes them."""

from __future__ import annotations

import sys
from typing import Any


def _state(fig: Any) -> tuple[int, ...]:
    """A cheap token of what a figure holds: how many artists it and each of its axes have."""
    return (len(fig.get_children()), *(len(ax.get_children()) for ax in fig.get_axes()))


def open_figures() -> dict[int, tuple[Any, tuple[int, ...]]]:
    """The open pyplot figures by number with their state; empty (no import) if pyplot is unused."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return {}
    return {num: (fig, _state(fig)) for num in plt.get_fignums() if (fig := plt.figure(num))}


def figures_drawn(before: dict[int, tuple[Any, tuple[int, ...]]]) -> list[Any]:
    """Figures created during the cell, plus earlier ones the cell drew on."""
    drawn = []
    for num, (fig, state) in open_figures().items():
        old = before.get(num)
        if old is None or old[0] is not fig or old[1] != state:
            drawn.append(fig)
    return drawn
