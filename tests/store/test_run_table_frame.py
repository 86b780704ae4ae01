"""The runs table's bulk path (``ja.runs`` as a DataFrame) against a plain construction
from the runs' own records: the same columns, dtypes, order and values, each typed alike."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jupyter_artifacts as ja
from jupyter_artifacts.errors import TruncatedResultWarning
from jupyter_artifacts.store import Run, Store
from jupyter_artifacts.store.table import load_array

pytestmark = pytest.mark.both_catalogs  # each test runs on SQLite and on PostgreSQL

# Keys with unicode, dots, commas and quotes: they become column names and JSON keys.
key_text = st.text(st.characters(codec="utf-8", exclude_categories=["C", "Z"]), min_size=1,
                   max_size=6) | st.sampled_from(["a.b", "x,y", 'q"', "ключ", "λ", "0"])
# 10**19 and beyond: integers orjson would read as floats (see load_array).
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**22), 10**22),
                    st.sampled_from([2**63, -(2**63) - 1, 2**64, 10**18, -0.0, 5e-324, 1e308]),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8))
param_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(key_text, inner, max_size=3), max_leaves=6)
metric_values = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([-0.0, 5e-324])


@st.composite
def run_specs(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A few runs drawing params and metrics from shared key pools (so some runs lack
    some keys), with tags, notebooks, and running or finished states. Every run has the
    param ``every`` and the metric ``every``: keys that every run of a page has are placed
    by sorting the page's ids, the others by looking their runs up."""
    params = draw(st.lists(key_text, min_size=1, max_size=4, unique=True))
    metrics = draw(st.lists(key_text, min_size=1, max_size=4, unique=True))
    return draw(st.lists(st.fixed_dictionaries({
        "params": st.dictionaries(st.sampled_from(params), param_values, max_size=4),
        "metrics": st.dictionaries(st.sampled_from(metrics), metric_values, max_size=4),
        "every": st.tuples(param_values, metric_values),
        "tags": st.lists(key_text, max_size=3),
        "notebook": st.none() | st.sampled_from(["a.ipynb", "é.ipynb"]),
        "status": st.sampled_from(["running", "ok", "failed"]),
    }), min_size=1, max_size=5))


def _reference(runs: list[Run]) -> pd.DataFrame:
    """The frame built run by run from hydrated records, as ``ja.runs`` documents it."""
    started = pd.Series([run.started_at for run in runs], dtype="float64")
    ended = pd.Series([run.ended_at for run in runs], dtype="float64")
    frame = pd.DataFrame({
        "run": [f"run-{run.number}" for run in runs], "id": [run.id for run in runs],
        "name": [run.name for run in runs], "status": [run.status for run in runs],
        "started_at": pd.to_datetime(started, unit="s"), "duration": ended - started,
        "tags": [",".join(sorted(run.tags)) for run in runs],
        "notebook": [run.notebook_path for run in runs],
    })
    keyed: dict[str, Any] = {}
    for key in sorted({key for run in runs for key in run.params}):
        keyed[f"params.{key}"] = numpy.fromiter((run.params.get(key) for run in runs), object,
                                                len(runs))
    for key in sorted({key for run in runs for key in run.metrics}):
        keyed[f"metrics.{key}"] = numpy.array([run.metrics.get(key, math.nan) for run in runs],
                                              dtype=float)
    return pd.concat([frame, pd.DataFrame(keyed)], axis=1) if keyed else frame


def _typed(value: Any) -> tuple[str, str]:
    # repr tells 1 from 1.0 and True, -0.0 from 0.0, and does so inside lists and dicts.
    return type(value).__name__, repr(value)


def _assert_same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    assert got.dtypes.to_dict() == expected.dtypes.to_dict()
    for column in expected.columns:
        assert [_typed(v) for v in got[column].tolist()] == \
            [_typed(v) for v in expected[column].tolist()], column
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(specs=run_specs(), cut=st.integers(0, 3))
def test_the_runs_frame_equals_one_built_from_each_runs_record(
        store: Store, specs: list[dict[str, Any]], cut: int) -> None:
    """Runs accumulate over the examples: the whole table, and a page of it (where the
    table reads only the page's runs), each against the reference."""
    for spec in specs:
        param, metric = spec["every"]
        run = store.create_run("r", tags=spec["tags"], params={**spec["params"], "every": param},
                               notebook_path=spec["notebook"])
        store.log_metrics([(run.id, key, None, value, 1.0)
                           for key, value in {**spec["metrics"], "every": metric}.items()])
        if spec["status"] != "running":
            store.finish_run(run.id, spec["status"])
    everything = store.search_runs(order_by="started_at", limit=None).runs
    _assert_same(ja.runs(limit=None), _reference(everything))
    limit = max(1, len(everything) // 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TruncatedResultWarning)
        page = ja.runs(limit=limit, offset=cut)
    _assert_same(page, _reference(store.search_runs(order_by="started_at", limit=limit,
                                                    offset=cut).runs))


@pytest.mark.parametrize("text", [
    "[1, 2.5, -0, -0.0, 1e400, 123456789012345678]",
    "[18446744073709551616, -9223372036854775809, 12345678901234567890123]",
    '["\\ud800", "a", {"k": [NaN, Infinity]}]',
    '["1234567890123456789012", 0.1]',
    "[]",
])
def test_param_arrays_read_as_json_reads_them(text: str) -> None:
    import json

    expected = json.loads(text)
    assert [_typed(v) for v in load_array(text)] == [_typed(v) for v in expected]


def test_a_run_committed_while_the_table_is_read_does_not_shift_its_values(
        store: Store, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    for i in range(3):
        with ja.run(f"r{i}"):
            ja.log_param("lr", i)
            ja.log_metric("acc", i / 10)
    # Another writer (its own connection, as another kernel) commits a run right after
    # the page of runs was read, before the values are.
    other = Store.open(store.root, catalog=getattr(store.catalog, "url", None))
    reads = 0
    real = type(store.catalog).read

    def read(self: Any, sql: str, *args: Any, **kwargs: Any) -> Any:
        nonlocal reads
        rows = real(self, sql, *args, **kwargs)
        reads += 1
        if reads == 1:
            for existing in other.search_runs().runs:
                other.log_params(existing.id, {"lr": 99})
            run_id = other.create_run("sneaked-in").id
            other.log_params(run_id, {"lr": 7, "extra": 1})
            other.log_metrics([(run_id, "acc", 0, 0.7, 0.0)])
            other.finish_run(run_id, "ok")
        return rows

    monkeypatch.setattr(type(store.catalog), "read", read)
    frame = ja.runs(limit=None, order_by="start_time", descending=False)
    monkeypatch.undo()
    other.close()
    assert frame["name"].tolist() == ["r0", "r1", "r2"]
    assert frame["params.lr"].tolist() == [0, 1, 2]  # as it was when the page was read
    assert frame["metrics.acc"].tolist() == [0.0, 0.1, 0.2]
    assert "params.extra" not in frame
