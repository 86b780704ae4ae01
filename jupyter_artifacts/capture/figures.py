"""Catching the matplotlib figures a cell drew, before the inline backend closes them."""

from __future__ import annotations

import base64
import sys
from typing import Any

from ..codecs.base import mro_names
from ..codecs.figures import remember_shown


def _state(fig: Any) -> tuple[int, ...]:
    """A cheap token of what a figure holds: how many artists it and each of its axes have."""
    return (len(fig.get_children()), *(len(ax.get_children()) for ax in fig.get_axes()))


def open_figures() -> dict[int, tuple[Any, tuple[int, ...]]]:
    """The open pyplot figures by number with their state; empty (no import) if pyplot is unused.

    Read from pyplot's registry directly: ``plt.figure(num)`` would make each one current.
    """
    if "matplotlib.pyplot" not in sys.modules:
        return {}
    from matplotlib._pylab_helpers import Gcf

    managers = list(Gcf.figs.items())
    return {num: (m.canvas.figure, _state(m.canvas.figure)) for num, m in managers}


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


class ShownFigures:
    """While a tracked cell runs, keep the PNG each displayed figure was shown as.

    Wraps the shell's display formatter (the one ``display(fig)`` and the inline backend's
    ``flush_figures`` go through), so the bytes stored are the very bytes the frontend got.
    """

    def __init__(self, shell: Any) -> None:
        self.formatter = shell.display_formatter
        self._format = self.formatter.format

    def _wrapped(self, obj: Any, *args: Any, **kwargs: Any) -> Any:
        result = self._format(obj, *args, **kwargs)
        try:
            if "matplotlib.figure.Figure" in mro_names(obj):
                data = result[0].get("image/png")
                if data is not None:
                    remember_shown(obj, base64.b64decode(data) if isinstance(data, str) else data)
        except Exception:  # noting is best effort: the figure is then drawn again when stored
            pass
        return result

    def __enter__(self) -> ShownFigures:
        self.formatter.format = self._wrapped
        return self

    def __exit__(self, *exc: object) -> None:
        if self.formatter.__dict__.get("format") == self._wrapped:
            del self.formatter.format
