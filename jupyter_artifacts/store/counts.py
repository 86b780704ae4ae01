"""How many runs match a filter: exact totals, computed the cheapest way and remembered.

A page shows its total, and at a million runs the total costs more than the page: the
matches of every condition have to be met, not just the first hundred in sort order.

Two ways, chosen per filter:

- **probe**: list the cheapest condition's runs from its index and check the others on
  each run's primary key (a B-tree descent per candidate, about 2 us: 0.6 s for the
  100,000 candidates of ``metrics.m0 > 0.9`` at a million runs);
- **intersect**: when every condition is a metric or param comparison, list each
  condition's run ids from its covering index (key, value, run_id) and intersect them in
  Python (about 0.1 us per listed id), smallest first. A listing stops once it has cost
  more than probing would have; the count then probes, so neither way is ever much worse
  than the other.

On PostgreSQL one COUNT starts from the cheapest metric or param condition's table (never
the runs table unless a condition reads a column of it) and semi-joins the others (``IN``;
under an OR, or for a missing key, an index probe per row: see ``Compiler._exists``):
the planner hashes the smaller side and walks the other's covering index, so a count of
``params.p0 = 'v3' and metrics.m1 > 0.5`` over 1,000,000 runs reads the 100,000 and 500,000
index entries those conditions match, not a million runs.

Both are exact: a total is never an estimate.
"""

from __future__ import annotations

import contextlib
import json
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from . import filters
from .catalog import POSTGRESQL, Catalog
from .idsets import IdSet
from .query import Compiler

# Probing one candidate costs about as much as listing this many ids from an index.
PROBE_PER_LISTED = 20
MAX_CACHED_COUNTS = 64

_COUNTS: weakref.WeakKeyDictionary[Catalog, dict[Any, tuple[Any, int]]] = \
    weakref.WeakKeyDictionary()


def _cost(node: filters.Node) -> int:
    """A rough rank of how cheaply a condition's matches are listed from an index."""
    if isinstance(node, filters.Comparison) and node.op not in ("IS NULL", "NOT IN", "!="):
        head = node.path[0].lower()
        return 0 if head in ("metric", "metrics") else 1 if head.startswith("param") else 2
    return 3


def count_runs(catalog: Catalog, node: filters.Node | None) -> int:
    """How many runs match ``node``, exactly.

    The cheapest condition (a metric range walks a covering index) lists the candidates;
    the others are intersected with it or probed per candidate on their primary key,
    instead of SQLite materialising every condition's matches. The runs table is joined
    only when a condition reads one of its columns.
    """
    return count_matches(catalog, node)[0]


def count_matches(catalog: Catalog, node: filters.Node | None) -> tuple[int, list[str] | None]:
    """:func:`count_runs`, and the ids of the matching runs when they were listed to count
    them (None when the count was remembered or probed)."""
    items, sources = _conditions(catalog, node)
    # PostgreSQL's planner orders and joins the conditions itself (see _count_query);
    # listing and intersecting ids in Python is what SQLite needs.
    if catalog.dialect != POSTGRESQL and len(sources) > 1 and all(sources):
        listed = [source for source in sources if source is not None]
        key = ("intersect", json.dumps(listed))
        total = remembered(catalog, key, lambda: None)
        if total is not None:
            return total, None
        ids = intersected_ids(catalog, listed)
        if ids is not None:
            remembered(catalog, key, lambda: len(ids))
            return len(ids), ids
    return cached_count(catalog, *_count_query(catalog, node, items, sources)), None


@dataclass(frozen=True)
class Counting:
    """A count under way: ``matched`` as :func:`count_matches` gives it, and ``total()``,
    which waits for the count if it still runs."""

    matched: list[str] | None
    total: Callable[[], int]


@contextlib.contextmanager
def counting(catalog: Catalog, node: filters.Node | None) -> Iterator[Counting]:
    """:func:`count_matches`, while the block reads the page it counts.

    On PostgreSQL the block is one :meth:`~.Catalog.snapshot`, and a count not remembered
    runs beside it (:meth:`~.Catalog.beside`: a second connection reading that snapshot):
    a filter's first search costs about its count instead of its count and its page.
    Elsewhere the count is made first (SQLite's page can use the ids it listed).
    """
    if catalog.dialect != POSTGRESQL:
        made, matched = count_matches(catalog, node)
        yield Counting(matched, lambda: made)
        return
    with catalog.snapshot():
        sql, params = _count_query(catalog, node, *_conditions(catalog, node))
        key = _count_key(sql, params)
        token, known = _recalled(catalog, key)
        if known is not None:
            yield Counting(None, lambda: known)
            return
        with catalog.beside(sql, params) as rows:
            def total() -> int:
                found = int(rows()[0][0])
                _remember(catalog, key, token, found)
                return found

            yield Counting(None, total)


def _conditions(catalog: Catalog, node: filters.Node | None
                ) -> tuple[list[filters.Node], list[tuple[str, str, list[Any]] | None]]:
    """A filter's AND-ed conditions, cheapest first, and each one's keyed source (see
    :meth:`~.query.Compiler.keyed_source`) or None."""
    items: list[filters.Node] = sorted(node.items, key=_cost) if isinstance(
        node, filters.BoolOp) and node.op == "AND" else [node] if node is not None else []
    compiler = Compiler(catalog)
    return items, [compiler.keyed_source(item) if isinstance(item, filters.Comparison) else None
                   for item in items]


def _count_query(catalog: Catalog, node: filters.Node | None, items: list[Any],
                 sources: list[tuple[str, str, list[Any]] | None]) -> tuple[str, list[Any]]:
    """One COUNT of ``node``'s matches, driven by its cheapest keyed condition if any."""
    postgres = catalog.dialect == POSTGRESQL
    if not sources or sources[0] is None:
        cond, params = Compiler(catalog, membership=True).runs(node)
        return f"SELECT COUNT(*) FROM runs r WHERE {cond}", params
    table, first, first_params = sources[0]
    # On PostgreSQL the other conditions are semi-joins (IN) whose order and kind (hash,
    # merge, nested loop) the planner picks; SQLite probes them per candidate (EXISTS).
    compiler = Compiler(catalog, membership=postgres, run_id="d.run_id")
    rest = filters.BoolOp("AND", tuple(items[1:])) if len(items) > 1 else None
    cond, params = compiler.runs(rest)
    join = " JOIN runs r ON r.id = d.run_id" if compiler.uses_run_row else ""
    return (f"SELECT COUNT(*) FROM {table} d{join} WHERE {first} AND ({cond})",
            [*first_params, *params])


def intersected_ids(catalog: Catalog,
                    sources: list[tuple[str, str, list[Any]]]) -> list[str] | None:
    """The runs listed by every ``(table, condition, values)`` source (each lists a run at
    most once), or None when listing would cost more than probing."""
    found: IdSet | None = None
    for table, cond, params in sources:
        if found is not None and not len(found):
            break
        limit = -1 if found is None else len(found) * PROBE_PER_LISTED
        ids = _list_run_ids(catalog, table, cond, params, limit)
        if ids is None:
            return None
        found = ids if found is None else found.intersection(ids)
    return found.ids() if found is not None else []


def _list_run_ids(catalog: Catalog, table: str, cond: str, params: list[Any],
                  limit: int) -> IdSet | None:
    """The run ids a condition lists, or None past ``limit`` (-1: none).

    One concatenated string is read instead of a row per id (a third of the time); the
    count read with it tells whether a separator was inside an id (then rows are read).
    """
    select = f"SELECT run_id FROM {table} WHERE {cond}"
    if limit < 0:  # no subquery: it costs a third more than the aggregate itself
        rows = catalog.read(f"SELECT COUNT(*), group_concat(run_id) FROM {table} WHERE {cond}",
                            params)
    else:
        rows = catalog.read(f"SELECT COUNT(*), group_concat(run_id) FROM ({select} LIMIT ?) "
                            "AS listed",
                            [*params, limit])
    count, joined = int(rows[0][0]), rows[0][1]
    if 0 <= limit <= count:
        return None
    ids = IdSet.from_listing(joined, count)
    return ids if ids is not None else IdSet.of([row[0] for row in catalog.read(select, params)])


def cached_count(catalog: Catalog, sql: str, params: list[Any]) -> int:
    """``sql``'s count, remembered until the catalog changes (see :func:`remembered`)."""
    total = remembered(catalog, _count_key(sql, params),
                       lambda: int(catalog.read(sql, params)[0][0]))
    assert total is not None  # a COUNT(*) always answers
    return total


def _count_key(sql: str, params: list[Any]) -> tuple[str, str]:
    """What a count is remembered under: its SQL and its values."""
    return sql, json.dumps(params)


def remembered(catalog: Catalog, key: Any, compute: Callable[[], int | None]) -> int | None:
    """``compute()``, remembered under ``key`` until the catalog changes.

    Paging through results or re-running a cell repeats the same count, which is most of
    a search's time. SQLite's ``data_version`` changes when another connection commits and
    ``total_changes`` when this one writes, so a remembered count is never stale. The key
    is the compiled SQL and its values (dead runs included). A None is not remembered.
    """
    token, total = _recalled(catalog, key)
    if total is None:
        total = compute()
        if total is not None:
            _remember(catalog, key, token, total)
    return total


def _recalled(catalog: Catalog, key: Any) -> tuple[Any, int | None]:
    """The catalog's change stamp now, and the count remembered under ``key`` for it."""
    token = catalog.change_stamp()
    hit = _COUNTS.get(catalog, {}).get(key)
    return token, hit[1] if hit is not None and hit[0] == token else None


def _remember(catalog: Catalog, key: Any, token: Any, total: int) -> None:
    """Remember ``total``, counted in a state no older than the one ``token`` stamped."""
    counts = _COUNTS.setdefault(catalog, {})
    if len(counts) >= MAX_CACHED_COUNTS:
        counts.clear()
    counts[key] = (token, total)
