"""What users hand to a run: bad metrics fail alone and at once, params have a size, tags are
tags, and an object whose repr raises is still recorded."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

import jupyter_artifacts as ja
from jupyter_artifacts import tracking
from jupyter_artifacts.store import Store
from jupyter_artifacts.store.validate import MAX_PARAM

pytestmark = pytest.mark.both_catalogs  # each test runs on SQLite and on PostgreSQL


@pytest.mark.parametrize("key, value, step", [
    ("a", 1.0, 2**63), ("a", 1.0, -(2**63) - 1), ("a", 1.0, 1.5), ("a", 1.0, "3"), ("a", 1.0, True),
    ("", 1.0, None), ("x" * 300, 1.0, None), (3, 1.0, None), (None, 1.0, None), ("a\x00b", 1.0, None),
    ("a", "0.5", None), ("a", True, None), ("a", None, None), ("a", [1.0], None), ("a", 10**400, None),
])
def test_a_bad_metric_is_refused_at_the_call(store: Store, key: Any, value: Any, step: Any) -> None:
    with ja.run("train") as active:
        ja.log_metric("loss", 0.5, step=0)
        with pytest.raises(ja.InvalidValueError) as info:
            ja.log_metric(key, value, step=step)
        assert "\n" not in str(info.value)
        ja.log_metric("loss", 0.25, step=1)  # the run goes on: nothing was poisoned
    run = store.get_run(active.id)
    assert run.status == "ok" and run.warnings == []
    assert [(s, v) for s, v, _ in store.metric_series(active.id, "loss")] == [(0, 0.5), (1, 0.25)]


def test_the_example_from_the_issue_keeps_every_other_point(store: Store) -> None:
    with ja.run("train") as active:
        ja.log_metric("b", 1.0)
        with pytest.raises(ja.InvalidValueError, match="64-bit"):
            ja.log_metric("a", 1, step=2**63)
        for step in range(tracking.FLUSH_EVERY + 5):  # at least one full batch is written
            ja.log_metric("a", float(step), step=step)
    summary = store.metric_summary(active.id)
    assert summary["a"]["count"] == tracking.FLUSH_EVERY + 5 and summary["b"]["count"] == 1


def test_edge_values_that_are_fine(store: Store) -> None:
    with ja.run("train") as active:
        ja.log_metric("a", np.float32(0.5), step=np.int64(2**63 - 1))
        ja.log_metric("b", np.array(2.0), step=-(2**63))
        ja.log_metric("c", 7)
        ja.log_metric("d", float("-inf"))
        ja.log_metric("unicode ключ/µ", 1.0)
    summary = store.metric_summary(active.id)
    assert summary["a"]["last_step"] == 2**63 - 1 and summary["b"]["last_step"] == -(2**63)
    assert summary["c"]["last"] == 7.0 and summary["d"]["last"] == float("-inf")
    assert "unicode ключ/µ" in summary


def test_a_point_failing_at_flush_is_dropped_alone_and_recorded(store: Store) -> None:
    """A point that got past the checks (here put straight into the buffer) and fails in the
    batched write costs only itself; the run says so and later calls work."""
    with pytest.warns(RuntimeWarning, match="1 metric point not stored"), ja.run("train") as active:
        ja.log_metric("a", 1.0, step=0)
        active._buffer.append((active.id, "a", 2**63, 2.0, time.time()))
        ja.log_metric("a", 3.0, step=1)
        active.flush()
        ja.log_metric("a", 4.0, step=2)
    run = store.get_run(active.id)
    assert run.status == "ok"
    assert [v for _, v, _ in store.metric_series(active.id, "a")] == [1.0, 3.0, 4.0]
    assert run.metadata["dropped_metric_points"] == 1
    assert "1 metric point not stored" in run.warnings[0]


def test_a_huge_param_is_refused_with_a_clear_error(store: Store) -> None:
    with ja.run("train") as active:
        with pytest.raises(ja.InvalidValueError, match="params are limited"):
            ja.log_param("text", "x" * 10_000_000)
        ja.log_param("small", "x" * 100)
    with pytest.raises(ja.InvalidValueError, match="params are limited"), \
            ja.run("train", params={"text": "x" * (MAX_PARAM + 1)}):
        pass
    assert store.get_run(active.id).params == {"small": "x" * 100}
    assert store.query_runs().total == 1  # the refused run was never created


def test_captured_params_too_large_are_skipped_with_a_warning(store: Store) -> None:
    big = {"k" * 7000: 1}  # a small dict by count, but its key is huge
    active = tracking.start_run("cell", store=store, params={"big": big, "lr": 0.1},
                                strict_params=False)
    active.log_params({"big2": big, "n": 3}, strict=False)
    tracking.end_run(active)
    assert len(active.warnings) == 2  # the tracked cell's summary shows them
    run = store.get_run(active.id)
    assert run.params == {"lr": 0.1, "n": 3}
    assert len(run.warnings) == 2 and all("params are limited" in w for w in run.warnings)


class Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("repr is broken")

    __str__ = __repr__


def test_objects_whose_repr_raises_are_recorded(store: Store) -> None:
    with ja.run("train", params={"model": Unprintable()}) as active:
        ja.log_param("obj", Unprintable())
        ja.log_params({Unprintable(): 1, "nested": [1, Unprintable()]})
    params = store.get_run(active.id).params
    assert params["obj"] == params["model"] == "<Unprintable object: repr failed (RuntimeError)>"
    assert params["nested"] == "<list object: repr failed (RuntimeError)>" or params["nested"][0] == 1
    assert "<Unprintable object: repr failed (RuntimeError)>" in params


@pytest.mark.parametrize("tags, expected", [("abc", ["abc"]), (["a", "b"], ["a", "b"]),
                                            (("x",), ["x"]), ([], [])])
def test_a_str_is_one_tag(store: Store, tags: Any, expected: list[str]) -> None:
    with ja.run("train", tags=tags) as active:
        version = ja.save("text", "notes", tags=tags)
    assert sorted(store.get_run(active.id).tags) == expected
    assert version.tags == expected
    store.add_run_tags(active.id, "later")
    assert "later" in store.get_run(active.id).tags


@pytest.mark.parametrize("tags", [[""], [1], "", ["a\nb"], 5, ["x" * 300]])
def test_bad_tags_are_refused_before_anything_is_stored(store: Store, tags: Any) -> None:
    with pytest.raises(ja.InvalidValueError):
        ja.save("text", "notes", tags=tags)
    with pytest.raises(ja.InvalidValueError), ja.run("train", tags=tags):
        pass
    assert not any(store.objects.root.rglob("objects/*/*"))
    assert store.query_runs().total == 0


def test_params_and_metrics_must_be_dicts(store: Store) -> None:
    with ja.run("train"):
        with pytest.raises(ja.InvalidValueError):
            ja.log_params([("a", 1)])  # type: ignore[arg-type]
        with pytest.raises(ja.InvalidValueError):
            ja.log_metrics([("a", 1.0)])  # type: ignore[arg-type]


def test_counting_on_past_the_top_step_is_refused(store: Store) -> None:
    with ja.run("train") as active:
        ja.log_metric("a", 1.0, step=2**63 - 1)
        with pytest.raises(ja.InvalidValueError, match="64-bit"):
            ja.log_metric("a", 2.0)
    assert store.metric_summary(active.id)["a"]["count"] == 1


def test_a_failing_store_costs_the_batch_not_the_loop(tmp_path: Any) -> None:
    store = Store.open(tmp_path / "broken")
    active = tracking.start_run("train", store=store)
    try:
        ja.log_metric("a", 1.0)
        ja.log_metric("a", 2.0)
        store.catalog.close()  # the store fails under the run (a closed connection here)
        with pytest.warns(RuntimeWarning, match="2 metric points not stored"):
            active.flush()  # no exception: the training loop goes on
        ja.log_metric("a", 3.0)  # and later points are still accepted
        assert active.warnings == [active.warnings[0]] and "ProgrammingError" in active.warnings[0]
    finally:
        tracking._stack.remove(active)


@pytest.mark.parametrize("metadata", [{"a": Unprintable()}, [1, 2], {1: "a", "b": 2}])
def test_bad_metadata_is_refused_before_anything_is_stored(store: Store, metadata: Any) -> None:
    with pytest.raises(ja.InvalidValueError, match="metadata"):
        ja.save("text", "notes", metadata=metadata)
    assert not any(store.root.rglob("objects/*/*"))


def test_an_active_run_has_its_ref(store: Store) -> None:
    with ja.run("train") as active:
        assert active.ref == "run-1" and ja.get_run(active.ref).id == active.id
