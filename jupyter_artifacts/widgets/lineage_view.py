"""The lineage widget: the SVG graph plus a node selector synced with it."""

from __future__ import annotations

import json
import time
from typing import Any

import ipywidgets as w

from ..store import Store
from .base import FallbackBox, html_widget
from .graph import lineage_svg
from .html import FG2, box, esc, fmt


def node_details(graph: dict[str, Any], node_id: str | None) -> str:
    """A small card describing one node of the graph."""
    node = next((n for n in graph["nodes"] if n["id"] == node_id), None)
    if node is None:
        return ""
    shown = {k: v for k, v in node.items() if k not in ("id", "label", "started_at")}
    if node.get("started_at"):
        shown["started"] = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(node["started_at"]))
    rows = "".join(f"<div><b>{esc(k)}</b>: {fmt(v)}</div>" for k, v in shown.items())
    # json.dumps quotes and escapes: a name from a copied store cannot break out of the string.
    call = "ja.get_run" if node["type"] == "run" else "ja.load"
    hint = f"{call}({json.dumps(node['ref'])})"
    return box(f'<div style="font-size:12px">{rows}<div style="color:{FG2};margin-top:4px">'
               f"<code>{esc(hint)}</code></div></div>")


class LineageView(FallbackBox):
    """The graph around one artifact version or run; the Dropdown selects (highlights) a node.

    SVG clicks cannot reach Python without a custom widget, so the Dropdown is the
    selection and the SVG redraws with the selected node outlined.
    """

    def __init__(self, store: Store, graph: dict[str, Any], **kwargs: Any) -> None:
        self.store = store
        self.graph = graph
        self.selector = w.Dropdown(description="node", layout=w.Layout(width="360px"))
        self.recentre = w.Button(description="Centre here", tooltip="Show the graph around this node")
        self.svg = html_widget()
        self.details = html_widget()
        self.selector.observe(self._on_select, names="value")
        self.recentre.on_click(self._on_recentre)
        super().__init__(children=[w.HBox([self.selector, self.recentre]), self.svg, self.details], **kwargs)
        self.set_graph(graph)

    def set_graph(self, graph: dict[str, Any]) -> None:
        """Show another graph (e.g. after a refresh or a new root)."""
        self.graph = graph
        options = [(n["label"] + (" ⚠" if n.get("stale") else ""), n["id"]) for n in graph["nodes"]]
        self.selector.options = options
        self.selector.value = graph.get("root") if options else None
        self._draw()

    def _on_select(self, change: dict[str, Any]) -> None:
        self._draw()

    def _on_recentre(self, _button: Any) -> None:
        node = next((n for n in self.graph["nodes"] if n["id"] == self.selector.value), None)
        if node is not None:
            self.set_graph(self.store.lineage(node["ref"]))

    def _draw(self) -> None:
        self.svg.value = lineage_svg(self.graph, self.selector.value)
        self.details.value = node_details(self.graph, self.selector.value)

    def static_html(self) -> str:
        return box(lineage_svg(self.graph, self.selector.value), title="Lineage")
