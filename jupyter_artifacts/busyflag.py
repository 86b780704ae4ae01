"""The kernel tells its helper process when a cell runs, through one shared byte.

Why: the helper renders figures' SVGs at the lowest priority, yet on a two-core machine the
cells a render overlapped still ran slower (statsmodels' boxplot notebook, headless: figure
cells took 1.3-2x as long tracked; with SVGs turned off, as long as untracked). The kernel,
nbclient and the helper share the cores, and a render that lasts longer than the gap
between two cells is there for the whole next cell. So the helper pauses between drawing
calls while a cell runs: interactively, renders then happen while the person reads the
output; under nbclient, in the gaps and after the last cell (the helper outlives the kernel).

The helper's imports wait the same way, module by module (see
:mod:`jupyter_artifacts.helperboot`): started by a cell's first figure or model, they took
a second of CPU beside the next cells.

A pause never lasts forever: at most :data:`MAX_PAUSE_S` per job (a cell that trains for
an hour does not hold back the figures before it for an hour), and not at all once the
kernel is gone (its pipe closed) or the byte cannot be shared. A model's save, once its
modules are imported, is not paused: it is finished as soon as it can be. Whoever waits
for the helper's work in the kernel lets the byte go first (``wait_pending`` releases).
"""

from __future__ import annotations

import contextlib
import functools
import mmap
import os
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

MAX_PAUSE_S = 30.0
PAUSE_STEP_S = 0.005
_DRAW_METHODS = ("draw_path", "draw_markers", "draw_path_collection", "draw_quad_mesh",
                 "draw_gouraud_triangles", "draw_image", "draw_text")


class BusyFlag:
    """The kernel's side: a byte in a file both processes map, 1 while a cell runs."""

    def __init__(self) -> None:
        fd, self.path = tempfile.mkstemp(prefix="jupyter-artifacts-busy-")
        try:
            os.write(fd, b"\0")
            self._map: mmap.mmap | None = mmap.mmap(fd, 1)
        finally:
            os.close(fd)

    def set(self, busy: bool) -> None:
        if self._map is not None:
            self._map[0] = 1 if busy else 0

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.path)  # the helper has it mapped (or removed it already)
        if self._map is not None:
            self._map[0] = 0  # a kernel leaving mid-cell lets its helper finish at once
            self._map.close()
            self._map = None


class Pauser:
    """The helper's side: :meth:`wait` returns once the kernel is between cells."""

    def __init__(self, path: str | None) -> None:
        self.kernel_gone = threading.Event()
        self._budget = MAX_PAUSE_S
        self._map: mmap.mmap | None = None
        if path:
            with contextlib.suppress(OSError, ValueError):
                with open(path, "rb") as file:
                    self._map = mmap.mmap(file.fileno(), 1, access=mmap.ACCESS_READ)
                os.unlink(path)  # mapped: the file's name is no longer needed

    def new_job(self) -> None:
        """A new render: its pauses may again add up to :data:`MAX_PAUSE_S`."""
        self._budget = MAX_PAUSE_S

    def wait(self) -> None:
        while (self._map is not None and self._map[0] and self._budget > 0
               and not self.kernel_gone.is_set()):
            start = time.monotonic()
            time.sleep(PAUSE_STEP_S)
            self._budget -= time.monotonic() - start


def pause_renderers(wait: Callable[[], None]) -> None:
    """Make matplotlib's SVG and Agg renderers call ``wait()`` before each drawing call
    (in the helper process only: its renderers draw nothing but stored figures)."""
    from matplotlib.backends import backend_agg, backend_svg

    for cls in (backend_svg.RendererSVG, backend_agg.RendererAgg):
        for name in _DRAW_METHODS:
            original = cls.__dict__.get(name)
            if callable(original):
                setattr(cls, name, _paused(original, wait))


def _paused(method: Callable[..., Any], wait: Callable[[], None]) -> Callable[..., Any]:
    @functools.wraps(method)
    def draw(*args: Any, **kwargs: Any) -> Any:
        wait()
        return method(*args, **kwargs)

    return draw
