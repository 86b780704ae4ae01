"""The Python API: runs and their status, buffered metrics, params, the runs frame, lineage."""

from __future__ import annotations

import numpy as np
import pytest

import jupyter_artifacts as ja
from jupyter_artifacts import tracking
from jupyter_artifacts.store import Store

pytestmark = pytest.mark.both_catalogs  # each test runs on SQLite and on PostgreSQL


def test_run_records_ok(store: Store) -> None:
    with ja.run("train", tags=["baseline"], params={"lr": 0.1}) as active:
        ja.log_param("epochs", 3)
    run = store.get_run(active.id)
    assert (run.name, run.status, run.tags) == ("train", "ok", ["baseline"])
    assert run.params == {"lr": 0.1, "epochs": 3}
    assert run.ended_at is not None and run.environment_id is not None


@pytest.mark.parametrize("error, status", [(ValueError("boom"), "failed"),
                                           (KeyboardInterrupt(), "interrupted")])
def test_run_records_failure_and_reraises(store: Store, error: BaseException, status: str) -> None:
    with pytest.raises(type(error)), ja.run("train") as active:
        raise error
    run = store.get_run(active.id)
    assert run.status == status
    assert type(error).__name__ in (run.error or "")
    assert tracking.active_run(required=False) is None


def test_no_metric_is_lost_when_the_run_fails(store: Store) -> None:
    n = tracking.FLUSH_EVERY * 2 + 17  # several full batches and a partial one
    with pytest.raises(RuntimeError), ja.run("train") as active:
        for step in range(n):
            ja.log_metric("loss", 1.0 / (step + 1))
        ja.log_metrics({"acc": 0.5, "f1": 0.25}, step=0)
        raise RuntimeError("diverged")
    series = store.metric_series(active.id, "loss")
    assert [s for s, _, _ in series] == list(range(n))
    summary = store.metric_summary(active.id)
    assert summary["loss"]["count"] == n
    assert summary["loss"]["last"] == pytest.approx(1.0 / n)
    assert summary["loss"]["max"] == 1.0 and summary["loss"]["step_max"] == 0
    assert set(summary) == {"loss", "acc", "f1"}


def test_logging_without_a_run_is_a_clear_error(store: Store) -> None:
    with pytest.raises(ja.NoActiveRunError):
        ja.log_metric("loss", 1.0)
    with pytest.raises(ja.NoActiveRunError):
        ja.log_param("lr", 1.0)


def test_runs_frame_has_params_and_metrics_columns(store: Store) -> None:
    for lr, acc in [(0.1, 0.7), (0.01, 0.9), (0.001, 0.8)]:
        with ja.run("train", params={"lr": lr}):
            ja.log_metric("acc", acc)
    with pytest.raises(ValueError), ja.run("eval"):
        raise ValueError
    frame = ja.runs()
    assert {"run", "status", "params.lr", "metrics.acc"} <= set(frame.columns)
    assert len(frame) == 4
    best = ja.runs(name="train", order_by="metrics.acc")
    assert list(best["metrics.acc"]) == [0.9, 0.8, 0.7]
    worst_first = ja.runs(order_by="metrics.acc", descending=False)
    # Runs without the metric come last (the failed eval), so paging agrees with the total.
    assert list(worst_first["params.lr"].iloc[:3]) == [0.1, 0.001, 0.01]
    assert list(worst_first["name"]) == ["train", "train", "train", "eval"]
    assert list(ja.runs(status="failed")["name"]) == ["eval"]
    assert list(ja.runs(order_by="params.lr", descending=False)["params.lr"].dropna()) == [
        0.001, 0.01, 0.1]


def test_runs_frame_filters_by_tag(store: Store) -> None:
    with ja.run("a", tags=["keep"]):
        pass
    with ja.run("b"):
        pass
    assert list(ja.runs(tag="keep")["name"]) == ["a"]


def test_save_and_load_record_lineage(store: Store) -> None:
    ja.save(np.arange(3), "features")
    with ja.run("train") as active:
        features = ja.load("features")
        ja.save({"acc": float(features.sum())}, "scores")
    events = sorted((t, v.ref) for t, v in store.run_events(active.id))
    assert events == [("input", "features:v1"), ("output", "scores:v1")]
    graph = store.lineage("scores")
    assert {n["label"] for n in graph["nodes"] if n["type"] == "version"} == {
        "features:v1", "scores:v1"}


def test_save_versions_aliases_and_artifacts_frame(store: Store) -> None:
    v1 = ja.save("first", "notes")
    assert ja.save("first", "notes").id == v1.id
    v2 = ja.save("second", "notes", tags=["draft"])
    assert v2.ref == "notes:v2" and v2.tags == ["draft"]
    ja.alias("notes:v1", "production")
    assert ja.load("notes:production") == "first"
    assert ja.load("notes") == "second"
    frame = ja.artifacts()
    row = frame.set_index("name").loc["notes"]
    assert (row["latest"], row["versions"], row["aliases"]) == (2, 2, ["latest", "production"])


def test_unknown_kind_is_refused(store: Store) -> None:
    with pytest.raises(ja.InvalidReferenceError):
        ja.save("x", "notes", kind="nonsense")


def test_open_store_becomes_the_default(tmp_path) -> None:
    opened = ja.open_store(tmp_path / "other")
    ja.save("x", "notes")
    assert [v.ref for v in opened.versions("notes")] == ["notes:v1"]


def test_nan_and_inf_metrics_are_kept(store: Store) -> None:
    import math

    with ja.run("diverged") as run:
        for step, value in enumerate([1.0, float("nan"), 0.5, float("inf"), float("nan")]):
            ja.log_metric("loss", value, step=step)
        run.flush()
        ja.log_metric("only_nan", float("nan"))
    series = store.metric_series(run.id, "loss")
    assert len(series) == 5 and math.isnan(series[1][1]) and series[3][1] == math.inf
    summary = store.metric_summary(run.id)
    assert math.isnan(summary["loss"]["last"]) and summary["loss"]["min"] == 0.5
    assert summary["loss"]["max"] == math.inf and summary["loss"]["count"] == 5
    assert math.isnan(summary["only_nan"]["last"])


def test_remove_alias(store: Store) -> None:
    first = ja.save("one", "notes")
    ja.save("two", "notes")
    ja.alias("notes:v1", "production")
    assert ja.remove_alias("notes:production").id == first.id
    with pytest.raises(ja.NotFoundError):
        ja.load("notes:production")
    with pytest.raises(ja.NotFoundError, match="no alias"):
        ja.remove_alias("notes:production")
    with pytest.raises(ja.InvalidReferenceError, match="managed automatically"):
        ja.remove_alias("notes:latest")
    with pytest.raises(ja.InvalidReferenceError):
        ja.remove_alias("production")
