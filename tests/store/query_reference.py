"""A tiny pure-Python evaluator of the filter language over hydrated runs (the test oracle)."""

from __future__ import annotations

import math
from typing import Any

from jupyter_artifacts.store import Run
from jupyter_artifacts.store.filters import BoolOp, Comparison, Node
from jupyter_artifacts.store.query import MLFLOW_STATUS, like_match, numeric

ATTRS = {"name": "name", "run_name": "name", "status": "status", "notebook": "notebook_path",
         "number": "number", "start_time": "started_at", "end_time": "ended_at"}


def _sortable(value: Any) -> tuple[int, Any]:
    # SQLite orders numbers before text.
    return (0, float(value)) if isinstance(value, int | float) else (1, value)


def _cmp(left: Any, op: str, right: Any) -> bool:
    a, b = _sortable(left), _sortable(right)
    return {"=": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _text(value: str, cmp: Comparison) -> bool:
    texts = [lit.text for lit in cmp.values]
    if cmp.op in ("LIKE", "ILIKE"):
        return like_match(value, texts[0], cmp.op == "LIKE")
    if cmp.op in ("IN", "NOT IN"):
        return (value in texts) == (cmp.op == "IN")
    return _cmp(value, cmp.op, texts[0])


def _param(value: Any, cmp: Comparison) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, list | dict):
        return False  # the tests log scalars only
    if cmp.op in ("LIKE", "ILIKE"):
        return isinstance(value, str) and _text(value, cmp)
    if cmp.op in ("IN", "NOT IN"):
        hit = any(_param(value, Comparison(cmp.path, "=", (lit,), 0)) for lit in cmp.values)
        return hit == (cmp.op == "IN")
    lit = cmp.value
    number = numeric(lit)
    if number is None:
        return _cmp(value, cmp.op, lit.value)
    if isinstance(value, str):
        return _cmp(value, cmp.op, lit.text)
    return _cmp(value, cmp.op, number)


def _metric(value: float | None, cmp: Comparison) -> bool:
    if value is None or math.isnan(value):
        return False
    numbers = [numeric(lit) for lit in cmp.values]
    if cmp.op in ("IN", "NOT IN"):
        return (value in numbers) == (cmp.op == "IN")
    return _cmp(value, cmp.op, numbers[0])


def _tag(run: Run, key: str, cmp: Comparison) -> bool:
    values = [("true" if t == key else t[len(key) + 1:]) for t in run.tags
              if t == key or t.startswith(key + "=")]
    if cmp.op == "IS NULL":
        return not values
    if cmp.op == "IS NOT NULL":
        return bool(values)
    return any(_text(v, cmp) for v in values)


def matches(run: Run, node: Node | None) -> bool:
    if node is None:
        return True
    if isinstance(node, BoolOp):
        results = [matches(run, item) for item in node.items]
        return all(results) if node.op == "AND" else any(results)
    head, key = node.path[0], ".".join(node.path[1:])
    if head == "metrics":
        if node.op in ("IS NULL", "IS NOT NULL"):
            return (key in run.metrics) == (node.op == "IS NOT NULL")
        return _metric(run.metrics.get(key), node)
    if head == "params":
        if node.op in ("IS NULL", "IS NOT NULL"):
            return (key in run.params) == (node.op == "IS NOT NULL")
        return _param(run.params.get(key), node)
    if head == "tags":
        return _tag(run, key, node)
    if head == "tag":
        if node.op in ("IS NULL", "IS NOT NULL"):
            return bool(run.tags) == (node.op == "IS NOT NULL")
        return any(_text(t, node) for t in run.tags)
    attr = node.path[-1]
    value = getattr(run, ATTRS[attr])
    if node.op in ("IS NULL", "IS NOT NULL"):
        return (value is None) == (node.op == "IS NULL")
    if value is None:
        return False
    if attr in ("number", "start_time", "end_time"):
        numbers = [numeric(lit) for lit in node.values]
        if node.op in ("IN", "NOT IN"):
            return (value in numbers) == (node.op == "IN")
        return _cmp(value, node.op, numbers[0])
    if attr == "status" and node.op not in ("LIKE", "ILIKE"):
        values = tuple(lit.__class__(MLFLOW_STATUS.get(lit.text.lower(), lit.text),
                                     MLFLOW_STATUS.get(lit.text.lower(), lit.text), lit.pos)
                       for lit in node.values)
        node = Comparison(node.path, node.op, values, node.pos)
    return _text(value, node)
