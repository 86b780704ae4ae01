"""A helper process for the costly part of storing: figures' SVGs and models' files.

Why a process and not a thread: SVG rendering is pure Python (10 s for a dense plot) and a
thread would hold the GIL against the user's next cell; matplotlib is not thread-safe either
(rcParams and pyplot state are global). The kernel pickles the figure when it is stored, so
later changes to it cannot reach the SVG, and sends the rcParams of that moment with it.

Models are handed over the same way: skops walks a model in Python (a second for a big forest),
which on a thread would slow the user's next cell as much as it saved this one.

The helper runs in its own session and writes into the store itself: once a job is
handed over, it is finished even if the kernel stops (a headless run ends with the kernel
shut down right after its last cell). It exits when the kernel closes the pipe.

Protocol: a job is an 8-byte big-endian length + JSON header (see :meth:`SvgWorker.hand_over`)
and an 8-byte length + pickle of ``(figure, rcparams)`` or of the model, followed by as many
length-prefixed buffers as the header's ``buffers`` says (the pickle's large arrays, sent out
of band: see :class:`Pickled`); each answer is a length + JSON (``ok``, ``error``, ``seconds``).
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..busyflag import BusyFlag, Pauser, pause_renderers
from ..helperboot import BOOT, HEADER, RawJob, frame, read_frame
from . import background

# rcParams a figure reads while it is saved (the rest is fixed in its artists when drawn).
_RC_PREFIXES = ("svg.", "savefig.", "path.", "hatch.", "image.", "text.", "mathtext.", "font.", "pdf.")
# A collection with more elements than this is embedded as an image in the SVG (as
# matplotlib's ``rasterized=True`` does): 90,000 quads of a pcolormesh take 10 s and tens
# of MB as vector paths, and print no better.
RASTERIZE_ABOVE = 5000
RASTER_DPI = 150
# Buffers at least this big leave the pickle stream (smaller ones cost more as frames).
OUT_OF_BAND_BYTES = 64 * 1024
_log = logging.getLogger(__name__)


def render_svg(fig: Any) -> bytes:
    """The figure's SVG, as stored (fixed metadata, so identical re-runs give identical bytes).

    Leaves the figure as it found it (it may be the user's own, when it cannot be pickled).
    """
    heavy = [artist for ax in fig.get_axes() for artist in ax.collections
             if not artist.get_rasterized() and _items(artist) > RASTERIZE_ABOVE]
    for artist in heavy:
        artist.set_rasterized(True)
    out = io.BytesIO()
    try:
        fig.savefig(out, format="svg", bbox_inches="tight", dpi=RASTER_DPI, metadata={"Date": None})
    finally:
        for artist in heavy:
            artist.set_rasterized(False)
    return out.getvalue()


def _items(collection: Any) -> int:
    """How many shapes a collection draws, without making them: a QuadMesh's paths are
    built on request, one Path per cell (0.45 s for a 300x300 ``pcolormesh``, more than
    the rest of its SVG)."""
    from matplotlib.collections import QuadMesh

    if isinstance(collection, QuadMesh):
        coordinates: Any = collection.get_coordinates()  # an (rows, columns, 2) array
        rows, columns = coordinates.shape[:2]
        return max(0, rows - 1) * max(0, columns - 1)
    return max(len(collection.get_paths()), len(collection.get_offsets()))


@dataclass(frozen=True)
class Pickled:
    """A value pickled (protocol 5) with its large buffers beside the stream, each a copy.

    Writing a big array into the stream costs more than the copy itself: the stream grows
    by reallocation and is copied again into the final bytes (10 ms for the 5.6 MB of a
    drawn 300x300 pcolormesh, against 4 ms with its arrays copied out of band).
    """

    stream: bytes | bytearray
    buffers: tuple[bytes | bytearray, ...] = ()

    @classmethod
    def of(cls, value: Any) -> Pickled:
        """Pickle ``value`` now; raises if it cannot be pickled."""
        buffers: list[bytes] = []

        def aside(buffer: pickle.PickleBuffer) -> bool:
            try:
                raw = buffer.raw()
            except BufferError:  # not contiguous: it stays in the stream
                return True
            if raw.nbytes < OUT_OF_BAND_BYTES:
                return True
            buffers.append(bytes(raw))  # a copy: the value may change once the cell goes on
            return False

        stream = pickle.dumps(value, protocol=5, buffer_callback=aside)
        return cls(stream, tuple(buffers))

    def load(self) -> Any:
        return pickle.loads(self.stream, buffers=self.buffers)


def snapshot(fig: Any) -> Pickled:
    """A pickle of the figure and the rcParams it is saved with; raises if it cannot pickle."""
    import matplotlib

    rc = {k: v for k, v in matplotlib.rcParams.items() if k.startswith(_RC_PREFIXES)}
    return Pickled.of((fig, rc))


# -- the helper process --------------------------------------------------------------
def _run_job(header: dict[str, Any], payload: Pickled, stores: dict[Any, Any]) -> dict[str, Any]:
    from ..store import Store

    root, objects = header["store"], header.get("objects")
    if (root, objects) not in stores:  # the kernel's objects location, even if passed in code
        stores[root, objects] = Store.open(Path(root), create=False, objects=objects)
    store = stores[root, objects]
    # Only ever fed by the kernel that started us, with objects it pickled itself.
    value = payload.load()
    if header["job"] == "save":
        from . import save_object

        version, created = save_object(store, value, header["name"], kind=header["kind"],
                                       run_id=header["run_id"], allow_pickle=False)
        return {"version": version.id, "created": created}
    import matplotlib
    import matplotlib.pyplot as plt

    fig, rc = value
    matplotlib.rcParams.update(rc)
    try:
        svg = render_svg(fig)
    finally:
        plt.close(fig)  # unpickling registers it with pyplot here (never in the kernel)
    oid, size, _ = store.objects.put_bytes(svg)
    store.set_version_object(header["version"], "svg", oid, size)
    return {}


def _prewarm() -> None:
    """Import what a figure's job needs while there is none.

    Not skops (sklearn with it: 1.9 s of CPU): a notebook that draws but stores no model
    would pay for it, beside its first cells (two cores are shared by the kernel, its BLAS
    threads and this helper, low priority or not). The first model handed over imports it.
    """
    for module in ("matplotlib.pyplot", "jupyter_artifacts.codecs"):
        with contextlib.suppress(Exception):
            __import__(module)


def serve(jobs: queue.Queue[RawJob | None], stdout: IO[bytes], pauser: Pauser) -> None:
    """The helper's loop (started by :mod:`jupyter_artifacts.helperboot`, which reads the
    jobs into ``jobs``): run each job, answer on ``stdout``, until the kernel is gone."""
    import warnings

    import matplotlib

    matplotlib.use("agg")
    warnings.simplefilter("ignore")
    pause_renderers(pauser.wait)
    threading.Thread(target=_prewarm, daemon=True).start()
    stores: dict[Any, Any] = {}
    while (job := jobs.get()) is not None:
        header, stream, buffers = job
        pauser.new_job()
        start = time.perf_counter()
        try:
            answer = {"ok": True, **_run_job(header, Pickled(stream, buffers), stores)}
        except Exception as exc:  # report, and keep serving
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        answer["seconds"] = time.perf_counter() - start
        try:
            stdout.write(frame(json.dumps(answer).encode()))
            stdout.flush()
        except OSError:
            pass  # the kernel is gone; finish the jobs it handed over anyway


# -- the kernel's side -----------------------------------------------------------------
class SvgWorker:
    """The kernel's handle on one helper process, started on first use; thread-safe."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._waiting: deque[Future[Any]] = deque()
        self._busy: BusyFlag | None = None
        self._listening = False

    @property
    def idle(self) -> bool:
        """Not started (or stopped)."""
        return self._proc is None or self._proc.poll() is not None

    def start(self) -> None:
        with self._lock:
            self._process()

    def _process(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._fail_waiting("svg worker stopped")
            self._proc = subprocess.Popen(
                [sys.executable, "-c", BOOT, __name__, self._busy_path()],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env={**os.environ, "MPLBACKEND": "agg"},
                # Its own session: Jupyter interrupts and terminates the kernel's process
                # group when it stops a kernel; a render handed over must still finish.
                start_new_session=True,
            )
            threading.Thread(target=self._answers, args=(self._proc,), daemon=True,
                             name="ja-svg-answers").start()
        return self._proc

    def _busy_path(self) -> str:
        """A new flag for a new helper (the last one removed its file): renders pause
        while the kernel holds background work, that is while a cell runs."""
        if self._busy is not None:
            self._busy.close()
        if not self._listening:
            self._listening = True
            background.on_hold(self._set_busy)
            atexit.register(self._close_busy)  # if the helper never got to remove the file
        try:
            self._busy = BusyFlag()
        except (OSError, ValueError):  # no temporary folder: the helper never pauses
            self._busy = None
            return ""
        return self._busy.path

    def _set_busy(self, held: bool) -> None:
        if (busy := self._busy) is not None:
            busy.set(held)

    def _close_busy(self) -> None:
        if (busy := self._busy) is not None:
            busy.close()

    def hand_over(self, job: dict[str, Any], payload: Pickled) -> Future[Any]:
        """Give the worker one job (``{"job": "svg", "store", "version"}`` or ``{"job": "save",
        "store", "name", "kind", "run_id"}``); returns once it has the job, with a future of
        its answer (a dict with ``ok``, ``error``, ``seconds``, and for a save ``version``
        and ``created``)."""
        answer: Future[Any] = Future()
        header = json.dumps({**job, "buffers": len(payload.buffers)}).encode()
        with self._lock:
            proc = self._process()
            assert proc.stdin is not None
            self._waiting.append(answer)
            try:
                for part in (header, payload.stream, *payload.buffers):
                    proc.stdin.write(HEADER.pack(len(part)))
                    proc.stdin.write(part)
                proc.stdin.flush()
            except OSError as exc:
                self._waiting.remove(answer)
                proc.kill()
                raise RuntimeError(f"svg worker stopped ({exc})") from None
        return answer

    def _answers(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        try:
            while True:
                answer = json.loads(read_frame(proc.stdout))
                with self._lock:
                    future = self._waiting.popleft()
                future.set_result(answer)
        except (EOFError, OSError, ValueError, IndexError):
            with self._lock:
                if self._proc is proc:
                    self._fail_waiting("svg worker stopped")

    def _fail_waiting(self, message: str) -> None:
        while self._waiting:
            self._waiting.popleft().set_result({"ok": False, "error": message, "seconds": 0.0})
