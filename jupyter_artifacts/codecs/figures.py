"""Figures: matplotlib figures -> PNG (primary object) and SVG (secondary object)."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from .base import Codec, Encoded, Progress, mro_names

if TYPE_CHECKING:
    from ..store import ArtifactVersion, Store

PNG = "image/png"


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


class FigureCodec(Codec):
    """A matplotlib Figure, stored as PNG for previews and SVG for print quality."""

    name = "matplotlib.figure"
    kind = "figure"
    module = "matplotlib"

    def matches(self, obj: Any) -> bool:
        return "matplotlib.figure.Figure" in mro_names(obj)

    def encode(self, obj: Any, store: Store, progress: Progress | None = None) -> Encoded:
        png, svg = io.BytesIO(), io.BytesIO()
        # Fixed metadata keeps the bytes (so the oid) stable across identical re-runs.
        obj.savefig(png, format="png", bbox_inches="tight", metadata={"Software": None})
        obj.savefig(svg, format="svg", bbox_inches="tight", metadata={"Date": None})
        png_oid, size, _ = store.objects.put_bytes(png.getvalue())
        svg_oid, svg_size, _ = store.objects.put_bytes(svg.getvalue())
        summary = figure_summary(obj)
        summary["svg_size"] = svg_size
        return Encoded(png_oid, size, self.kind, PNG, summary, {"objects": {"svg": svg_oid}})

    def decode(self, version: ArtifactVersion, store: Store, trust: bool = False) -> Any:
        """Return the PNG as an ``IPython.display.Image`` when IPython is there, else bytes."""
        data = store.objects.read_bytes(version.oid)
        try:
            from IPython.display import Image
        except ImportError:
            return data
        return Image(data=data, format="png")
