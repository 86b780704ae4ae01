"""Metric curves drawn with matplotlib's object API (no pyplot: nothing leaks into the notebook)."""

from __future__ import annotations

import base64
import io
import math
from typing import Any

# Mid-grey text and grid read on both light and dark notebook backgrounds.
INK = "#8a8a8a"


def curves_png(curves: dict[str, Any], *, log_scale: bool = False, max_panels: int = 12,
               width: float = 9.0) -> bytes | None:
    """One panel per metric with every run overlaid; a PNG with a transparent background."""
    from matplotlib.figure import Figure

    keys = [k for k in curves["keys"] if curves["series"].get(k)][:max_panels]
    if not keys:
        return None
    cols = min(3, len(keys))
    rows = math.ceil(len(keys) / cols)
    runs = max(len(curves["series"][k]) for k in keys)
    legend_rows = math.ceil(runs / 5)
    height = 2.6 * rows + 0.45 + 0.2 * legend_rows
    # Fixed margins, not constrained layout: that solver cost more than drawing the curves.
    fig = Figure(figsize=(width, height), dpi=96)
    fig.subplots_adjust(left=0.07, right=0.98, top=1 - 0.35 / height,
                        bottom=(0.5 + 0.2 * legend_rows) / height, wspace=0.25, hspace=0.55)
    fig.patch.set_alpha(0)
    for i, key in enumerate(keys):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.set_facecolor("none")
        for j, s in enumerate(curves["series"][key]):
            ax.plot(s["x"], s["y"], label=s["label"], color=f"C{j % 10}", linewidth=1.3)
        arrow = "↓" if curves["lower_is_better"].get(key) else "↑"
        ax.set_title(f"{key} {arrow}", color=INK, fontsize=10)
        ax.set_xlabel("step" if curves["x_axis"] == "step" else "seconds", color=INK, fontsize=8)
        if log_scale:
            ax.set_yscale("log")
        ax.tick_params(colors=INK, labelsize=8)
        for spine in ax.spines.values():
            spine.set_color(INK)
        ax.grid(alpha=0.25, color=INK)
    handles, labels = fig.axes[0].get_legend_handles_labels()
    if handles:
        legend = fig.legend(handles, labels, loc="lower center", ncols=min(5, len(labels)),
                            fontsize=8, frameon=False)
        for text in legend.get_texts():
            text.set_color(INK)
    buf = io.BytesIO()
    # Fast zlib level: the PNG is a few tens of kB either way, and level 6 doubles the time.
    fig.savefig(buf, format="png", transparent=True, pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def png_b64(data: bytes | None) -> str | None:
    return base64.b64encode(data).decode() if data else None
