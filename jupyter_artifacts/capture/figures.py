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


def figures_drawn(before: dict[int, tuple[Any, tuple[int, ...]]],
                  shown: list[tuple[Any, tuple[int, ...]]] = ()) -> list[Any]:  # type: ignore[assignment]
    """Figures created during the cell, plus earlier ones the cell drew on.

    ``shown`` holds figures seen open whenever something was displayed: ``plt.show()``
    under the inline backend displays and then closes them before the cell ends.
    """
    states_before = {id(fig): state for fig, state in before.values()}
    drawn: list[Any] = []
    for fig, state in [*shown, *open_figures().values()]:
        unchanged = states_before.get(id(fig)) == state
        if not unchanged and all(f is not fig for f in drawn):
            drawn.append(fig)
    return drawn
