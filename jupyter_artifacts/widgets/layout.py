"""A layered left-to-right DAG layout (Sugiyama style) for the lineage graph, as plain data.

Steps: break cycles (a run that reads and re-saves the same version makes one), assign layers
by longest path from the sources, insert dummy nodes on edges spanning several layers, order
each layer by the barycentre of its neighbours (a few down and up sweeps), then place nodes on
a grid. Linear enough for the few hundred nodes a lineage view shows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

COL_WIDTH = 210
ROW_HEIGHT = 40
NODE_WIDTH = 170
NODE_HEIGHT = 28
MARGIN = 12
SWEEPS = 6


def _acyclic_edges(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop back edges found by an iterative depth-first search (and self loops)."""
    out: dict[str, list[str]] = defaultdict(list)
    for s, t in edges:
        if s != t:
            out[s].append(t)
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    back: set[tuple[str, str]] = set()
    for root in nodes:
        if root in state:
            continue
        stack = [(root, iter(out[root]))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(out[child])))
    return [(s, t) for s, t in edges if s != t and (s, t) not in back]


def _layers(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layering: every node sits one layer right of its furthest predecessor."""
    preds: dict[str, list[str]] = defaultdict(list)
    indeg = dict.fromkeys(nodes, 0)
    succ: dict[str, list[str]] = defaultdict(list)
    for s, t in edges:
        preds[t].append(s)
        succ[s].append(t)
        indeg[t] += 1
    layer = dict.fromkeys(nodes, 0)
    ready = [n for n in nodes if indeg[n] == 0]
    while ready:
        node = ready.pop()
        for t in succ[node]:
            layer[t] = max(layer[t], layer[node] + 1)
            indeg[t] -= 1
            if indeg[t] == 0:
                ready.append(t)
    return layer


def layout(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Positions for ``nodes`` and polyline routes for ``edges``.

    Returns ``{"positions": {id: (x, y)}, "routes": [{"source", "target", "points"}],
    "layers": [[ids]], "width", "height"}``; ``points`` run from the source's right side to
    the target's left side through the dummy nodes, so long edges avoid crossing node boxes.
    """
    dag = _acyclic_edges(nodes, edges)
    layer = _layers(nodes, dag)
    # Dummy chain per long edge so that ordering sees it in every layer it crosses.
    chains: dict[tuple[str, str], list[str]] = {}
    adj_edges: list[tuple[str, str]] = []
    for s, t in dag:
        chain = [s]
        for k in range(layer[s] + 1, layer[t]):
            dummy = f"\0{s}->{t}#{k}"
            layer[dummy] = k
            chain.append(dummy)
        chain.append(t)
        chains[(s, t)] = chain
        adj_edges.extend(pairwise(chain))
    n_layers = max(layer.values(), default=-1) + 1
    layers: list[list[str]] = [[] for _ in range(n_layers)]
    for node in [*nodes, *(n for n in layer if n.startswith("\0"))]:
        layers[layer[node]].append(node)
    up: dict[str, list[str]] = defaultdict(list)
    down: dict[str, list[str]] = defaultdict(list)
    for s, t in adj_edges:
        down[s].append(t)
        up[t].append(s)
    _order(layers, up, down)
    ys = _assign_y(layers, up, down)
    top = min(ys.values(), default=0.0)
    positions = {node: (MARGIN + i * COL_WIDTH, MARGIN + ys[node] - top)
                 for i, lyr in enumerate(layers) for node in lyr}
    bottom = max((y for _, y in positions.values()), default=MARGIN)
    routes = []
    for s, t in edges:
        # A dropped back edge or a self loop has no chain: draw it straight.
        chain = chains.get((s, t)) or [s, t]
        x0, y0 = positions[chain[0]]
        pts: list[tuple[float, float]] = [(x0 + NODE_WIDTH, y0 + NODE_HEIGHT / 2)]
        pts += [(positions[d][0] + NODE_WIDTH / 2, positions[d][1] + NODE_HEIGHT / 2) for d in chain[1:-1]]
        pts.append((positions[chain[-1]][0], positions[chain[-1]][1] + NODE_HEIGHT / 2))
        routes.append({"source": s, "target": t, "points": pts})
    real = {n: positions[n] for n in nodes}
    return {
        "positions": real, "routes": routes,
        "layers": [[n for n in lyr if not n.startswith("\0")] for lyr in layers],
        "width": 2 * MARGIN + max(n_layers - 1, 0) * COL_WIDTH + NODE_WIDTH,
        "height": MARGIN + bottom + NODE_HEIGHT,
    }


def _assign_y(
    layers: list[list[str]], up: dict[str, list[str]], down: dict[str, list[str]]
) -> dict[str, float]:
    """Vertical positions: the widest layer packed, the others next to their neighbours.

    Centring every layer on the widest one leaves a small upstream layer floating in the
    middle of a tall graph, far from the rows it links to; instead each node goes to the mean
    height of its neighbours in the layer already placed, pushed down only to keep a row apart.
    """
    ys: dict[str, float] = {}
    if not layers:
        return ys
    widest = max(range(len(layers)), key=lambda i: len(layers[i]))
    for j, node in enumerate(layers[widest]):
        ys[node] = j * ROW_HEIGHT
    for i in range(widest + 1, len(layers)):
        _place(layers[i], up, ys)
    for i in range(widest - 1, -1, -1):
        _place(layers[i], down, ys)
    return ys


def _place(layer: list[str], neighbours: dict[str, list[str]], ys: dict[str, float]) -> None:
    wanted = []
    for node in layer:
        ks = [ys[m] for m in neighbours[node] if m in ys]
        wanted.append(sum(ks) / len(ks) if ks else None)
    previous = float("-inf")
    for node, want in zip(layer, wanted, strict=True):
        y = max(want if want is not None else previous + ROW_HEIGHT, previous + ROW_HEIGHT)
        ys[node] = y
        previous = y
    # Pushing down only drifts a crowded layer below its neighbours: shift it back up by the
    # mean overshoot so it stays centred on what it links to.
    over = [ys[n] - w for n, w in zip(layer, wanted, strict=True) if w is not None]
    if over:
        shift = sum(over) / len(over)
        for node in layer:
            ys[node] -= shift


def _order(layers: list[list[str]], up: dict[str, list[str]], down: dict[str, list[str]]) -> None:
    """Barycentre heuristic: sort each layer by the mean index of its neighbours, sweeping."""
    for sweep in range(SWEEPS):
        forward = sweep % 2 == 0
        indices = range(1, len(layers)) if forward else range(len(layers) - 2, -1, -1)
        for i in indices:
            ref = layers[i - 1] if forward else layers[i + 1]
            pos = {n: k for k, n in enumerate(ref)}
            neighbours = up if forward else down
            current = {n: k for k, n in enumerate(layers[i])}

            def key(node: str, pos: dict[str, int] = pos, nbrs: dict[str, list[str]] = neighbours,
                    current: dict[str, int] = current) -> float:
                ks = [pos[m] for m in nbrs[node] if m in pos]
                return sum(ks) / len(ks) if ks else float(current[node])

            layers[i].sort(key=key)
