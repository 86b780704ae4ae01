"""The filter language over REST: ``runs?filter=``, ``artifacts?filter=``, ``keys``, 400s."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .conftest import Fetch, body, validate


async def test_runs_filter_and_order_by(api: Fetch, ids: dict[str, Any]) -> None:
    text = quote("metrics.acc > 0.85 and params.n_trees >= 10")
    reply = await api(f"runs?filter={text}&order_by={quote('metrics.acc DESC')}&limit=1")
    data = validate(body(reply), "runs.json")
    assert data["total"] == 1 and [r["id"] for r in data["runs"]] == [ids["second"]]
    reply = await api(f"runs?filter={quote('status = ok')}")
    assert reply.code == 400
    error = validate(body(reply), "error.json")
    assert error["column"] == 10 and "expected a quoted string or a number" in error["message"]


async def test_unknown_key_is_400_with_candidates(api: Fetch, ids: dict[str, Any]) -> None:
    reply = await api(f"runs?filter={quote('metrics.accc > 0.5')}")
    error = validate(body(reply), "error.json")
    assert reply.code == 400 and error["candidates"] == ["acc"] and error["column"] == 1


async def test_keys_and_version_filter(api: Fetch, ids: dict[str, Any]) -> None:
    keys = validate(body(await api("keys")), "keys.json")
    assert (keys["metrics"], keys["params"], keys["tags"]) == (
        ["acc", "loss"], ["lr", "n_trees"], ["baseline", "tuned"])
    text = quote("kind = 'figure' and run.metrics.acc > 0.8")
    data = validate(body(await api(f"artifacts?filter={text}")), "artifacts.json")
    assert [v["ref"] for v in data["versions"]] == ["confusion:v1"] and data["total"] == 1


async def test_simple_fields_narrow_the_filter(api: Fetch, ids: dict[str, Any]) -> None:
    reply = await api(f"runs?filter={quote('metrics.acc > 0.8')}&tag=baseline")
    data = validate(body(reply), "runs.json")
    assert [r["id"] for r in data["runs"]] == [ids["first"]] and data["total"] == 1
