"""Metric points into SQLite in one statement, its rows read from one JSON array.

Why: the ``sqlite3`` module releases the GIL around every row of an ``executemany`` and takes
it back after. When a loop-curve writer flushes while a training loop runs on the main
thread (every torch operation releases and retakes the GIL too), each of those rows is a
hand-over between the two threads: 6,000 points took 35-50 ms (16-25 ms of CPU) instead of
14, and the loop waited at each hand-over. One ``INSERT ... SELECT FROM json_each(?)``
parses the array in C and releases the GIL once.

The JSON path is used only where it is exact: floats go through text, so this SQLite must
read back every double as the same double (checked once per process on awkward values). A
batch that JSON cannot carry as is goes the ``executemany`` way, which then stores it or
fails exactly as before: an int beyond 53 bits or a lone surrogate fails to encode, a NUL
would cut a text short, and an infinite or NaN float becomes ``null`` and fails the NOT NULL
columns (a failed statement inserts nothing).
"""

from __future__ import annotations

import random
import sqlite3
import struct
from collections.abc import Sequence
from typing import Any

import orjson

# Below this many rows the hand-overs are too few to matter and executemany is as fast.
MIN_ROWS = 64
_INSERT = ("INSERT INTO metrics (run_id, key, step, value, time) "
           "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
           "json_extract(value, '$[2]'), json_extract(value, '$[3]'), "
           "json_extract(value, '$[4]') FROM json_each(?)")
_INFINITIES = (float("inf"), float("-inf"))  # JSON has none: never in the probe
_exact: bool | None = None


def _probe_values() -> list[float]:
    rng = random.Random(20261127)
    awkward = [0.1, 1 / 3, 2 / 3, 5e-324, 2.2250738585072014e-308, 2.2250738585072009e-308,
               1.7976931348623157e308, 9007199254740993.0, 1e23, 8.41e21, 5.0e-310, -0.0]
    bits = [struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0] for _ in range(2000)]
    return [v for v in awkward + bits if v == v and v not in _INFINITIES]


def json_is_exact() -> bool:
    """Whether this SQLite's JSON reader gives back every double written by orjson."""
    global _exact
    if _exact is None:
        values = _probe_values()
        try:
            with sqlite3.connect(":memory:") as conn:
                back = [row[0] for row in conn.execute(
                    "SELECT json_extract(value, '$[0]') FROM json_each(?)",
                    (orjson.dumps([[v] for v in values]),))]
            # Bit for bit (-0.0 is not 0.0 here).
            _exact = len(back) == len(values) and all(
                struct.pack("<d", a) == struct.pack("<d", b)
                for a, b in zip(back, values, strict=True))
        except (sqlite3.Error, orjson.JSONEncodeError):  # no JSON functions in this build
            _exact = False
    return _exact


def insert_points(conn: sqlite3.Connection, rows: Sequence[tuple[Any, ...]]) -> bool:
    """Insert ``(run_id, key, step, value, time)`` rows (``value`` a float or the text
    ``NaN``) in one statement; False, with nothing inserted, when they cannot go this way."""
    if len(rows) < MIN_ROWS or not json_is_exact():
        return False
    try:
        # Ints past 2**53 raise: orjson writes up to 2**64, SQLite reads past 2**63 as REAL.
        array = orjson.dumps(rows, option=orjson.OPT_STRICT_INTEGER)
    except orjson.JSONEncodeError:
        return False
    if b"\\u0000" in array:  # SQLite's JSON text ends at a NUL; a bound string keeps it
        return False
    try:
        conn.execute(_INSERT, (array,))
    except sqlite3.IntegrityError:
        return False
    return True
