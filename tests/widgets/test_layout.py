"""The layered lineage layout and its SVG."""

from __future__ import annotations

import random
import re
from itertools import pairwise

from jupyter_artifacts.graph import build_lineage
from jupyter_artifacts.store import Store
from jupyter_artifacts.widgets.graph import lineage_svg
from jupyter_artifacts.widgets.layout import NODE_HEIGHT, ROW_HEIGHT, layout


def test_layers_follow_the_edges_left_to_right() -> None:
    lay = layout(["data", "run", "model", "metrics"],
                 [("data", "run"), ("run", "model"), ("run", "metrics")])
    assert lay["layers"] == [["data"], ["run"], ["model", "metrics"]]
    xs = {n: p[0] for n, p in lay["positions"].items()}
    assert xs["data"] < xs["run"] < xs["model"] == xs["metrics"]


def test_long_edges_route_through_every_layer_and_cycles_do_not_hang() -> None:
    lay = layout(["a", "b", "c", "d"], [("a", "b"), ("b", "c"), ("c", "d"), ("a", "d"), ("d", "d"),
                                        ("c", "b")])
    long_edge = next(r for r in lay["routes"] if (r["source"], r["target"]) == ("a", "d"))
    assert len(long_edge["points"]) == 4  # source, two dummies, target


def test_barycentre_ordering_removes_avoidable_crossings() -> None:
    # Two independent chains given in crossing order: ordering should uncross them.
    lay = layout(["a1", "a2", "b2", "b1"], [("a1", "b1"), ("a2", "b2")])
    y = {n: p[1] for n, p in lay["positions"].items()}
    assert (y["a1"] < y["a2"]) == (y["b1"] < y["b2"])


def test_two_hundred_nodes_do_not_overlap() -> None:
    rng = random.Random(4)
    nodes = [f"n{i}" for i in range(200)]
    edges = [(f"n{i}", f"n{j}") for j in range(1, 200) for i in rng.sample(range(j), k=min(j, 2))]
    lay = layout(nodes, edges)
    seen = set()
    for x, y in lay["positions"].values():
        assert (x, y) not in seen
        seen.add((x, y))
    for layer in lay["layers"]:
        ys = sorted(lay["positions"][n][1] for n in layer)
        assert all(b - a >= ROW_HEIGHT > NODE_HEIGHT for a, b in pairwise(ys))


def test_lineage_graph_data_and_svg(store: Store) -> None:
    graph = build_lineage(store, "model:v2")
    refs = {n["ref"] for n in graph.nodes}
    assert refs >= {"model:v2", "run-3", "train:v1", "run-1"}
    assert set(graph.upstream) == {"run-3", "train:v1", "run-1"} and graph.downstream == []
    assert "model:v2" in graph.stale  # train has a v2 the model was not trained on
    assert graph.root == "model:v2"
    svg = lineage_svg(graph.graph())
    assert len(re.findall(r'class="jp-Artifacts-node"', svg)) == len(graph.nodes)
    assert len(re.findall(r'class="jp-Artifacts-edge"', svg)) == len(graph.edges)
    assert "⚠ model:v2" in svg and 'stroke-dasharray="4 3"' in svg
