"""``ja.lineage(ref)``: the lineage graph around a version or run, as data and as a widget."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .store import Store


@dataclass
class Lineage:
    """Runs and versions around ``root``: ``upstream`` made it, ``downstream`` was made from it.

    Plain data; in a notebook it displays as the lineage widget (a layered SVG graph with a
    node selector), with the static SVG as the ``text/html`` fallback.
    """

    root: str
    nodes: list[dict[str, Any]]
    edges: list[dict[str, str]]
    upstream: list[str] = field(default_factory=list)
    downstream: list[str] = field(default_factory=list)
    #: The root's node id (``version:<id>`` / ``run:<id>``), which the edges use.
    root_id: str = ""
    store: Store | None = field(default=None, repr=False, compare=False)

    @property
    def stale(self) -> list[str]:
        """Refs of versions in the graph made from an input that has a newer version."""
        return [n["ref"] for n in self.nodes if n.get("stale")]

    def to_dict(self) -> dict[str, Any]:
        return {"root": self.root, "nodes": self.nodes, "edges": self.edges,
                "upstream": self.upstream, "downstream": self.downstream, "stale": self.stale}

    def graph(self) -> dict[str, Any]:
        """The graph as ``Store.lineage`` returns it (root as a node id), for the renderers."""
        return {"root": self.root_id, "nodes": self.nodes, "edges": self.edges}

    def svg(self) -> str:
        """The graph drawn as SVG (in a scrolling ``<div>``)."""
        from .widgets.graph import lineage_svg

        return lineage_svg(self.graph())

    def widget(self) -> Any:
        """The interactive lineage widget for this graph."""
        from .widgets.lineage_view import LineageView

        if self.store is None:
            raise ValueError("this graph was built without a store to browse")
        return LineageView(self.store, self.graph())

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        if self.store is None:
            from .widgets.html import box

            return {"text/html": box(self.svg(), title="Lineage"), "text/plain": repr(self)}
        return self.widget()._repr_mimebundle_()


def _walk(edges: list[dict[str, str]], start: str, forward: bool) -> list[str]:
    src, dst = ("source", "target") if forward else ("target", "source")
    seen, frontier = [], [start]
    while frontier:
        node = frontier.pop()
        for edge in edges:
            if edge[src] == node and edge[dst] not in seen and edge[dst] != start:
                seen.append(edge[dst])
                frontier.append(edge[dst])
    return seen


def build_lineage(store: Store, ref: str, depth: int = 3) -> Lineage:
    graph = store.lineage(ref, depth=depth)
    refs = {n["id"]: n["ref"] for n in graph["nodes"]}
    edges = graph["edges"]
    return Lineage(
        root=refs[graph["root"]], nodes=graph["nodes"], edges=edges,
        upstream=[refs[n] for n in _walk(edges, graph["root"], forward=False)],
        downstream=[refs[n] for n in _walk(edges, graph["root"], forward=True)],
        root_id=graph["root"], store=store,
    )


def lineage(ref: str, depth: int = 3, store: Store | str | None = None) -> Lineage:
    """The lineage graph around ``ref`` (a version or a run): upstream, downstream, stale.

    ``store`` is a :class:`Store`, a path, or None for this process's default store.
    """
    from . import tracking

    if isinstance(store, str):
        store = Store.open(store)
    return build_lineage(store or tracking.default_store(), ref, depth)
