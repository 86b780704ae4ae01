"""The lineage graph drawn as SVG text from the layered layout."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from .html import ACCENT, BG, BORDER, FG, FG2, FONT, WARN, esc
from .layout import NODE_HEIGHT, NODE_WIDTH, layout

KIND_COLOURS = {
    "dataset": "#1e88e5", "features": "#00897b", "model": "#8e24aa", "metrics": "#43a047",
    "figure": "#fb8c00", "table": "#3949ab", "report": "#6d4c41", "config": "#757575",
}
RUN_COLOUR = "#546e7a"
MAX_LABEL = 24


def _label(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def lineage_svg(graph: dict[str, Any], selected: str | None = None) -> str:
    """An SVG of ``graph`` (``nodes``/``edges``/``root`` as the store returns them).

    Runs are grey rounded boxes, versions coloured by kind; the root has a thick outline, the
    selected node an accent one; stale versions are dashed with a warning mark, versions that
    are not the latest are faded. Each node carries a ``<title>`` (tooltip) and a ``data-id``.
    """
    nodes = {n["id"]: n for n in graph["nodes"]}
    if not nodes:
        return f'<div style="color:{FG2}">No lineage recorded.</div>'
    edges = [(e["source"], e["target"]) for e in graph["edges"]
             if e["source"] in nodes and e["target"] in nodes]
    lay = layout(list(nodes), edges)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="jp-Artifacts-lineage" width="{lay["width"]}" '
        f'height="{lay["height"]}" viewBox="0 0 {lay["width"]} {lay["height"]}" '
        f'style="font-family:{FONT};font-size:11px">',
        '<defs><marker id="ja-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" style="fill:{FG2}"/>'
        "</marker></defs>",
    ]
    for route in lay["routes"]:
        pts = route["points"]
        d = f"M{pts[0][0]:.1f},{pts[0][1]:.1f} " + " ".join(
            _curve(a, b) for a, b in pairwise(pts))
        parts.append(f'<path class="jp-Artifacts-edge" d="{d}" style="fill:none;stroke:{FG2};'
                     f'stroke-opacity:0.7;stroke-width:1.2" marker-end="url(#ja-arrow)"/>')
    for node_id, (x, y) in lay["positions"].items():
        parts.append(_node(nodes[node_id], x, y, root=node_id == graph.get("root"),
                           selected=node_id == selected))
    parts.append("</svg>")
    return (f'<div style="overflow:auto;max-height:560px;border:1px solid {BORDER};background:{BG}">'
            + "".join(parts) + "</div>")


def _curve(a: tuple[float, float], b: tuple[float, float]) -> str:
    mid = (a[0] + b[0]) / 2
    return f"C{mid:.1f},{a[1]:.1f} {mid:.1f},{b[1]:.1f} {b[0]:.1f},{b[1]:.1f}"


def _node(n: dict[str, Any], x: float, y: float, *, root: bool, selected: bool) -> str:
    is_run = n["type"] == "run"
    colour = RUN_COLOUR if is_run else KIND_COLOURS.get(n.get("kind", ""), "#607d8b")
    stale = bool(n.get("stale"))
    stroke = ACCENT if selected else (WARN if stale else colour)
    width = 3 if (selected or root) else 1.5
    dash = ' stroke-dasharray="4 3"' if stale else ""
    opacity = "0.55" if (not is_run and n.get("latest") is False and not selected) else "1"
    rx = 12 if is_run else 4
    label = ("⚠ " if stale else "") + _label(n["label"])
    title = n["label"] + (" (stale: an input has a newer version)" if stale else "") + (
        f" · {n['kind']}" if not is_run else f" · {n.get('status', '')}")
    return (
        f'<g class="jp-Artifacts-node" data-id="{esc(n["id"])}" data-type="{esc(n["type"])}" '
        f'opacity="{opacity}">'
        f"<title>{esc(title)}</title>"
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{NODE_WIDTH}" height="{NODE_HEIGHT}" rx="{rx}" '
        f'style="fill:{BG};stroke:{stroke};stroke-width:{width}"{dash}/>'
        + ("" if is_run else  # a kind-coloured tab on versions; runs are plain rounded boxes
           f'<rect x="{x:.1f}" y="{y:.1f}" width="6" height="{NODE_HEIGHT}" rx="2" style="fill:{colour}"/>')
        + f'<text x="{x + 12:.1f}" y="{y + NODE_HEIGHT / 2 + 4:.1f}" style="fill:{FG}">'
        + f"{esc(label)}</text></g>"
    )
