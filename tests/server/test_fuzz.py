"""Generated requests to every route: never a 500, errors are JSON, reads never change the store.

Hypothesis runs in a worker thread and sends each request to the server's own event loop, so
it can shrink a failing request to its simplest form. Examples are few and have no deadline:
the whole module stays well under a minute.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_artifacts.store import Store

from .conftest import Fetch, validate

ALLOWED = {200, 400, 403, 404, 409}  # 409: an ambiguous reference
FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=list(HealthCheck))

_TRICKY = st.sampled_from([
    "..", "../", "../../catalog.sqlite", "%2E%2E%2F", "\x00", "%00", "%zz", "%", "%%", "%252F",
    "run-99999999999999999999", "x:v99999999999999999999", "confusion:v1", "confusion:latest",
    "confusion:v-1", "confusion:v0", "data/train:v1", "run-1", "run-0", "run--1", "run-1e9",
    "@", ":", "::", "~", "\\..\\", "confusion@production", "💥", "ｒｕｎ-１", "\u202e", " ", "\t",
    "loss", "acc", "metrics.acc", "objects", "catalog.sqlite",
])
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=30)
_INTS = st.one_of(st.integers(-(2**70), 2**70).map(str), st.sampled_from(["", "1e3", "0x10", "NaN", "-0"]))
SEGMENT = st.one_of(_TRICKY, _TEXT.filter(bool), st.integers(0, 2**80).map(lambda n: f"run-{n}"),
                    st.tuples(_TEXT, st.integers(-(2**70), 2**70)).map(lambda t: f"{t[0]}:v{t[1]}"))
_FILTERS = st.one_of(_TEXT, st.sampled_from([
    "metrics.acc > 0.9", "params.lr = 0.1 and status = 'ok'", "kind = 'model'", "name ~ 'tr%'",
    "metrics.acc > 1e400", "metrics.acc > 99999999999999999999999", "(((((", "'", "tag = '\x00'",
    "run.metrics.acc > 0.5", "started_at > '2020-01-01'", "not not not", "metrics. = 1",
]))
PARAMS = st.dictionaries(
    st.sampled_from(["filter", "order_by", "sort", "limit", "offset", "kind", "status", "search",
                     "name", "tag", "notebook", "since", "until", "max_points", "depth",
                     "object", "download"]),
    st.one_of(_FILTERS, _INTS, _TRICKY), max_size=4)

GET_ROUTES = ["status", "changes", "runs", "keys", "artifacts", "runs/{}", "runs/{}/metrics/{}",
              "runs/run-1/metrics/{}", "artifacts/{}", "versions/{}", "versions/{}/content",
              "lineage/{}", "cells/{}"]
POST_ROUTES = ["runs/{}/tags", "versions/{}/aliases", "versions/{}/tags"]
BODIES = st.one_of(
    st.sampled_from([b"", b"{", b"[]", b"null", b'"x"', b"{}", b'{"tags": "abc"}', b'{"alias": 1}']),
    st.fixed_dictionaries({}, optional={"tags": st.lists(st.one_of(_TEXT, st.integers()), max_size=3),
                                        "alias": st.one_of(_TEXT, st.integers(), st.none())})
    .map(lambda d: json.dumps(d).encode()),
)


def encode(segment: str, raw: bool) -> str:
    """A path segment percent-encoded as a client would, or with ``%`` and ``:`` left raw."""
    return quote(segment, safe="%:@~" if raw else "")


def fingerprint(root: Path) -> tuple[str, str]:
    """The store's change token and a hash of its catalog and object listing."""
    store = Store.open(root)
    try:
        token = store.change_token()
    finally:
        store.close()
    digest = hashlib.sha256((root / "catalog.sqlite").read_bytes())
    for path in sorted((root / "objects").rglob("*")):
        digest.update(f"{path.relative_to(root)}:{path.lstat().st_size}".encode())
    return str(token), digest.hexdigest()


def check(code: int, payload: bytes, what: str) -> None:
    assert code in ALLOWED, f"{what} -> {code}: {payload[:300]!r}"
    if code != 200:
        validate(json.loads(payload), "error.json")


async def fuzz(test: Any) -> None:
    """Run the Hypothesis ``test`` in a thread; it runs requests with ``call`` on this loop."""
    loop = asyncio.get_running_loop()

    def call(coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)

    await loop.run_in_executor(None, test, call)


async def test_generated_reads_never_fail_or_change_the_store(
    api: Fetch, ids: dict[str, Any], store_root: Path,
) -> None:
    before = fingerprint(store_root)

    @FUZZ
    @given(route=st.sampled_from(GET_ROUTES), segments=st.lists(SEGMENT, min_size=2, max_size=2),
           raw=st.booleans(), params=PARAMS)
    def run(call: Any, route: str, segments: list[str], raw: bool, params: dict[str, str]) -> None:
        path = route.format(*(encode(s, raw) for s in segments))
        query = urlencode(params)
        url = f"{path}?{query}" if query else path
        response = call(api(url))
        check(response.code, response.body, url)

    await fuzz(run)
    assert fingerprint(store_root) == before


async def test_generated_writes_are_refused_when_writes_are_off(
    api: Fetch, ids: dict[str, Any], store_root: Path,
) -> None:
    before = fingerprint(store_root)

    @FUZZ
    @given(route=st.sampled_from(POST_ROUTES), segment=SEGMENT, raw=st.booleans(), payload=BODIES)
    def run(call: Any, route: str, segment: str, raw: bool, payload: bytes) -> None:
        url = route.format(encode(segment, raw))
        response = call(api(url, method="POST", body=payload))
        check(response.code, response.body, url)
        assert response.code in (403, 404), url  # 404: a path no route matches

    await fuzz(run)
    assert fingerprint(store_root) == before


@pytest.mark.parametrize("allow_writes", [True])
async def test_generated_writes_are_clean_errors_when_writes_are_on(
    api: Fetch, ids: dict[str, Any], store_root: Path,
) -> None:
    @FUZZ
    @given(route=st.sampled_from(POST_ROUTES),
           segment=st.one_of(st.sampled_from([ids["first"], "confusion:v1", "report:latest"]), SEGMENT),
           raw=st.booleans(), payload=BODIES)
    def run(call: Any, route: str, segment: str, raw: bool, payload: bytes) -> None:
        url = route.format(encode(segment, raw))
        response = call(api(url, method="POST", body=payload))
        check(response.code, response.body, f"POST {url} {payload[:100]!r}")

    await fuzz(run)


# Found by the fuzzer: the store's InvalidValueError (a tag it refuses) was a 500.
@pytest.mark.parametrize("allow_writes", [True])
@pytest.mark.parametrize("route", ["runs/{first}/tags", "versions/confusion:v1/tags"])
async def test_a_tag_the_store_refuses_is_a_400(api: Fetch, ids: dict[str, Any], route: str) -> None:
    response = await api(route.format(**ids), method="POST", body=json.dumps({"tags": ["x" * 300]}))
    assert response.code == 400
    assert validate(json.loads(response.body), "error.json")["error"] == "InvalidValueError"
