"""A progress bar in the cell's output while a large object streams into the store."""

from __future__ import annotations

import os
import time
from typing import Any

from ..codecs.base import mro_names

LARGE = 256 * 1024 * 1024  # below this a save takes well under a second: no bar
REDRAW = 0.2


def estimated_size(value: Any) -> int:
    """Bytes a value will take on disk, roughly, without serialising it."""
    names = mro_names(value)
    if "numpy.ndarray" in names:
        return int(value.nbytes)
    if any(n.startswith(("pandas.core.frame.DataFrame", "pandas.core.series.Series")) for n in names):
        return int(value.memory_usage(deep=False).sum()) if hasattr(value, "columns") else int(
            value.memory_usage(deep=False))
    if isinstance(value, os.PathLike) and os.path.isfile(value):
        return os.path.getsize(value)
    return 0


class ProgressBar:
    """Callable with bytes written so far; redraws at most every ``REDRAW`` seconds."""

    def __init__(self, label: str, total: int) -> None:
        from IPython.display import HTML, display

        self._html, self.label, self.total = HTML, label, total
        self._last = 0.0
        self._start = time.monotonic()
        self._handle = display(self._render(0), display_id=True, metadata={"jupyter_artifacts": True})

    def _render(self, done: int) -> Any:
        pct = min(100.0, 100.0 * done / max(1, self.total))
        rate = done / max(1e-6, time.monotonic() - self._start) / 1e6
        return self._html(
            f'<div class="jp-Artifacts-Progress" style="font-size:12px">storing {self.label} '
            f'<progress value="{pct:.0f}" max="100" style="vertical-align:middle"></progress> '
            f"{done / 1e6:,.0f} / {self.total / 1e6:,.0f} MB ({rate:,.0f} MB/s)</div>")

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if now - self._last >= REDRAW or done >= self.total:
            self._last = now
            if self._handle is not None:
                self._handle.update(self._render(done), metadata={"jupyter_artifacts": True})


def progress_for(name: str, value: Any) -> ProgressBar | None:
    size = estimated_size(value)
    return ProgressBar(name, size) if size >= LARGE else None
