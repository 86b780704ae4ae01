"""A real Jupyter server with the extension, over a real store in its root dir."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from tornado.httpclient import HTTPClientError, HTTPResponse

from jupyter_artifacts.store import ENV_VAR, Store

SCHEMA_DIR = Path(__file__).parents[2] / "jupyter_artifacts" / "server" / "schema"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00fake-png-body" * 10
HTML = b"<html><body><script>document.title='report'</script><h1>SHAP</h1></body></html>"

Fetch = Callable[..., Awaitable[HTTPResponse]]


def _registry() -> Registry:
    resources = []
    for path in SCHEMA_DIR.glob("*.json"):
        contents = json.loads(path.read_text())
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def validate(payload: Any, schema_name: str) -> Any:
    """Validate ``payload`` against ``schema/<schema_name>``; return it for chaining."""
    schema = REGISTRY.contents(schema_name)
    jsonschema.Draft202012Validator(schema, registry=REGISTRY).validate(payload)
    return payload


@pytest.fixture(autouse=True)
def _no_store_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


def populate(store: Store) -> dict[str, Any]:
    """Three runs, metric series, a dataset input, a figure, an HTML report; returns ids."""
    env_id = store.put_environment("3.11.7", "linux", {"numpy": "2.1.0"})
    data_oid, data_size, _ = store.objects.put_bytes(b"a,b\n1,2\n3,4\n")
    store.add_version("data/train", oid=data_oid, kind="dataset", media_type="text/csv",
                      codec="csv", size=data_size, summary={"rows": 2, "columns": ["a", "b"]})
    first = store.create_run("train", tags=["baseline"], params={"n_trees": 10, "lr": 0.1},
                             notebook_path="nb/train.ipynb", code="model.fit(X, y)",
                             environment_id=env_id, started_at=1000.0)
    store.record_event(first.id, "data/train:v1", "input")
    store.log_metrics([(first.id, "loss", step, 1.0 / (step + 1), 1000.0 + step)
                       for step in range(200)])
    store.log_metrics([(first.id, "acc", None, 0.81, 1009.0)])
    png_oid, png_size, _ = store.objects.put_bytes(PNG)
    store.add_version("confusion", oid=png_oid, kind="figure", media_type="image/png",
                      codec="png", size=png_size, run_id=first.id)
    html_oid, html_size, _ = store.objects.put_bytes(HTML)
    store.add_version("report", oid=html_oid, kind="report", media_type="text/html",
                      codec="html", size=html_size, run_id=first.id)
    store.finish_run(first.id, "ok", ended_at=1010.0)

    second = store.create_run("train", tags=["tuned"], params={"n_trees": 100, "lr": 0.1},
                              notebook_path="nb/train.ipynb", started_at=2000.0)
    store.log_metrics([(second.id, "acc", None, 0.93, 2005.0)])
    store.finish_run(second.id, "failed", error="ValueError: boom", ended_at=2030.0)

    third = store.create_run("evaluate", notebook_path="nb/eval.ipynb", started_at=3000.0)
    store.log_metrics([(third.id, "acc", None, 0.88, 3001.0)])
    return {"first": first.id, "second": second.id, "third": third.id, "png_oid": png_oid}


@pytest.fixture
def store_root(jp_root_dir: Path) -> Path:
    return jp_root_dir / ".artifacts"


@pytest.fixture
def ids(store_root: Path) -> dict[str, Any]:
    """A populated store in the server's root dir (created before the server starts)."""
    store = Store.open(store_root, create=True)
    try:
        return populate(store)
    finally:
        store.close()


@pytest.fixture
def allow_writes() -> bool:
    return False


@pytest.fixture
def jp_server_config(allow_writes: bool) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_artifacts.server": True}},
        "JupyterArtifacts": {"allow_writes": allow_writes},
    }


@pytest.fixture
def api(http_server_client: Any, jp_base_url: str, jp_auth_header: dict[str, str]) -> Fetch:
    """Fetch ``{base_url}jupyter-artifacts/api/<path>`` with the path sent as is (no escaping).

    Returns the response whatever its status, so tests check error codes directly.
    """

    async def fetch(path: str, *, auth: bool = True, **kwargs: Any) -> HTTPResponse:
        headers = dict(kwargs.pop("headers", {}) or {})
        if auth:
            headers.update(jp_auth_header)
        url = f"{jp_base_url}jupyter-artifacts/api/{path}"
        try:
            return await http_server_client.fetch(url, headers=headers, **kwargs)
        except HTTPClientError as err:
            assert err.response is not None
            return err.response

    return fetch


def body(response: HTTPResponse) -> Any:
    """The JSON body of a response."""
    return json.loads(response.body)
