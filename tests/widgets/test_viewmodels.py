"""The view models as plain data, against a real store."""

from __future__ import annotations

import json

import pytest

from jupyter_artifacts.errors import InvalidReferenceError
from jupyter_artifacts.store import Store
from jupyter_artifacts.widgets import comparison as cmp
from jupyter_artifacts.widgets import viewmodels as vm
from jupyter_artifacts.widgets.preview import version_preview


def test_runs_page_lists_newest_first_with_param_and_metric_columns(store: Store) -> None:
    page = vm.runs_page(store)
    assert [r["ref"] for r in page["rows"]] == ["run-4", "run-3", "run-2", "run-1"]
    assert page["total"] == 4 and page["pages"] == 1
    assert page["param_columns"] == ["C", "epochs", "lr", "seed"]
    assert page["metric_columns"] == ["accuracy", "loss"]
    assert page["rows"][1]["params"]["C"] == 1.0


def test_runs_page_filters_sorts_and_pages(store: Store) -> None:
    assert [r["ref"] for r in vm.runs_page(store, name="prep")["rows"]] == ["run-4", "run-1"]
    assert vm.runs_page(store, tag="baseline")["total"] == 2
    assert vm.runs_page(store, status="failed")["total"] == 0
    by_loss = vm.runs_page(store, order_by="metrics.loss", descending=False)
    # Runs that logged no loss follow, newest first, so every run stays reachable by paging.
    assert [r["ref"] for r in by_loss["rows"]] == ["run-3", "run-2", "run-4", "run-1"]
    second = vm.runs_page(store, page=1, page_size=3)
    assert [r["ref"] for r in second["rows"]] == ["run-1"] and second["pages"] == 2
    assert "metrics.loss" in vm.sort_options(vm.runs_page(store))


def test_metric_table_marks_the_best_run_per_metric(store: Store) -> None:
    table = vm.metric_table(store, ["run-2", "run-3"])
    best = {(r["key"], r["run"]) for r in table["rows"] if r["is_best"]}
    # run-3 (C=1) learns faster: lowest loss and highest accuracy.
    assert best == {("loss", "run-3"), ("accuracy", "run-3")}
    loss = next(r for r in table["rows"] if r["key"] == "loss" and r["run"] == "run-2")
    assert loss["lower_is_better"] and loss["best"] == loss["min"] and loss["count"] == 50
    assert loss["best_step"] == store.metric_summary("run-2")["loss"]["step_min"]


def test_metric_curves_keep_stored_points_when_few(store: Store) -> None:
    curves = vm.metric_curves(store, ["run-2", "run-3"])
    assert curves["keys"] == ["accuracy", "loss"]
    run2 = curves["series"]["loss"][0]
    assert run2["run"] == "run-2" and len(run2["x"]) == 50 and run2["x"][:3] == [0, 1, 2]
    timed = vm.metric_curves(store, ["run-2"], ["loss"], x_axis="time")
    assert timed["series"]["loss"][0]["x"][0] == 0.0


def test_artifact_list_and_versions(store: Store) -> None:
    names = {a["name"]: a for a in vm.artifact_list(store)}
    assert names["train"]["latest"] == 2 and names["train"]["versions"] == 2
    versions = vm.version_list(store, "model")
    assert [v["ref"] for v in versions] == ["model:v2", "model:v1"]
    assert versions[0]["aliases"] == ["latest"] and versions[0]["stale"]  # train has a v2 since


@pytest.mark.parametrize(("ref", "kind"), [("confusion", "figure"), ("train", "dataframe"),
                                           ("model", "model")])
def test_version_preview_by_kind(store: Store, ref: str, kind: str) -> None:
    preview = version_preview(store, ref)
    assert preview["type"] == kind
    assert preview["snippet"].startswith(f'ja.load("{ref}:v')


def test_version_preview_details(store: Store) -> None:
    frame = version_preview(store, "train:v2")
    assert frame["shape"] == [4, 3] and frame["columns"] == ["x", "y", "z"] and len(frame["head"]) == 4
    model = version_preview(store, "model:v2")
    assert model["class"].endswith("LogisticRegression") and model["params"]["C"] == 1.0
    assert version_preview(store, "confusion")["png_base64"].startswith("iVBOR")  # PNG magic


def test_compare_params_differing_only_then_all(store: Store) -> None:
    differing = cmp.compare_params(store, ["run-2", "run-3"])
    assert [r["key"] for r in differing["rows"]] == ["C", "epochs"] and differing["hidden"] == 2
    every = cmp.compare_params(store, ["run-2", "run-3"], only_differing=False)
    assert [r["key"] for r in every["rows"]] == ["C", "epochs", "lr", "seed"]
    assert every["rows"][2] == {"key": "lr", "values": [0.01, 0.01], "differs": False}


def test_compare_metrics_and_artifacts(store: Store) -> None:
    data = cmp.comparison(store, ["run-2", "run-3"])
    loss = next(r for r in data["metrics"]["rows"] if r["key"] == "loss")
    assert loss["best_run"] == "run-3" and loss["lower_is_better"]
    matched = {a["name"]: a for a in data["artifacts"]}
    assert matched["confusion"]["type"] == "figure" and all(matched["confusion"]["images"])
    assert matched["model"]["type"] == "model"
    assert {p["key"] for p in matched["model"]["params"] if p["differs"]} == {"C"}
    frames = matched["predictions"]["frames"]
    assert [f["shape"][0] for f in frames] == [3, 4]
    assert frames[0]["stats"]["p"]["max"] == pytest.approx(0.3)  # from the Parquet footer
    assert data["code"][0]["lines"][0] == "--- run-2" and not data["code"][0]["identical"]
    assert any(line.startswith("+model = LogisticRegression(C=1.0)") for line in data["code"][0]["lines"])


def test_compare_needs_two_runs(store: Store) -> None:
    with pytest.raises(InvalidReferenceError):
        cmp.comparison(store, ["run-2"])


def test_parse_columns() -> None:
    assert vm.parse_columns("") == (None, None)
    assert vm.parse_columns(" lr, params.seed ,metrics.val_loss") == (["lr", "seed"], ["val_loss"])


def test_load_snippet_quotes_a_hostile_name(store: Store) -> None:
    import jupyter_artifacts as ja

    # Names are validated on save; a catalog copied from someone else is not.
    name = 'x")\n__import__("os").system("echo pwned")#'
    version = ja.save({"a": 1}, "plain")
    with store.catalog.write() as conn:
        conn.execute("PRAGMA defer_foreign_keys = ON")
        for table in ("artifacts", "versions", "aliases"):
            conn.execute(f"UPDATE {table} SET name = ? WHERE name = 'plain'", (name,))
    snippet = version_preview(store, version.id)["snippet"]
    assert snippet == f"ja.load({json.dumps(name + ':v1')})"
    compile(snippet, "<snippet>", "eval")  # one call expression, nothing more
