"""What a tracked cell shows: a compact summary after it, and a live curve while it logs."""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from typing import Any

from ..store.validate import safe_repr
from .costs import cost_text

LIVE_INTERVAL = 0.5  # seconds between redraws of the live curve
LIVE_POINTS = 400


def summary_html(run: Any, outputs: list[Any], inputs: list[Any], metrics: dict[str, float],
                 params: dict[str, Any], warnings: list[str], pending: list[str] = ()) -> str:  # type: ignore[assignment]
    """A one-box HTML summary of a finished run (artifacts with versions, metrics, figures)."""
    def chip(text: str, title: str = "") -> str:
        return (f'<span title="{html.escape(title)}" style="display:inline-block;margin:1px 3px;'
                "padding:0 6px;border-radius:8px;background:var(--jp-layout-color2,#eee);"
                f'color:var(--jp-ui-font-color1,#222)">{html.escape(text)}</span>')

    status_colour = {"ok": "#2e7d32", "failed": "#c62828", "interrupted": "#ef6c00"}.get(run.status, "#555")
    cost = cost_text(run)
    rows = [f'<b>{html.escape(run.name)}</b> <code>{run.ref}</code> '
            f'<span style="color:{status_colour}">{run.status}</span>'
            + (f" in {run.duration:.2f}s" if run.duration is not None else "")
            + (f' <span style="opacity:0.7">· {cost}</span>' if cost else "")]
    if outputs or pending:
        rows.append("outputs " + "".join(chip(_label(v, new), v.metadata.get("reason", v.kind))
                                         for v, new in outputs)
                    + "".join(chip(f"{name} (saving…)", "stored in the background") for name in pending))
    if inputs:
        rows.append("inputs " + "".join(chip(v.ref, v.kind) for v in inputs))
    if metrics:
        rows.append("metrics " + "".join(chip(f"{k}={v:.4g}") for k, v in list(metrics.items())[:12]))
    if params:
        # safe_repr: a param captured from the namespace may have a __repr__ that raises.
        rows.append("params " + "".join(chip(f"{k}={safe_repr(v, 60)}"[:60])
                                        for k, v in list(params.items())[:12]))
    rows.extend(f'<span style="color:#ef6c00">⚠ {html.escape(w)}</span>' for w in warnings)
    body = "<br>".join(rows)
    return ('<div class="jp-Artifacts-Summary" style="font-size:12px;line-height:1.7;padding:4px 8px;'
            "border-left:3px solid var(--jp-brand-color1,#1976d2);"
            f'color:var(--jp-ui-font-color1,#222)">{body}</div>')


def _label(version: Any, new: bool) -> str:
    """``df:v3``, ``df:v3 (unchanged)``, ``image:v2 (lineage only)`` (too large to store)."""
    stored = version.metadata.get("stored", True)
    return version.ref + ("" if new else " (unchanged)") + ("" if stored else " (lineage only)")


def summary_text(run: Any, outputs: list[Any], metrics: dict[str, float],
                 pending: list[str] = ()) -> str:  # type: ignore[assignment]
    parts = [f"{run.name} [{run.ref}] {run.status}"]
    if cost := cost_text(run):
        parts.append(cost)
    if outputs or pending:
        parts.append("outputs: " + ", ".join([*(_label(v, True) for v, _ in outputs),
                                              *(f"{n} (saving…)" for n in pending)]))
    if metrics:
        parts.append("metrics: " + ", ".join(f"{k}={v:.4g}" for k, v in metrics.items()))
    return " | ".join(parts)


def curve_svg(series: dict[str, list[tuple[int, float]]], width: int = 420, height: int = 160) -> str:
    """Small SVG line chart of metric series; no matplotlib so it is cheap to redraw."""
    colours = ["#1976d2", "#d81b60", "#43a047", "#fb8c00", "#8e24aa", "#00897b"]
    pad_l, pad_b, pad_t, pad_r = 48, 18, 18, 8
    points = [p for s in series.values() for p in s]
    if not points:
        return ""
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    y0, y1 = min(p[1] for p in points), max(p[1] for p in points)
    x1 = x1 if x1 > x0 else x0 + 1
    flat = not y1 > y0  # one value (or NaN): drawn at mid-height (``y0 + 1e-12`` is y0 at 16384.0)
    def sx(x: float) -> float:
        return pad_l + (x - x0) / (x1 - x0) * (width - pad_l - pad_r)

    def sy(y: float) -> float:
        # In halves: ``y1 - y0`` overflows to inf for values near the float limits.
        frac = 0.5 if flat else (y * 0.5 - y0 * 0.5) / (y1 * 0.5 - y0 * 0.5)
        return height - pad_b - frac * (height - pad_b - pad_t)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             'style="font:10px sans-serif;fill:var(--jp-ui-font-color1,#333)">',
             f'<text x="4" y="{pad_t}">{y1:.4g}</text><text x="4" y="{height - pad_b}">{y0:.4g}</text>',
             f'<text x="{pad_l}" y="{height - 4}">{x0}</text>'
             f'<text x="{width - pad_r}" y="{height - 4}" text-anchor="end">{x1}</text>']
    for i, (key, pts) in enumerate(series.items()):
        step = max(1, len(pts) // LIVE_POINTS)
        shown = pts[::step] + ([pts[-1]] if (len(pts) - 1) % step else [])
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in shown)
        colour = colours[i % len(colours)]
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{path}"/>')
        parts.append(f'<text x="{pad_l + 6 + 90 * i}" y="11" fill="{colour}">{html.escape(key)} '
                     f"{pts[-1][1]:.4g}</text>")
    parts.append("</svg>")
    return "".join(parts)


class LiveCurve:
    """Redraws logged metrics into one display area at most every ``LIVE_INTERVAL`` seconds.

    The training loop only appends to a list; drawing happens on a timer thread, so the
    loop is never slowed by rendering.
    """

    def __init__(self, show: Callable[[str], Any], update: Callable[[Any, str], None]) -> None:
        self._show, self._update = show, update
        self.series: dict[str, list[tuple[int, float]]] = {}
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._handle: Any = None
        self._thread: threading.Thread | None = None

    def on_metric(self, key: str, step: int | None, value: float) -> None:
        self.series.setdefault(key, []).append((step or 0, value))
        if not self._dirty.is_set():  # set() takes a lock: once per redraw, not once per point
            self._dirty.set()
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="ja-live-curve", daemon=True)
            self._thread.start()

    def _draw(self) -> None:
        self._dirty.clear()
        svg = curve_svg({k: list(v) for k, v in self.series.items()})
        if self._handle is None:
            self._handle = self._show(svg)
        else:
            self._update(self._handle, svg)

    def _loop(self) -> None:
        while not self._stop.wait(LIVE_INTERVAL):
            if self._dirty.is_set():
                self._draw()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            if self._dirty.is_set() or self._handle is None:
                self._draw()
