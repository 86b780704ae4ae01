"""``ja.lineage(ref)``: the lineage graph of an artifact version or run, as data and as a widget."""

from __future__ import annotations

import sys
import types
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from .store import Store


@dataclass
class LineageGraph:
    """The graph around ``root``: runs and versions linked by input/output edges.

    It is plain data (``nodes``, ``edges``, ``upstream``, ``downstream``, ``stale``) and
    displays itself as the lineage widget in a notebook, with a static SVG fallback.
    """

    root: str
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    upstream: list[str] = field(default_factory=list)
    downstream: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    store: Store | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_store(cls, store: Store, ref: str, depth: int = 3) -> LineageGraph:
        data = store.lineage(ref, depth=depth)
        graph = cls(root=data["root"], nodes=data["nodes"], edges=data["edges"], store=store)
        graph.upstream = graph._reach(forward=False)
        graph.downstream = graph._reach(forward=True)
        graph.stale = [n["ref"] for n in graph.nodes if n.get("stale")]
        return graph

    def _reach(self, *, forward: bool) -> list[str]:
        """Refs of the nodes reachable from the root along (or against) the edges."""
        nxt: dict[str, list[str]] = {}
        for e in self.edges:
            a, b = (e["source"], e["target"]) if forward else (e["target"], e["source"])
            nxt.setdefault(a, []).append(b)
        seen, queue = {self.root}, deque([self.root])
        while queue:
            for other in nxt.get(queue.popleft(), []):
                if other not in seen:
                    seen.add(other)
                    queue.append(other)
        refs = {n["id"]: n["ref"] for n in self.nodes}
        return [refs[n] for n in seen if n != self.root and n in refs]

    def as_dict(self) -> dict[str, Any]:
        """The graph in the shape ``Store.lineage`` returns (what the renderers take)."""
        return {"root": self.root, "nodes": self.nodes, "edges": self.edges}

    def widget(self) -> Any:
        """The interactive lineage widget for this graph."""
        from .widgets.lineage_view import LineageView

        if self.store is None:
            raise ValueError("this graph has no store to browse")
        return LineageView(self.store, self.as_dict())

    def svg(self) -> str:
        from .widgets.graph import lineage_svg

        return lineage_svg(self.as_dict())

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        if self.store is None:
            from .widgets.html import box

            return {"text/html": box(self.svg(), title="Lineage"), "text/plain": repr(self)}
        return self.widget()._repr_mimebundle_()

    def __repr__(self) -> str:
        return (f"LineageGraph(root={self.root!r}, {len(self.nodes)} nodes, {len(self.edges)} edges, "
                f"stale={self.stale})")


def lineage(ref: str, depth: int = 3, *, store: Store | str | None = None) -> LineageGraph:
    """The lineage graph around an artifact (``model``, ``model:v3``) or a run (``run-17``)."""
    from .widgets.base import resolve_store

    return LineageGraph.from_store(resolve_store(store), ref, depth)


class _CallableModule(types.ModuleType):
    """Importing ``jupyter_artifacts.lineage`` binds the *module* to ``ja.lineage`` (the import
    system sets the submodule as a package attribute), shadowing the lazy function; making
    the module callable keeps ``ja.lineage(ref)`` working whichever was imported first."""

    def __call__(self, ref: str, depth: int = 3, *, store: Store | str | None = None) -> LineageGraph:
        return lineage(ref, depth, store=store)


sys.modules[__name__].__class__ = _CallableModule
