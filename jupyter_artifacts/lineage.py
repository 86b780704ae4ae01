"""``ja.lineage(ref)``: the lineage graph around a version or run, as data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .store import Store


@dataclass
class Lineage:
    """Runs and versions around ``root``: ``upstream`` made it, ``downstream`` was made from it."""

    root: str
    nodes: list[dict[str, Any]]
    edges: list[dict[str, str]]
    upstream: list[str] = field(default_factory=list)
    downstream: list[str] = field(default_factory=list)

    @property
    def stale(self) -> list[str]:
        """Refs of versions in the graph made from an input that has a newer version."""
        return [n["ref"] for n in self.nodes if n.get("stale")]

    def to_dict(self) -> dict[str, Any]:
        return {"root": self.root, "nodes": self.nodes, "edges": self.edges,
                "upstream": self.upstream, "downstream": self.downstream, "stale": self.stale}


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
    )


def lineage(ref: str, depth: int = 3, store: Store | None = None) -> Lineage:
    """The lineage graph around ``ref`` (a version or a run): upstream, downstream, stale."""
    from . import tracking

    return build_lineage(store or tracking.default_store(), ref, depth)
