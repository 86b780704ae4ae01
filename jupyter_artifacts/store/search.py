"""Run and artifact-version search: filter, order, page, count, read only.

A page never hides that it is one: :class:`~jupyter_artifacts.store.records.RunPage` carries
the total number of matches next to the rows.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import FilterError
from . import filters
from .catalog import Catalog
from .counts import cached_count, count_runs, counting
from .query import RUN_FIELDS, VERSION_FIELDS, Compiler
from .records import Run, RunPage
from .runs import hydrate, param_value

MAX_CONDITIONS = 200  # far beyond a hand-written filter; keeps SQLite's expression limits away
# A page uses the matching ids when matches**2 <= this * (limit + offset) * runs: checking
# a walked candidate's conditions costs about 5 times loading one id (see _membership).
MEMBERSHIP_PAYS = 5


@dataclass(frozen=True)
class SortKey:
    """One ORDER BY term: a scalar expression over ``r`` (or ``v``) and its direction."""

    label: str
    expr: str
    params: tuple[Any, ...]
    descending: bool
    nullable: bool
    # For metrics and params: (table, value expression over alias o, key) to walk its index.
    keyed: tuple[str, str, str] | None = None

    def terms(self) -> tuple[str, list[Any]]:
        direction = "DESC" if self.descending else "ASC"
        if self.nullable:  # missing values last, whatever the direction
            return (f"({self.expr}) IS NULL, ({self.expr}) {direction}",
                    [*self.params, *self.params])
        return f"{self.expr} {direction}", list(self.params)


def _count_conditions(node: filters.Node | None) -> int:
    if node is None:
        return 0
    if isinstance(node, filters.Comparison):
        return 1
    return sum(_count_conditions(item) for item in node.items)


def parse_filter(text: str | None) -> filters.Node | None:
    """Parse a filter and refuse one too large to run."""
    node = filters.parse(text or "")
    if _count_conditions(node) > MAX_CONDITIONS:
        raise FilterError(f"a filter is limited to {MAX_CONDITIONS} comparisons")
    return node


def parse_order(item: str, default_descending: bool = False) -> tuple[tuple[str, ...], bool]:
    """``"metrics.acc DESC"`` -> (``("metrics", "acc")``, True); the same key syntax as filters."""
    tokens = filters.tokenize(item)
    if tokens[0].kind != "ident":
        raise filters.FilterSyntaxError(item, tokens[0].pos, "a name such as metrics.acc",
                                        found=repr(tokens[0].text or tokens[0].value or "")
                                        if tokens[0].kind != "end" else "nothing")
    path = tuple(str(s) for s in tokens[0].value)  # type: ignore[attr-defined]
    descending = default_descending
    rest = tokens[1:-1]
    if rest:
        word = rest[0]
        spelled = word.value[0].upper() if word.kind == "ident" else ""  # type: ignore[index]
        if len(rest) > 1 or spelled not in ("ASC", "DESC"):
            raise filters.FilterSyntaxError(item, word.pos, "ASC, DESC or the end",
                                            found=repr(word.text))
        descending = spelled == "DESC"
    return path, descending


def run_sort_key(compiler: Compiler, path: tuple[str, ...], descending: bool) -> SortKey:
    label = ".".join(path)
    head, rest = path[0].lower(), path[1:]
    key = ".".join(rest)
    if head in ("metric", "metrics") and rest:
        compiler._known(_at(path), "metric", key)
        expr = "(SELECT last FROM metric_summaries WHERE run_id = r.id AND key = ? AND last < '')"
        return SortKey(label, expr, (key,), descending, True,
                       ("metric_summaries", "o.last", "o.last < ''"))
    if head in ("param", "params", "parameter", "parameters") and rest:
        compiler._known(_at(path), "param", key)
        expr = f"(SELECT {compiler.param_value} FROM params WHERE run_id = r.id AND key = ?)"
        value = param_value(compiler.catalog, "o.")
        return SortKey(label, expr, (key,), descending, True,
                       ("params", value, f"{value} IS NOT NULL"))
    if head in ("attributes", "attribute", "attr", "run") and len(rest) == 1:
        head, rest = rest[0].lower(), ()
    if not rest and head in RUN_FIELDS:
        field = RUN_FIELDS[head]
        return SortKey(label, field.sql, (), descending, field.nullable)
    raise FilterError(f"cannot sort runs by {label!r}: use an attribute ({', '.join(RUN_FIELDS)}),"
                      " metrics.KEY or params.KEY")


def _at(path: tuple[str, ...]) -> filters.Comparison:
    return filters.Comparison(path, "IS NOT NULL", (), 0)


def _order_keys(compiler: Compiler, order_by: Sequence[str] | str | None,
                descending: bool) -> list[SortKey]:
    # A bare string keeps the old ``descending`` flag; list items say their own (ASC default).
    if isinstance(order_by, str):
        keys = [run_sort_key(compiler, *parse_order(order_by, descending))]
    else:
        keys = [run_sort_key(compiler, *parse_order(item)) for item in order_by or []]
    return keys or [SortKey("start_time", "r.started_at", (), True, False)]


def _page_params(limit: int | None, offset: int) -> tuple[str, list[Any]]:
    return " LIMIT ? OFFSET ?", [-1 if limit is None else int(limit), int(offset)]


def run_page_rows(catalog: Catalog, node: filters.Node | None, where: tuple[str, list[Any]],
                  keys: list[SortKey], limit: int | None, offset: int, columns: str = "r.*",
                  named: bool = False, matched: list[str] | None = None) -> list[Any]:
    """The ordered page of runs matching ``node`` (compiled as ``where``), as ``columns``.

    ``matched``: the ids of exactly those runs, when counting listed them (see
    :func:`~jupyter_artifacts.store.counts.count_matches`).
    """
    members = _membership(catalog, matched, limit, offset)
    if members is not None:
        where = "r.id IN (SELECT value FROM json_each(?))", [members]
    tail_sql, tail_params = [], []
    for key in keys[1:]:
        sql, params = key.terms()
        tail_sql.append(sql)
        tail_params.extend(params)
    if "r.number" not in (k.expr for k in keys):
        tail_sql.append("r.number DESC")
    first = keys[0]
    cond, cond_params = where
    if first.keyed is None:
        sql, params = first.terms()
        order = ", ".join([sql, *tail_sql])
        page, page_params = _page_params(limit, offset)
        return catalog.read(f"SELECT {columns} FROM runs r WHERE {cond} ORDER BY {order}{page}",
                            [*cond_params, *params, *tail_params, *page_params], named,
                            page=limit is not None)
    table, value, present = first.keyed
    # The page walks the sort key's index as o: probing with o.run_id checks a candidate's
    # conditions before its runs row is read (46 -> 25 ms over 100,000 runs).
    cond, cond_params = Compiler(catalog, run_id="o.run_id").runs(node) if members is None \
        else ("o.run_id IN (SELECT value FROM json_each(?))", [members])
    direction = "DESC" if first.descending else "ASC"
    order = ", ".join([f"{value} {direction}", *tail_sql])
    join = f"FROM {table} o JOIN runs r ON r.id = o.run_id WHERE o.key = ? AND {present}"
    page, page_params = _page_params(limit, offset)
    rows = catalog.read(f"SELECT {columns} {join} AND ({cond}) ORDER BY {order}{page}",
                        [first.params[0], *cond_params, *tail_params, *page_params], named,
                        page=limit is not None)
    if limit is not None and len(rows) == limit:
        return rows  # the common case: the page lies within the runs that have the key
    # Past them come the runs without it; how many have it says where their part starts.
    having = offset + len(rows) if rows else int(catalog.read(
        f"SELECT COUNT(*) {join} AND ({cond})", [first.params[0], *cond_params])[0][0])
    missing = (f"NOT EXISTS (SELECT 1 FROM {table} o WHERE o.run_id = r.id AND o.key = ? "
               f"AND {present})")
    rest = None if limit is None else limit - len(rows)
    page, page_params = _page_params(rest, max(0, offset - having))
    order = ", ".join(tail_sql)
    cond, cond_params = where
    rows += catalog.read(
        f"SELECT {columns} FROM runs r WHERE {missing} AND ({cond}) ORDER BY {order}{page}",
        [first.params[0], *cond_params, *tail_params, *page_params], named,
        page=rest is not None)
    return rows


def _membership(catalog: Catalog, matched: list[str] | None, limit: int | None,
                offset: int) -> str | None:
    """The matching runs' ids as a JSON array when testing a candidate's membership in
    them is cheaper than checking its conditions, else None.

    Walking the sort order meets about ``(limit + offset) * runs / matches`` candidates,
    each checked by a probe per condition (2 us); a membership test costs a tenth of that,
    after ``matches`` ids are loaded (about 0.4 us each).
    """
    if matched is None:
        return None
    if limit is not None:
        runs = int(catalog.read("SELECT COALESCE(MAX(number), 0) FROM runs")[0][0])
        if len(matched) ** 2 > MEMBERSHIP_PAYS * (limit + offset) * runs:
            return None
    return json.dumps(matched)


def prepare_runs(catalog: Catalog, filter: str | None, order_by: Sequence[str] | str | None,
                 descending: bool = True) -> tuple[filters.Node | None, tuple[str, list[Any]],
                                                   list[SortKey]]:
    """Parse and compile a run search: the tree (for counting), the WHERE and the order."""
    node = parse_filter(filter)
    compiler = Compiler(catalog)
    keys = _order_keys(compiler, order_by, descending)
    return node, compiler.runs(node), keys


def guarded(fn: Any) -> Any:
    """Report a query the catalog refuses (too complex, out of range, interrupted) as a
    FilterError; a locked or failing store stays what it is."""
    def wrapper(catalog: Catalog, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(catalog, *args, **kwargs)
        except catalog.query_errors as exc:
            if isinstance(exc, sqlite3.OperationalError) and (
                    "locked" in str(exc) or "disk" in str(exc)):
                raise
            raise FilterError(f"the filter could not run: {str(exc).splitlines()[0]}") from None
    wrapper.__doc__ = fn.__doc__
    wrapper.__name__ = fn.__name__
    return wrapper


@guarded
def search_runs(catalog: Catalog, filter: str | None = None,
                order_by: Sequence[str] | str | None = None, descending: bool = True,
                limit: int | None = 100, offset: int = 0) -> RunPage:
    """One page of the runs matching ``filter`` in ``order_by`` order, and their total."""
    node, where, keys = prepare_runs(catalog, filter, order_by, descending)
    with counting(catalog, node) as counted:  # on PostgreSQL, counts while the page reads
        rows = run_page_rows(catalog, node, where, keys, limit, offset, named=True,
                             matched=counted.matched)
        runs = [Run.from_row(row) for row in rows]
        hydrate(catalog, runs)
        return RunPage(runs=runs, total=counted.total())


def version_sort_key(compiler: Compiler, path: tuple[str, ...], descending: bool) -> SortKey:
    """An ORDER BY term for artifact versions: a version field, or ``run.<run sort key>``
    (``run.metrics.accuracy``) for the run that made the version."""
    label = ".".join(path)
    head, rest = path[0].lower(), path[1:]
    if head in ("attributes", "attribute", "attr") and len(rest) == 1:
        head, rest = rest[0].lower(), ()
    if not rest and head in VERSION_FIELDS:
        return SortKey(label, VERSION_FIELDS[head].sql, (), descending, False)
    if head == "run" and rest:
        key = run_sort_key(compiler, rest, descending)
        # The run's value, NULL for a version no run made (sorted last).
        expr = f"(SELECT {key.expr} FROM runs r WHERE r.id = v.run_id)"
        return SortKey(label, expr, key.params, descending, True)
    raise FilterError(f"cannot sort artifact versions by {label!r}: use "
                      f"{', '.join(VERSION_FIELDS)} or run.<a run key> (run.metrics.KEY)")


@guarded
def version_ids(catalog: Catalog, filter: str | None, limit: int | None, offset: int,
                order_by: Sequence[str] | None = None) -> tuple[list[str], int]:
    """The ids of the artifact versions matching ``filter`` and their total, in
    ``order_by`` order (``["run.metrics.accuracy DESC", "size"]``), newest first after."""
    node = parse_filter(filter)
    compiler = Compiler(catalog)
    cond, params = compiler.versions(node)
    order_sql, order_params = [], []
    for item in [order_by] if isinstance(order_by, str) else order_by or []:
        sql, values = version_sort_key(compiler, *parse_order(item)).terms()
        order_sql.append(sql)
        order_params.extend(values)
    order = ", ".join([*order_sql, "v.created_at DESC, v.name, v.version DESC"])
    page, page_params = _page_params(limit, offset)
    rows = catalog.read(f"SELECT v.id FROM versions v WHERE {cond} ORDER BY {order}{page}",
                        [*params, *order_params, *page_params])
    total = cached_count(catalog, f"SELECT COUNT(*) FROM versions v WHERE {cond}", params)
    return [row[0] for row in rows], total


__all__ = ["VERSION_FIELDS", "count_runs", "parse_filter", "parse_order", "prepare_runs",
           "run_page_rows", "version_ids"]
