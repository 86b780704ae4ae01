"""The runs table behind ``ja.runs``: matching runs as columns, params and metrics pivoted.

At 10,000 runs (100,000 params, 100,000 metrics) the cost was Python work per value (a
fetched row, a dict lookup, a list store each). Now each key's values come from a covering
(key, run_id, value) index in run id order, as one JSON array per param key (read by orjson)
and one float array per metric key, and numpy places them in page order: Python works per
key. What is left is mostly the sqlite3 module making a row object per metric value (a
float's text form in SQLite is not exact, so metrics cannot travel as one text).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy
import orjson

from . import keys as _keys
from . import liveness
from .catalog import Catalog
from .search import count_runs, guarded, prepare_runs, run_page_rows

# Covering (key, run_id, value) indexes (migration 5), forced so values come in run id order
# without a sort. An old catalog opened read-only may lack them: see _by_key.
PARAMS = "params INDEXED BY params_key_run"
METRICS = "metric_summaries INDEXED BY metric_summaries_key_run"
RUN_COLUMNS = ("number", "id", "name", "status", "started_at", "ended_at", "notebook_path")
# The page as (position, run id) rows, from one bound JSON array of ids.
PAGE = "WITH page(pos, id) AS (SELECT key, value FROM json_each(?)) "


@dataclass
class RunTable:
    """Matching runs for a table: columns of equal length in page order (run fields,
    ``tags``, ``params.KEY``, ``metrics.KEY``) and the total number of matches. Param
    columns are object arrays (None where a run lacks the key), metric columns float arrays
    (NaN where it lacks one)."""

    columns: dict[str, Any]  # lists, and numpy arrays for params and metrics
    total: int


@guarded
def run_table(catalog: Catalog, filter: str | None = None,
              order_by: Sequence[str] | str | None = None, descending: bool = True,
              limit: int | None = None, offset: int = 0) -> RunTable:
    """The matching runs as a :class:`RunTable`: a few bulk queries, no object per run, all
    reading one state of the catalog (values are placed by position in the page: a run
    committed by another writer between two of the queries would shift them)."""
    with catalog.snapshot():
        return _run_table(catalog, filter, order_by, descending, limit, offset)


def _run_table(catalog: Catalog, filter: str | None, order_by: Sequence[str] | str | None,
               descending: bool, limit: int | None, offset: int) -> RunTable:
    node, where, keys = prepare_runs(catalog, filter, order_by, descending)
    rows = run_page_rows(catalog, node, where, keys, limit, offset,
                         "r." + ", r.".join(RUN_COLUMNS))
    total = len(rows) + offset if (limit is None or len(rows) < limit) and (
        rows or not offset) else count_runs(catalog, node)
    columns: dict[str, Any] = {name: list(column) for name, column in
                                     zip(RUN_COLUMNS, zip(*rows, strict=True), strict=True)} \
        if rows else {name: [] for name in RUN_COLUMNS}
    ids = columns["id"]
    if "running" in columns["status"]:
        dead = set(liveness.dead_run_ids(catalog))
        columns["status"] = ["dead" if status == "running" and run_id in dead else status
                             for run_id, status in zip(ids, columns["status"], strict=True)]
    full = len(ids) == int(catalog.read("SELECT COUNT(*) FROM runs")[0][0])
    # The page's ids as a JSON array bound to json_each: only needed for part of the runs.
    page = "" if full else json.dumps(ids)
    columns["tags"] = _tags(catalog, ids, page, full)
    if not catalog.scalar("SELECT 1 FROM sqlite_master WHERE name = 'params_key_run'"):
        _add_keyed_columns_slowly(catalog, columns, page or json.dumps(ids))
        return RunTable(columns, total)
    spread = _Spreader(catalog, ids, page)
    for key, count, values in _by_key(catalog, PARAMS, "value", page, full):
        column = numpy.full(len(ids), None, dtype=object)
        # fromiter: list values stay lists instead of becoming a second array dimension.
        column[spread.positions(PARAMS, key, count)] = numpy.fromiter(values, object, count)
        columns[f"params.{key}"] = column
    for key, count, values in _metrics_by_key(catalog, page, full):
        column = numpy.full(len(ids), numpy.nan)
        column[spread.positions(METRICS, key, count)] = values
        columns[f"metrics.{key}"] = column
    return RunTable(columns, total)


def _tags(catalog: Catalog, ids: list[str], page: str, full: bool) -> list[str]:
    """Each run's tags, sorted and joined by commas ('' for none), in page order.

    Both ways walk the (run_id, tag) primary key, so each run's tags come sorted. All the
    runs: only those with tags are read (no join of every run against run_tags).
    """
    if full:
        tagged = dict(catalog.read("SELECT run_id, group_concat(tag, ',') FROM run_tags "
                                   "GROUP BY run_id"))
        return [tagged.get(run_id, "") for run_id in ids]
    tags = catalog.read(PAGE + "SELECT COALESCE(group_concat(t.tag, ','), '') FROM page "
                        "LEFT JOIN run_tags t ON t.run_id = page.id GROUP BY page.pos "
                        "ORDER BY page.pos", [page])
    return [row[0] for row in tags]


def _add_keyed_columns_slowly(catalog: Catalog, columns: dict[str, Any], page: str) -> None:
    """Without migration 5's indexes (an old catalog read-only): a row per value, placed
    by run id (SQLite's own text form of a float is not exact, so no JSON for metrics)."""
    position = {run_id: i for i, run_id in enumerate(columns["id"])}
    n = len(position)
    for table, value, prefix in [("params", "value", "params."),
                                 ("metric_summaries", "last", "metrics.")]:
        rows = catalog.read(f"SELECT key, run_id, {value} FROM {table} WHERE run_id IN "
                            "(SELECT value FROM json_each(?)) ORDER BY key", [page])
        out: dict[str, list[Any]] = {}
        for key, run_id, item in rows:
            column = out.get(key)
            if column is None:
                column = out[key] = [None] * n
            column[position[run_id]] = json.loads(item) if prefix == "params." else item
        for key, column in out.items():
            # A NaN last value is stored as the text 'NaN', which numpy reads as NaN.
            columns[prefix + key] = numpy.array(column, dtype=float) \
                if prefix == "metrics." else numpy.fromiter(column, object, n)


def _by_key(catalog: Catalog, table: str, value: str, page: str,
            full: bool) -> list[tuple[str, int, list[Any]]]:
    """(key, how many runs of the page have it, their values in run id order) per key.

    The covering (key, run_id, value) index is walked in order, so SQLite concatenates
    each key's values in run id order and Python decodes one JSON array per key.
    """
    where, params = ("", []) if full else (
        " WHERE run_id IN (SELECT value FROM json_each(?))", [page])
    rows = catalog.read(f"SELECT key, COUNT(*), '[' || group_concat({value}) || ']' "
                        f"FROM {table}{where} GROUP BY key ORDER BY key", params)
    return [(key, count, load_array(values)) for key, count, values in rows]


# Bytes that are digits become "0", all others " ": a run of 19 zeros marks a long number.
_DIGITS = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
_LONG = b"0" * 19


def load_array(text: str) -> list[Any]:
    """A JSON array of param values, as :func:`json.loads` reads it, but 5 times faster.

    orjson reads an integer beyond 64 bits as a float (json keeps an int), so a text with a
    run of 19 digits (any number at least 10**18) goes to json; so does one orjson refuses
    and json accepts (NaN, a lone surrogate, 1e400).
    """
    data = text.encode("utf-8", "surrogatepass")  # orjson refuses the surrogates
    if _LONG not in data.translate(_DIGITS):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


def _metrics_by_key(catalog: Catalog, page: str,
                    full: bool) -> list[tuple[str, int, Any]]:
    """As :func:`_by_key` for metrics' last values, read as float arrays: SQLite's text
    form of a float has 15 digits, not the 17 that read back exactly.

    A row per value is what costs (100,000 at 10,000 runs). Measured alternatives, all
    slower: one statement for the counts and the values (+15 %), a pivot to a row per run
    in SQL (GROUP BY with a column per key: +50 %), a Python function packing each float
    into one blob per key (+40 %).
    """
    # A NaN last value is stored as the text 'NaN', which numpy reads as NaN.
    if full:  # a key at a time: the key range of the index is read once, with no count pass
        out = []
        for key in _keys.distinct(catalog, "metric_summaries", "key"):
            values = catalog.read_floats(
                f"SELECT last FROM {METRICS} WHERE key = ? ORDER BY run_id", [key])
            out.append((key, len(values), values))
        return out
    where = " WHERE run_id IN (SELECT value FROM json_each(?))"
    counts = catalog.read(f"SELECT key, COUNT(*) FROM {METRICS}{where} GROUP BY key "
                          "ORDER BY key", [page])
    flat = catalog.read_floats(f"SELECT last FROM {METRICS}{where} ORDER BY key, run_id",
                               [page])
    out, start = [], 0
    for key, count in counts:
        out.append((key, count, flat[start:start + count]))
        start += count
    return out


class _Spreader:
    """Where a key's values (in run id order) go in the page."""

    def __init__(self, catalog: Catalog, ids: list[str], page: str) -> None:
        self.catalog, self.ids, self.page = catalog, ids, page
        self._sorted: Any = None
        self._position: dict[str, int] | None = None

    def positions(self, table: str, key: str, count: int) -> Any:
        if count == len(self.ids):
            # Every run of the page has the key: its values follow the sorted page ids.
            if self._sorted is None:
                self._sorted = numpy.argsort(numpy.array(self.ids), kind="stable")
            return self._sorted
        if self._position is None:
            self._position = {run_id: i for i, run_id in enumerate(self.ids)}
        if not self.page:
            self.page = json.dumps(self.ids)
        ids = self.catalog.read(
            f"SELECT '[' || group_concat(json_quote(run_id)) || ']' FROM {table} "
            "WHERE key = ? AND run_id IN (SELECT value FROM json_each(?))", [key, self.page])
        return list(map(self._position.__getitem__, json.loads(ids[0][0])))
