"""Read routes against a real server and a real store, validated against the JSON Schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .conftest import Fetch, body, validate


async def test_runs_lists_newest_first_without_code(api: Fetch, ids: dict[str, Any]) -> None:
    page = validate(body(await api("runs")), "runs.json")
    assert page["total"] == 3
    assert [r["id"] for r in page["runs"]] == [ids["third"], ids["second"], ids["first"]]
    assert all("code" not in r for r in page["runs"])
    assert page["runs"][1]["has_error"] is True
    assert page["runs"][2]["params"] == {"n_trees": 10, "lr": 0.1}
    assert page["runs"][2]["metrics"]["acc"] == 0.81


async def test_runs_filters(api: Fetch, ids: dict[str, Any]) -> None:
    async def run_ids(query: str) -> list[str]:
        page = validate(body(await api(f"runs?{query}")), "runs.json")
        return [r["id"] for r in page["runs"]]

    assert await run_ids("name=eval") == [ids["third"]]
    assert await run_ids("tag=baseline") == [ids["first"]]
    assert await run_ids("status=failed") == [ids["second"]]
    assert await run_ids("notebook=train.ipynb") == [ids["second"], ids["first"]]
    assert await run_ids("since=1500&until=2500") == [ids["second"]]
    assert await run_ids("since=1970-01-01T00:25:00%2B00:00") == [ids["third"], ids["second"]]


async def test_runs_sort_and_page(api: Fetch, ids: dict[str, Any]) -> None:
    page = body(await api("runs?sort=-metrics.acc"))
    assert [r["metrics"]["acc"] for r in page["runs"]] == [0.93, 0.88, 0.81]
    page = body(await api("runs?sort=params.n_trees&limit=1&offset=1"))
    assert page["total"] == 3 and page["limit"] == 1
    assert [r["id"] for r in page["runs"]] == [ids["second"]]
    page = body(await api("runs?sort=name"))
    assert [r["name"] for r in page["runs"]] == ["evaluate", "train", "train"]


async def test_runs_bad_arguments_are_400(api: Fetch, ids: dict[str, Any]) -> None:
    for query in ("sort=metrics.a;drop", "sort=nonsense", "limit=ten", "since=yesterday"):
        response = await api(f"runs?{query}")
        assert response.code == 400, query
        validate(body(response), "error.json")


async def test_run_details(api: Fetch, ids: dict[str, Any]) -> None:
    detail = validate(body(await api("runs/run-1")), "run.json")
    assert detail["run"]["id"] == ids["first"]
    assert detail["run"]["code"] == "model.fit(X, y)"
    assert detail["notebook"] == "nb/train.ipynb"
    assert [v["ref"] for v in detail["inputs"]] == ["data/train:v1"]
    assert sorted(v["ref"] for v in detail["outputs"]) == ["confusion:v1", "report:v1"]
    assert detail["environment"]["packages"] == {"numpy": "2.1.0"}
    loss = detail["metrics"]["loss"]
    assert (loss["count"], loss["max"], loss["step_max"]) == (200, 1.0, 0)
    by_prefix = validate(body(await api(f"runs/{ids['second'][:12]}")), "run.json")
    assert by_prefix["run"]["error"] == "ValueError: boom"


async def test_unknown_run_is_404(api: Fetch, ids: dict[str, Any]) -> None:
    response = await api("runs/run-99")
    assert response.code == 404
    assert validate(body(response), "error.json")["error"] == "NotFoundError"


async def test_metric_series_downsampled(api: Fetch, ids: dict[str, Any]) -> None:
    full = validate(body(await api("runs/run-1/metrics/loss")), "metric-series.json")
    assert full["count"] == 200 and len(full["points"]) == 200 and not full["downsampled"]
    small = validate(body(await api("runs/run-1/metrics/loss?max_points=20")), "metric-series.json")
    assert small["downsampled"] and len(small["points"]) <= 20
    assert small["points"][0] == full["points"][0]
    assert small["points"][-1] == full["points"][-1]
    assert (await api("runs/run-1/metrics/nope")).code == 404


async def test_artifacts_and_versions(api: Fetch, ids: dict[str, Any]) -> None:
    listing = validate(body(await api("artifacts")), "artifacts.json")
    assert {a["name"] for a in listing["artifacts"]} == {"data/train", "confusion", "report"}
    figures = body(await api("artifacts?kind=figure"))
    assert [a["name"] for a in figures["artifacts"]] == ["confusion"]
    versions = validate(body(await api("artifacts/data%2Ftrain")), "artifact.json")
    assert [v["ref"] for v in versions["versions"]] == ["data/train:v1"]
    version = validate(body(await api("versions/confusion:latest")), "version.json")
    assert version["version"]["oid"] == ids["png_oid"]
    assert (await api("artifacts/missing")).code == 404


async def test_lineage(api: Fetch, ids: dict[str, Any]) -> None:
    graph = validate(body(await api("lineage/confusion:v1")), "lineage.json")
    labels = {n["label"] for n in graph["nodes"]}
    assert {"confusion:v1", "data/train:v1", "train (run-1)"} <= labels
    edge_types = {(e["type"]) for e in graph["edges"]}
    assert edge_types == {"input", "output"}


async def test_changes_token_moves_on_write(api: Fetch, ids: dict[str, Any], store_root: Any) -> None:
    from jupyter_artifacts.store import Store

    before = validate(body(await api("changes")), "changes.json")
    assert before["token"] is not None
    store = Store.open(store_root, create=False)
    try:
        store.add_run_tags("run-3", ["later"])
    finally:
        store.close()
    after = validate(body(await api("changes")), "changes.json")
    assert after["token"] != before["token"]
    status = validate(body(await api("status")), "status.json")
    assert status["store"] == str(store_root) and status["allow_writes"] is False


async def test_nan_and_infinity_become_null(api: Fetch, ids: dict[str, Any], store_root: Any) -> None:
    from jupyter_artifacts.store import Store

    store = Store.open(store_root, create=False)
    try:
        run = store.create_run("unstable")
        store.log_metrics([(run.id, "loss", 0, float("nan"), 1.0), (run.id, "loss", 1, 0.5, 2.0),
                           (run.id, "grad", 0, float("inf"), 1.0)])
    finally:
        store.close()
    response = await api(f"runs/{run.ref}")
    assert b"NaN" not in response.body and b"Infinity" not in response.body
    detail = validate(body(response), "run.json")
    assert detail["run"]["metrics"]["grad"] is None
    series = validate(body(await api(f"runs/{run.ref}/metrics/loss")), "metric-series.json")
    assert [p[1] for p in series["points"]] == [None, 0.5]


def test_notebook_is_opened_only_inside_the_root(tmp_path: Path) -> None:
    from jupyter_artifacts.server.queries import notebook_in_root

    root = tmp_path / "root"
    (root / "nb").mkdir(parents=True)
    assert notebook_in_root(str(root / "nb" / "a.ipynb"), root) == "nb/a.ipynb"
    assert notebook_in_root("nb/a.ipynb", root) == "nb/a.ipynb"
    assert notebook_in_root(str(tmp_path / "elsewhere.ipynb"), root) is None
    assert notebook_in_root("../escape.ipynb", root) is None
    assert notebook_in_root(None, root) is None
