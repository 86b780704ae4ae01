"""Compile parsed filters to SQL over the catalog, with every value a bound parameter.

Two scopes share one grammar (:mod:`jupyter_artifacts.store.filters`):

**Runs** (``Store.search_runs``), row alias ``r``:

- ``metrics.KEY`` : the metric's last value (a number; a NaN value matches nothing);
- ``params.KEY``  : compared as numbers when both sides are numeric (``params.lr = '0.01'``
  matches a param logged as ``0.01``), else as text; numbers sort before text;
- ``tags.KEY``    : tags are labels; ``baseline`` reads as ``tags.baseline = 'true'`` and
  ``team=vision`` as ``tags.team = 'vision'``; ``tag = 'baseline'`` tests a whole label;
- attributes, bare or after ``attributes.`` / ``attr.`` / ``run.``: ``name`` (``run_name``),
  ``status`` (MLflow's FINISHED/FAILED/RUNNING/KILLED are accepted), ``notebook``, ``id``
  (``run_id``), ``number``, ``git_commit``, ``start_time`` / ``end_time`` (epoch seconds or an
  ISO date string; ``created`` and ``started_at`` / ``ended_at`` too), ``duration`` (seconds);
- lineage: ``inputs.name``, ``inputs.version`` (``'train-set:v2'``), ``inputs.kind`` and the
  same under ``outputs.``: the run read (or wrote) such a version.

**Artifact versions** (``Store.search_versions``), row alias ``v``: ``name``, ``kind``,
``version`` (its number), ``ref`` (``'model:v3'``), ``size`` (bytes), ``media_type``,
``created`` (``created_at``), ``alias``, ``tag`` / ``tags.KEY`` (labels, as for runs) and
``run.<any run filter>`` for the run that made the version: ``run.metrics.accuracy > 0.9``,
``run.params.model = 'rf'``, ``run.inputs.name = 'train-set'``.

Everything a key or a run has several of (metrics, params, tags, inputs) is tested with
"there is one that matches": ``params.x != 'a'`` matches runs that have ``x`` with another
value, and ``IS NULL`` / ``IS NOT NULL`` test whether there is one at all. A NULL attribute
(a running run's ``end_time``) matches no comparison.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import FilterError
from . import keys as _keys
from . import liveness
from .catalog import POSTGRESQL, Catalog
from .filters import Comparison, Literal, Node
from .runs import param_value

SQL = tuple[str, list[Any]]
NUMERIC_TEXT = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
ORDER_OPS = ("=", "!=", "<", "<=", ">", ">=")
LIST_OPS = ("IN", "NOT IN")
TEXT_OPS = (*ORDER_OPS, "LIKE", "ILIKE", *LIST_OPS)
NUMBER_OPS = (*ORDER_OPS, *LIST_OPS)
NULL_OPS = ("IS NULL", "IS NOT NULL")
MAX_PATTERN = 1000  # SQLite refuses patterns over 50,000 bytes; none of ours need that
MLFLOW_STATUS = {"finished": "ok", "failed": "failed", "running": "running",
                 "killed": "interrupted", "scheduled": "running"}

RUN_PREFIXES = {"metric": "metrics", "metrics": "metrics", "param": "params", "params": "params",
                "parameter": "params", "parameters": "params", "tag": "tags", "tags": "tags",
                "input": "inputs", "inputs": "inputs", "output": "outputs", "outputs": "outputs"}
ATTRIBUTE_PREFIXES = ("attributes", "attribute", "attr", "run")


@dataclass(frozen=True)
class Field:
    """A column-like value: its SQL expression and how literals compare to it."""

    sql: str
    type: str  # "text", "number", "time" or "status"
    nullable: bool = False


RUN_FIELDS = {
    "name": Field("r.name", "text"), "run_name": Field("r.name", "text"),
    "status": Field("r.status", "status"),
    "notebook": Field("r.notebook_path", "text", True),
    "notebook_path": Field("r.notebook_path", "text", True),
    "id": Field("r.id", "text"), "run_id": Field("r.id", "text"),
    "number": Field("r.number", "number"),
    "git_commit": Field("r.git_commit", "text", True),
    "start_time": Field("r.started_at", "time"), "started_at": Field("r.started_at", "time"),
    "created": Field("r.started_at", "time"),
    "end_time": Field("r.ended_at", "time", True), "ended_at": Field("r.ended_at", "time", True),
    "duration": Field("(r.ended_at - r.started_at)", "number", True),
}
VERSION_FIELDS = {
    "name": Field("v.name", "text"), "kind": Field("v.kind", "text"),
    "version": Field("v.version", "number"), "ref": Field("(v.name || ':v' || v.version)", "text"),
    "size": Field("v.size", "number"), "media_type": Field("v.media_type", "text"),
    "id": Field("v.id", "text"),
    "created": Field("v.created_at", "time"), "created_at": Field("v.created_at", "time"),
}
LINEAGE_FIELDS = {"name": "v.name", "kind": "v.kind", "version": "(v.name || ':v' || v.version)"}


def like_to_glob(pattern: str) -> str:
    """A case-sensitive LIKE pattern (``%``, ``_``) as a GLOB pattern, other text literal."""
    out = []
    for ch in pattern:
        out.append({"%": "*", "_": "?", "*": "[*]", "?": "[?]", "[": "[[]"}.get(ch, ch))
    return "".join(out)


def numeric(lit: Literal) -> float | None:
    """The literal as a number when it is one or a string spelling one, else None."""
    if isinstance(lit.value, float):
        return lit.value
    if NUMERIC_TEXT.fullmatch(lit.value):
        number = float(lit.value)
        return number if math.isfinite(number) else None
    return None


def _fail(message: str, node: Comparison | Literal) -> FilterError:
    return FilterError(message, node.pos)


def _label(cmp: Comparison) -> str:
    return ".".join(cmp.path)


DERIVED_STATUS_SQL = ("(CASE WHEN r.status = 'running' AND r.id IN (SELECT value FROM json_each(?)) "
                      "THEN 'dead' ELSE r.status END)")


class Compiler:
    """Turns one filter tree into a WHERE fragment and its bound values.

    ``catalog`` answers whether a metric, param or tag key exists (an unknown key is an
    error with close matches, never a silent empty result). ``membership`` compiles keyed
    conditions as ``IN (subquery)`` (best for counting) instead of ``EXISTS`` (best for an
    ordered page that stops early).
    """

    def __init__(self, catalog: Catalog, membership: bool = False, run_id: str = "r.id") -> None:
        self.catalog = catalog
        self.membership = membership
        self.run_id = run_id  # what keyed conditions probe with: r.id, or o.run_id in a join
        self.uses_run_row = False  # whether a condition reads a column of runs r
        self._under_or = 0  # how many ORs enclose the condition being compiled
        self.param_value = param_value(catalog)  # a params row's typed value

    def runs(self, node: Node | None) -> SQL:
        return self._bool(node, self.run_atom)

    def versions(self, node: Node | None) -> SQL:
        return self._bool(node, self.version_atom)

    def _bool(self, node: Node | None, atom: Callable[[Comparison], SQL]) -> SQL:
        if node is None:
            return "1", []
        if isinstance(node, Comparison):
            return atom(node)
        parts, params = [], []
        self._under_or += node.op == "OR"
        try:
            for item in node.items:
                sql, values = self._bool(item, atom)
                parts.append(f"({sql})")
                params.extend(values)
        finally:
            self._under_or -= node.op == "OR"
        return f" {node.op} ".join(parts), params

    # -- runs ----------------------------------------------------------------------
    def run_atom(self, cmp: Comparison) -> SQL:
        head, rest = cmp.path[0].lower(), cmp.path[1:]
        if head in RUN_PREFIXES and rest:
            kind = RUN_PREFIXES[head]
            key = ".".join(rest)
            if kind == "metrics":
                return self._metric(cmp, key)
            if kind == "params":
                return self._param(cmp, key)
            if kind == "tags":
                return self._tag_key(cmp, "run_tags", "run_id", self.run_id, key)
            return self._lineage(cmp, "input" if kind == "inputs" else "output", key)
        if head in ATTRIBUTE_PREFIXES and len(rest) == 1:
            head, rest = rest[0].lower(), ()
        if head in ("tag", "tags") and not rest:
            return self._labels(cmp, "run_tags", "run_id", self.run_id)
        if head in RUN_FIELDS and not rest:
            self.uses_run_row = True
            return self._field(cmp, RUN_FIELDS[head])
        raise self._unknown_name(cmp, [*RUN_FIELDS, "tag", "metrics.KEY", "params.KEY",
                                        "tags.KEY", "inputs.name", "outputs.name"])

    def keyed_source(self, cmp: Comparison) -> tuple[str, str, list[Any]] | None:
        """For a metric or param condition: (table, condition, values) listing at most one
        row per run, so a count can walk that table instead of the runs; else None."""
        head, rest = cmp.path[0].lower(), cmp.path[1:]
        if not rest or RUN_PREFIXES.get(head) not in ("metrics", "params") or \
                cmp.op in (*NULL_OPS, "!=", "NOT IN"):
            return None
        key = ".".join(rest)
        if RUN_PREFIXES[head] == "metrics":
            return ("metric_summaries", *self._metric_condition(cmp, key))
        return ("params", *self._param_key_condition(cmp, key))

    def _metric(self, cmp: Comparison, key: str) -> SQL:
        return self._keyed(cmp, key, "metric", "metric_summaries", self._metric_condition)

    def _metric_condition(self, cmp: Comparison, key: str) -> SQL:
        self._known(cmp, "metric", key)
        if cmp.op not in NUMBER_OPS:
            raise _fail(f"{_label(cmp)} is a number: {cmp.op} does not apply to it", cmp)
        numbers = [self._number(cmp, lit) for lit in cmp.values]
        # last < '': a NaN last value is stored as the text 'NaN', which sorts after numbers.
        cond, values = self._compare("last", cmp.op, numbers)
        return f"key = ? AND {cond} AND last < ''", [key, *values]

    def _param(self, cmp: Comparison, key: str) -> SQL:
        return self._keyed(cmp, key, "param", "params", self._param_key_condition)

    def _keyed(self, cmp: Comparison, key: str, what: str, table: str,
               condition: Callable[[Comparison, str], SQL]) -> SQL:
        """A metric or param condition: a row of ``table`` with this key exists (and
        matches); ``condition`` checks that the key is known."""
        if cmp.op in NULL_OPS:
            self._known(cmp, what, key)
            return self._exists(cmp.op == "IS NOT NULL", table, "key = ?", [key])
        return self._exists(True, table, *condition(cmp, key))

    def _param_key_condition(self, cmp: Comparison, key: str) -> SQL:
        self._known(cmp, "param", key)
        # The typed value's (key, typed_value, run_id) index lists the matches by itself.
        cond, values = self._param_condition(cmp, self.param_value)
        return f"key = ? AND {cond}", [key, *values]

    def _param_condition(self, cmp: Comparison, value: str) -> SQL:
        if cmp.op in ("LIKE", "ILIKE"):
            cond, values = self._compare(value, cmp.op, self._pattern(cmp, [cmp.value.text]))
            return f"{value} >= '' AND {cond}", values  # text values only
        if cmp.op in LIST_OPS:
            # A number both as a number (numeric params) and as written (text params).
            items: list[Any] = []
            for lit in cmp.values:
                number = numeric(lit)
                items.extend([number, lit.text] if number is not None else [lit.value])
            return self._compare(value, cmp.op, items)
        number = numeric(cmp.value)
        if number is None:
            return self._compare(value, cmp.op, [cmp.value.value])
        if cmp.op in ("=", "!="):
            return self._compare(value, "IN" if cmp.op == "=" else "NOT IN",
                                 [number, cmp.value.text])
        # Numbers sort before text: '' bounds each kind to its own range of the index.
        return (f"(({value} {cmp.op} ? AND {value} < '') OR ({value} {cmp.op} ? AND "
                f"{value} >= ''))", [number, cmp.value.text])

    def _tag_key(self, cmp: Comparison, table: str, id_col: str, outer: str, key: str) -> SQL:
        self._known(cmp, "tag", key, table)
        # "key" (no value) reads as key = 'true'; "key=value" as key = value.
        pairs, bounds = "tag >= ? AND tag < ?", [key + "=", key + ">"]
        if cmp.op in NULL_OPS:
            return self._exists(cmp.op == "IS NOT NULL", table, f"tag = ? OR ({pairs})",
                                [key, *bounds], id_col, outer)
        texts = [lit.text for lit in cmp.values]
        cond, values = self._compare(f"substr(tag, {len(key) + 2})", cmp.op,
                                     self._pattern(cmp, texts))
        parts, params = [f"({pairs} AND {cond})"], [*bounds, *values]
        if _text_matches("true", cmp.op, texts):
            parts.append("tag = ?")
            params.append(key)
        return self._exists(True, table, " OR ".join(parts), params, id_col, outer)

    def _labels(self, cmp: Comparison, table: str, id_col: str, outer: str,
                column: str = "tag") -> SQL:
        if cmp.op in NULL_OPS:
            return self._exists(cmp.op == "IS NOT NULL", table, "1", [], id_col, outer)
        texts = [lit.text for lit in cmp.values]
        cond, values = self._compare(column, cmp.op, self._pattern(cmp, texts))
        return self._exists(True, table, cond, values, id_col, outer)

    def _lineage(self, cmp: Comparison, event: str, field: str) -> SQL:
        if field not in LINEAGE_FIELDS:
            raise _fail(f"unknown field {_label(cmp)!r}: use {event}s.name, {event}s.version "
                        f"or {event}s.kind", cmp)
        table = "events e JOIN versions v ON v.id = e.version_id"
        if cmp.op in NULL_OPS:
            return self._exists(cmp.op == "IS NOT NULL", table, "e.type = ?", [event],
                                "e.run_id")
        texts = [lit.text for lit in cmp.values]
        cond, values = self._compare(LINEAGE_FIELDS[field], cmp.op, self._pattern(cmp, texts))
        return self._exists(True, table, f"e.type = ? AND {cond}", [event, *values], "e.run_id")

    # -- artifact versions ---------------------------------------------------------
    def version_atom(self, cmp: Comparison) -> SQL:
        head, rest = cmp.path[0].lower(), cmp.path[1:]
        if head == "run" and rest:
            inner = Comparison(rest, cmp.op, cmp.values, cmp.pos)
            sql, values = self.run_atom(inner)
            return f"v.run_id IN (SELECT r.id FROM runs r WHERE {sql})", values
        if head in ("tags", "tag") and rest:
            return self._tag_key(cmp, "version_tags", "version_id", "v.id", ".".join(rest))
        if head in ATTRIBUTE_PREFIXES[:3] and len(rest) == 1:
            head, rest = rest[0].lower(), ()
        if not rest and head in ("tag", "tags"):
            return self._labels(cmp, "version_tags", "version_id", "v.id")
        if not rest and head in ("alias", "aliases"):
            return self._labels(cmp, "aliases", "version_id", "v.id", column="alias")
        if not rest and head in VERSION_FIELDS:
            return self._field(cmp, VERSION_FIELDS[head])
        if head in RUN_PREFIXES:
            raise _fail(f"{_label(cmp)!r}: artifact versions have no {head}; for the run that "
                        f"made them write run.{_label(cmp)}", cmp)
        raise self._unknown_name(cmp, [*VERSION_FIELDS, "alias", "tag", "tags.KEY",
                                        "run.metrics.KEY", "run.params.KEY"])

    # -- shared pieces -------------------------------------------------------------
    def _field(self, cmp: Comparison, field: Field) -> SQL:
        if cmp.op in NULL_OPS:
            return f"{field.sql} {cmp.op}", []
        if field.type == "text" or field.type == "status":
            items = self._pattern(cmp, [lit.text for lit in cmp.values])
            if field.type == "status" and cmp.op not in ("LIKE", "ILIKE"):
                items = [MLFLOW_STATUS.get(str(v).lower(), v) for v in items]
            if field.type == "status":
                # "dead" is derived (store/liveness.py): a run stored as running whose
                # writer is gone. The few running rows are checked here, in Python.
                sql, values = self._compare(DERIVED_STATUS_SQL, cmp.op, items)
                return sql, [json.dumps(liveness.dead_run_ids(self.catalog)), *values]
            return self._compare(field.sql, cmp.op, items)
        if cmp.op not in NUMBER_OPS:
            raise _fail(f"{_label(cmp)} is a number: {cmp.op} does not apply to it", cmp)
        convert = self._time if field.type == "time" else self._number
        return self._compare(field.sql, cmp.op, [convert(cmp, lit) for lit in cmp.values])

    def _pattern(self, cmp: Comparison, texts: list[str]) -> list[Any]:
        if cmp.op not in TEXT_OPS:
            raise _fail(f"{cmp.op} does not apply to {_label(cmp)}", cmp)
        if cmp.op in ("LIKE", "ILIKE") and len(texts[0]) > MAX_PATTERN:
            raise _fail(f"a {cmp.op} pattern is limited to {MAX_PATTERN} characters", cmp)
        if cmp.op == "LIKE":
            return [like_to_glob(texts[0])]
        return list(texts)

    @staticmethod
    def _compare(expr: str, op: str, items: list[Any]) -> SQL:
        if op in LIST_OPS:
            return f"{expr} {op} ({','.join('?' * len(items))})", items
        if op == "LIKE":
            return f"{expr} GLOB ?", items  # case-sensitive, as MLflow's LIKE
        if op == "ILIKE":
            return f"{expr} LIKE ?", items  # SQLite's LIKE ignores ASCII case
        return f"{expr} {op} ?", items

    def _exists(self, positive: bool, table: str, cond: str, values: list[Any],
                id_col: str = "run_id", outer: str = "") -> SQL:
        outer = outer or self.run_id
        # PostgreSQL makes a semi-join of an IN only among AND-ed conditions. Under an OR,
        # or as NOT IN (NULL semantics), it tests a subquery per row, hashed only if its ids
        # fit work_mem, else read again in full for each row: a count of "params.p0 = 'v4'
        # and (metrics.m1 > 0.5 or metrics.m2 > 0.9)" over 1,000,000 runs ran 29 minutes.
        # (NOT) EXISTS probes an index per row, and NOT EXISTS among ANDs is an anti-join.
        if self.membership and (self.catalog.dialect != POSTGRESQL or
                                (positive and not self._under_or)):
            # IN: SQLite drives from the most selective index (counting all matches).
            word = "IN" if positive else "NOT IN"
            return f"{outer} {word} (SELECT {id_col} FROM {table} WHERE {cond})", values
        # EXISTS on the (id, key) primary key: a probe per candidate row, so an ordered page
        # stops early instead of materialising every match of every condition.
        word = "EXISTS" if positive else "NOT EXISTS"
        return f"{word} (SELECT 1 FROM {table} WHERE {id_col} = {outer} AND ({cond}))", values

    def _number(self, cmp: Comparison, lit: Literal) -> float:
        number = numeric(lit)
        if number is None:
            raise _fail(f"{_label(cmp)} is a number: {lit.text!r} is not one", lit)
        return number

    def _time(self, cmp: Comparison, lit: Literal) -> float:
        number = numeric(lit)
        if number is not None:
            return number
        try:
            return datetime.fromisoformat(str(lit.value)).timestamp()
        except (ValueError, OverflowError, OSError):
            raise _fail(f"{_label(cmp)} is a time: {lit.text!r} is neither epoch seconds nor "
                        "an ISO date", lit) from None

    def _known(self, cmp: Comparison, kind: str, key: str, table: str = "") -> None:
        if not _keys.has_key(self.catalog, kind, key, table):
            raise _keys.unknown(self.catalog, kind, key, cmp.pos, table)

    @staticmethod
    def _unknown_name(cmp: Comparison, names: list[str]) -> FilterError:
        import difflib

        close = difflib.get_close_matches(_label(cmp), names, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; use one of {', '.join(names)}"
        return _fail(f"unknown name {_label(cmp)!r}{hint}", cmp)


def _text_matches(text: str, op: str, items: list[str]) -> bool:
    """Whether ``text`` satisfies ``op`` against ``items``, as SQLite compares text."""
    if op == "IN":
        return text in items
    if op == "NOT IN":
        return text not in items
    if op in ("LIKE", "ILIKE"):
        return like_match(text, items[0], case_sensitive=op == "LIKE")
    other = items[0]
    return {"=": text == other, "!=": text != other, "<": text < other, "<=": text <= other,
            ">": text > other, ">=": text >= other}[op]


def like_match(text: str, pattern: str, case_sensitive: bool) -> bool:
    """LIKE as the compiled SQL does it: ``%`` any run, ``_`` one character; ILIKE folds ASCII."""
    if not case_sensitive:
        text, pattern = _ascii_lower(text), _ascii_lower(pattern)
    regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, text, re.DOTALL) is not None


def _ascii_lower(text: str) -> str:
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
