"""Figures: matplotlib figures -> PNG (primary object) and SVG (secondary object).

The PNG is the one the user was shown when there is one (the inline backend has just drawn
it), else it is drawn once. The SVG is rendered off the critical path by a helper process
from a pickled snapshot taken now, and attached to the version when it is ready.
"""

from __future__ import annotations

import contextlib
import io
import logging
import threading
import weakref
from collections.abc import Iterator
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from . import background
from .base import Codec, Encoded, Progress, mro_names
from .svgworker import Pickled, SvgWorker, render_svg, snapshot

if TYPE_CHECKING:
    from ..store import ArtifactVersion, Store

PNG = "image/png"
_log = logging.getLogger(__name__)
_worker = SvgWorker()


def helper() -> SvgWorker:
    """The helper process shared by figures and deferred model saves."""
    return _worker
# PNG bytes a frontend was shown for a figure, valid while the figure is not changed.
_shown: weakref.WeakKeyDictionary[Any, tuple[bytes, tuple[int, ...]]] = weakref.WeakKeyDictionary()
_hooked: weakref.WeakSet[Any] = weakref.WeakSet()
# Snapshots being taken in the background; no user code may run until they are done.
_snapshots: set[Future[Any]] = set()
_snapshot_later = threading.local()


@contextlib.contextmanager
def snapshots_in_background() -> Iterator[None]:
    """Inside the block, figures are pickled on the SVG lane instead of at once.

    Only for callers that run :func:`wait_snapshots` before any user code runs again (the
    tracked cell's hooks do, in the next ``pre_run_cell``): the pickle must see the figure
    as it was stored, and a figure changed mid-pickle would give a torn snapshot.
    """
    _snapshot_later.on = True
    try:
        yield
    finally:
        _snapshot_later.on = False


def wait_snapshots() -> None:
    """Block until every background snapshot has been taken."""
    for future in list(_snapshots):
        future.exception()


def _state(fig: Any) -> tuple[int, ...]:
    return (len(fig.get_children()), *(len(ax.get_children()) for ax in fig.get_axes()))


def remember_shown(fig: Any, png: bytes) -> None:
    """Note the PNG just displayed for ``fig`` so storing it does not draw it again.

    Any later change to the figure or its artists marks it stale, which reaches the figure's
    ``stale_callback``: ours forgets the PNG there (and calls the one it wraps), so a PNG
    that is no longer the figure is never stored.
    """
    _shown[fig] = (png, _state(fig))
    if fig not in _hooked:
        chained = fig.stale_callback

        def forget(artist: Any, value: Any) -> None:
            _shown.pop(artist, None)
            if chained is not None:
                chained(artist, value)

        fig.stale_callback = forget
        _hooked.add(fig)  # not an attribute: a copy of the figure must not seem hooked


def shown_png(fig: Any) -> bytes | None:
    """The PNG last displayed for ``fig`` if the figure has not changed since."""
    entry = _shown.get(fig)
    if entry is None or entry[1] != _state(fig):
        return None
    return entry[0]


def figure_summary(fig: Any) -> dict[str, Any]:
    width, height = fig.get_size_inches()
    axes = []
    for ax in fig.get_axes()[:12]:
        axes.append({"title": ax.get_title(), "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel()})
    title = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) else ""
    if not title and axes:
        title = next((a["title"] for a in axes if a["title"]), "")
    return {"type": "figure", "width_px": round(width * fig.dpi), "height_px": round(height * fig.dpi),
            "title": title, "axes": axes}


def _attach_svg(store: Store, version: ArtifactVersion, payload: Pickled | Any | None,
                svg: bytes | None) -> None:
    """Background job: hand the snapshot to the SVG helper (which stores the SVG itself), or
    store an SVG already made. ``payload`` may be a :class:`Future` of the snapshot."""
    if isinstance(payload, Future):
        try:
            payload = payload.result()
        except Exception as exc:  # unpicklable after all: no SVG rather than a stale one
            _log.warning("jupyter-artifacts: no SVG for %s (figure cannot be copied: %s: %s)",
                         version.ref, type(exc).__name__, exc)
            return
    if svg is not None:
        oid, size, _ = store.objects.put_bytes(svg)
        store.set_version_object(version.id, "svg", oid, size)
        return
    try:
        answer = _worker.hand_over({"job": "svg", "store": str(store.root),
                                    "objects": store.objects.url, "version": version.id},
                                   payload)  # type: ignore[arg-type]
    except RuntimeError as exc:
        _log.warning("jupyter-artifacts: no SVG for %s (%s)", version.ref, exc)
        return
    background.track(answer, detached=True)

    def report(done: Any) -> None:
        result = done.result()
        done.seconds = result.get("seconds", 0.0)
        if not result.get("ok"):
            _log.warning("jupyter-artifacts: no SVG for %s (%s)", version.ref, result.get("error"))

    answer.add_done_callback(report)


def _snapshot_soon(fig: Any) -> Future[Pickled]:
    # A lane of its own: the next cell waits for snapshots (wait_snapshots), and must not
    # wait behind a hand-over to the helper, which blocks until a busy helper reads it.
    future = background.submit(snapshot, fig, lane="snapshot")
    _snapshots.add(future)
    future.add_done_callback(_snapshots.discard)
    return future


class FigureCodec(Codec):
    """A matplotlib Figure, stored as PNG for previews and SVG for print quality."""

    name = "matplotlib.figure"
    kind = "figure"
    module = "matplotlib"

    def matches(self, obj: Any) -> bool:
        return "matplotlib.figure.Figure" in mro_names(obj)

    def encode(self, obj: Any, store: Store, progress: Progress | None = None) -> Encoded:
        png = shown_png(obj)
        if png is None:
            buf = io.BytesIO()
            # Fixed metadata keeps the bytes (so the oid) stable across identical re-runs.
            obj.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
            png = buf.getvalue()
        payload: Pickled | Future[Pickled] | None
        if getattr(_snapshot_later, "on", False):
            payload, svg = _snapshot_soon(obj), None
        else:
            try:
                payload, svg = snapshot(obj), None
            except Exception:  # an unpicklable artist (a lambda formatter): render it here
                payload, svg = None, render_svg(obj)
        png_oid, size, _ = store.objects.put_bytes(png)
        return Encoded(png_oid, size, self.kind, PNG, figure_summary(obj), {},
                       later=lambda version: self._later(store, version, payload, svg))

    @staticmethod
    def _later(store: Store, version: ArtifactVersion, payload: Pickled | Future[Pickled] | None,
               svg: bytes | None) -> None:
        if "svg" in version.metadata.get("objects", {}):
            return  # an unchanged re-run: this version has its SVG already
        background.submit(_attach_svg, store, version, payload, svg, lane="svg")

    def decode(self, version: ArtifactVersion, store: Store, trust: bool = False) -> Any:
        """Return the PNG as an ``IPython.display.Image`` when IPython is there, else bytes."""
        data = store.objects.read_bytes(version.oid)
        try:
            from IPython.display import Image
        except ImportError:
            return data
        return Image(data=data, format="png")
