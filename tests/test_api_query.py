"""``ja.runs(filter=..., order_by=[...])``, the truncation warning and ``ja.artifacts(filter)``."""

from __future__ import annotations

import pytest

import jupyter_artifacts as ja
from jupyter_artifacts.errors import FilterSyntaxError, TruncatedResultWarning
from jupyter_artifacts.store import Store

pytestmark = pytest.mark.both_catalogs  # each test runs on SQLite and on PostgreSQL


def _runs(store: Store, count: int) -> None:
    for i in range(count):
        with ja.run(f"fit-{i}", store=store, params={"model": "rf" if i % 2 else "lr", "lr": i}):
            ja.log_metric("accuracy", i / count)


def test_runs_filter_and_order(store: Store) -> None:
    _runs(store, 6)
    frame = ja.runs("params.model = 'rf' and metrics.accuracy > 0.2",
                    order_by=["metrics.accuracy DESC"])
    assert list(frame["name"]) == ["fit-5", "fit-3"]
    assert list(frame["params.lr"]) == [5, 3]
    assert list(ja.runs(order_by=["params.lr"])["params.lr"]) == [0, 1, 2, 3, 4, 5]
    with pytest.raises(FilterSyntaxError, match="column 15"):
        ja.runs("params.model =")


def test_a_cut_result_warns_with_the_total(store: Store) -> None:
    _runs(store, 5)
    with pytest.warns(TruncatedResultWarning, match="3 of 5"):
        frame = ja.runs(limit=3)
    assert len(frame) == 3
    with pytest.warns(TruncatedResultWarning, match="2 of 3"):
        ja.runs("params.model = 'lr'", limit=2)


def test_artifacts_filter_by_the_run_that_made_them(store: Store) -> None:
    for i, acc in enumerate([0.5, 0.95]):
        with ja.run("fit", store=store):
            ja.log_metric("accuracy", acc)
            ja.save(f"weights {i}", "model")
    frame = ja.artifacts("name = 'model' and run.metrics.accuracy > 0.9")
    assert list(frame["ref"]) == ["model:v2"]
