"""Metric points written in one statement (SQLite, JSON) store exactly what executemany does."""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from jupyter_artifacts.store import Store, bulk_points

INT64 = 2**63

steps = st.one_of(st.none(), st.integers(-INT64, INT64 - 1), st.integers(INT64, 2**70))
values = st.floats(allow_nan=True, allow_infinity=True)
times = st.one_of(st.floats(0, 2e9), st.sampled_from([float("inf"), float("nan")]))
keys = st.one_of(st.sampled_from(["loss", "acc"]), st.text(max_size=8))
points = st.tuples(keys, steps, values, times)
finite = st.tuples(keys, st.integers(0, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                   st.floats(0, 2e9))
# Mostly batches long enough for one statement, some with a point JSON cannot carry.
batches = st.one_of(
    st.lists(finite, min_size=bulk_points.MIN_ROWS, max_size=2 * bulk_points.MIN_ROWS),
    st.builds(lambda rows, odd, at: [*rows[:at], odd, *rows[at:]],
              st.lists(finite, min_size=bulk_points.MIN_ROWS, max_size=2 * bulk_points.MIN_ROWS),
              points, st.integers(0, bulk_points.MIN_ROWS)),
    st.lists(points, max_size=2 * bulk_points.MIN_ROWS))


def _table(store: Store, run_id: str) -> list[tuple[Any, ...]]:
    """The run's rows as SQLite holds them: storage types and doubles bit for bit."""
    def exact(value: Any) -> Any:
        return struct.pack("<d", value) if isinstance(value, float) else value

    metrics = store.catalog.query(
        "SELECT key, step, typeof(value), value, typeof(time), time FROM metrics "
        "WHERE run_id = ? ORDER BY rowid", (run_id,))
    summaries = store.catalog.query(
        "SELECT key, last, last_step, last_time, min, step_min, max, step_max, count "
        "FROM metric_summaries WHERE run_id = ? ORDER BY key", (run_id,))
    return [tuple(exact(v) for v in row) for row in [*metrics, *summaries]]


def _write(store: Store, points: list[tuple[Any, ...]]) -> tuple[str, str | None]:
    run_id = store.create_run("points").id
    try:
        store.log_metrics([(run_id, *point) for point in points])
    except Exception as exc:  # the same failure either way, and nothing half written
        return run_id, type(exc).__name__
    return run_id, None


@pytest.fixture(scope="module")
def two_stores() -> Any:
    with tempfile.TemporaryDirectory() as folder:
        stores = [Store.open(Path(folder) / name / ".artifacts") for name in ("bulk", "rows")]
        yield stores
        for store in stores:
            store.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(points=batches)
# orjson writes ints up to 2**64, and SQLite reads one past 2**63 as a REAL: found by the above.
@example(points=[("loss", INT64, 0.0, 0.0)] + [("loss", 0, 0.0, 0.0)] * bulk_points.MIN_ROWS)
def test_one_statement_stores_what_a_row_at_a_time_does(two_stores: list[Store],
                                                        points: list[tuple[Any, ...]],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    bulk, rows = two_stores
    got = _write(bulk, points)
    with monkeypatch.context() as patch:
        patch.setattr(bulk_points, "MIN_ROWS", 10**9)  # executemany, as before
        expected = _write(rows, points)
    assert got[1] == expected[1]
    assert _table(bulk, got[0]) == _table(rows, expected[0])


def test_a_batch_of_finite_points_goes_in_one_statement(store_dir: Path) -> None:
    store = Store.open(store_dir)
    run_id = store.create_run("curve").id
    statements: list[str] = []
    store.catalog._conn.set_trace_callback(statements.append)  # type: ignore[attr-defined]
    store.log_metrics([(run_id, "loss", i, 1 / (i + 1), 1e9 + i) for i in range(5000)])
    assert sum("INSERT INTO metrics" in s for s in statements) == 1
    series = store.metric_series(run_id, "loss")
    assert [v for _, v, _ in series] == [1 / (i + 1) for i in range(5000)]
