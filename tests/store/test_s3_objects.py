"""Objects on a real S3 server (SeaweedFS): layout, idempotent puts, the read cache,
verification, gc, opening, and one-line errors for wrong credentials or a dead endpoint."""

from __future__ import annotations

import io
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_artifacts.errors import CorruptObjectError, StoreError
from jupyter_artifacts.store import Store
from jupyter_artifacts.store import maintenance as maintenance_module
from jupyter_artifacts.store.readcache import ReadCache
from jupyter_artifacts.store.s3objects import S3ObjectStore, open_objects
from tests.services.s3 import S3Server


class Requests:
    """The S3 operations a client calls, in order (a botocore event hook)."""

    def __init__(self, client: Any) -> None:
        self.operations: list[str] = []
        client.meta.events.register("before-call.s3", self._seen)

    def _seen(self, event_name: str, **_: Any) -> None:
        self.operations.append(event_name.rsplit(".", 1)[-1])

    def clear(self) -> None:
        self.operations.clear()


@pytest.fixture
def objects(s3_url: str, tmp_path: Path) -> S3ObjectStore:
    store = open_objects(tmp_path / "store", s3_url)
    assert isinstance(store, S3ObjectStore)
    return store


@pytest.fixture
def s3_store(s3_url: str, tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path / ".artifacts", objects=s3_url)
    yield store
    store.close()


def keys(server: S3Server, bucket: str) -> dict[str, int]:
    listing = server.client().list_objects_v2(Bucket=bucket).get("Contents", [])
    return {item["Key"]: item["Size"] for item in listing}


def test_objects_are_keyed_by_content_under_the_prefix(objects: S3ObjectStore, s3_env: S3Server,
                                                        s3_bucket: str) -> None:
    oid, size, written = objects.put_bytes(b"hello team")
    assert (size, written) == (10, True)
    assert keys(s3_env, s3_bucket) == {f"team/objects/{oid[:2]}/{oid[2:]}": 10}
    assert objects.read_bytes(oid) == b"hello team"
    assert objects.exists(oid) and objects.size(oid) == 10
    assert list(objects.iter_oids()) == [oid]


def test_every_way_of_putting_gives_the_same_object(objects: S3ObjectStore,
                                                    tmp_path: Path) -> None:
    data = bytes(range(256)) * 40_000  # ~10 MB: a multipart upload
    path = tmp_path / "blob"
    path.write_bytes(data)
    oid, _, _ = objects.put_buffers([data[:5], memoryview(data)[5:]])
    assert objects.put_file(path) == (oid, len(data))
    assert objects.put_stream(io.BytesIO(data)) == (oid, len(data))
    with objects.writer() as sink:
        sink.write(data)
    assert sink.oid == oid
    assert bytes(objects.read_buffer(oid)) == data


def test_a_put_of_stored_content_uploads_nothing(objects: S3ObjectStore) -> None:
    oid, _, _ = objects.put_bytes(b"x" * 1000)
    seen = Requests(objects.client)
    assert objects.put_bytes(b"x" * 1000) == (oid, 1000, False)
    assert seen.operations == ["HeadObject"]


def test_a_second_read_is_served_by_the_cache_without_any_request(
        s3_url: str, tmp_path: Path) -> None:
    writer = open_objects(tmp_path / "a", s3_url)
    oid, _, _ = writer.put_bytes(b"cached " * 1000)
    reader = open_objects(tmp_path / "b", s3_url)  # another machine: its own, empty cache
    assert isinstance(reader, S3ObjectStore)
    seen = Requests(reader.client)
    assert reader.read_bytes(oid) == b"cached " * 1000
    assert "GetObject" in seen.operations
    seen.clear()
    assert reader.read_bytes(oid) == b"cached " * 1000
    assert bytes(reader.read_buffer(oid)) == b"cached " * 1000
    assert reader.verified_path(oid).read_bytes() == b"cached " * 1000
    with reader.open(oid) as fh:
        assert fh.read() == b"cached " * 1000
    assert seen.operations == []


def test_a_corrupt_object_on_the_server_is_caught_and_never_cached(
        objects: S3ObjectStore, s3_env: S3Server, s3_bucket: str, tmp_path: Path,
        s3_url: str) -> None:
    oid, _, _ = objects.put_bytes(b"good bytes")
    s3_env.client().put_object(Bucket=s3_bucket, Key=f"team/objects/{oid[:2]}/{oid[2:]}",
                               Body=b"evil bytes")
    fresh = open_objects(tmp_path / "other", s3_url)
    assert isinstance(fresh, S3ObjectStore)
    with pytest.raises(CorruptObjectError, match=oid[:12]):
        fresh.read_bytes(oid)
    assert fresh.cache.size_bytes() == 0
    with pytest.raises(CorruptObjectError):
        fresh.check(oid)


def test_the_cache_stays_within_its_bound_evicting_least_recently_used(
        s3_url: str, tmp_path: Path) -> None:
    writer = open_objects(tmp_path / "w", s3_url)
    oids = [writer.put_bytes(bytes([i]) * 1000)[0] for i in range(6)]
    cache = ReadCache(tmp_path / "cache", max_bytes=3500)
    reader = S3ObjectStore(s3_url, cache)
    reader.read_bytes(oids[0])
    for oid in oids[1:]:
        reader.read_bytes(oids[0])  # kept in use: the others are older
        reader.read_bytes(oid)
        time.sleep(0.01)  # distinct access times
    assert cache.size_bytes() <= 3500
    assert cache.has(oids[0]) and cache.has(oids[-1])
    assert not cache.has(oids[1])


def test_verify_and_gc_work_through_the_interface(s3_store: Store, s3_env: S3Server,
                                                  s3_bucket: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    kept, size, _ = s3_store.objects.put_bytes(b"referenced")
    s3_store.add_version("data", oid=kept, kind="dataset", media_type="text/plain",
                         codec="bytes", size=size)
    orphan, _, _ = s3_store.objects.put_bytes(b"orphan")
    report = s3_store.verify()
    assert report.ok and report.checked_objects == 2 and report.unreferenced == [orphan]
    assert s3_store.gc().removed_objects == []  # younger than the grace period
    monkeypatch.setattr(maintenance_module, "GRACE_SECONDS", -5.0)
    assert s3_store.gc().removed_objects == [orphan]
    assert sorted(keys(s3_env, s3_bucket)) == ["team/gc-owner",
                                               f"team/objects/{kept[:2]}/{kept[2:]}"]


def test_gc_spares_an_object_touched_after_it_was_listed(objects: S3ObjectStore) -> None:
    oid, _, _ = objects.put_bytes(b"in use elsewhere")
    listed_at = time.time() - 3600  # gc's cut-off; the object is newer (another writer used it)
    assert objects.delete_if_idle(oid, listed_at) is None
    assert objects.exists(oid)
    assert objects.delete_if_idle(oid, time.time() + 5) == len(b"in use elsewhere")
    assert not objects.exists(oid)


def test_store_json_or_the_environment_puts_objects_on_s3(
        s3_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "team"
    root.mkdir()
    (root / "store.json").write_text(json.dumps({"objects": s3_url}))
    store = Store.open(root)
    assert store.objects.url == s3_url.rstrip("/")
    store.close()
    monkeypatch.setenv("JUPYTER_ARTIFACTS_OBJECTS", s3_url)
    other = Store.open(tmp_path / "other")
    assert isinstance(other.objects, S3ObjectStore)
    other.close()


@pytest.mark.parametrize("url", ["s3://AKIA:hunter2@bucket/p", "s3://bucket/p?X-Amz-Signature=1"])
def test_a_location_with_a_secret_in_it_is_refused(url: str, tmp_path: Path) -> None:
    root = tmp_path / "team"
    root.mkdir()
    (root / "store.json").write_text(json.dumps({"objects": url}))
    with pytest.raises(StoreError, match="standard credentials") as info:
        Store.open(root)
    assert "hunter2" not in str(info.value) and "Signature=1" not in str(info.value)


def test_wrong_credentials_give_one_clear_line_and_touch_nothing_local(
        s3_url: str, s3_bucket: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    target = tmp_path / "new-store"
    with pytest.raises(StoreError) as info:
        Store.open(target, objects=s3_url)
    message = str(info.value)
    assert "\n" not in message and "SignatureDoesNotMatch" in message
    assert s3_bucket in message and "127.0.0.1" in message and "not-the-secret" not in message
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert not target.exists()


def test_an_unreachable_endpoint_gives_one_clear_line(s3_url: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(StoreError, match="cannot reach the server") as info:
        Store.open(tmp_path / "s", objects=s3_url)
    assert f"127.0.0.1:{port}" in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "s").exists()


def test_re_using_an_old_object_refreshes_its_age_so_gc_spares_it(
        objects: S3ObjectStore, monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_artifacts.store import s3objects

    oid, _, _ = objects.put_bytes(b"re-used by another save")
    before = objects.mtime(oid)
    time.sleep(1.1)  # S3 keeps LastModified to the second
    monkeypatch.setattr(s3objects, "TOUCH_AFTER", 0.0)  # as if it were older than that
    assert objects.put_bytes(b"re-used by another save")[2] is False
    assert objects.mtime(oid) > before
    assert objects.delete_if_idle(oid, before + 0.5) is None


def test_only_one_catalog_may_collect_a_shared_object_area(s3_url: str, tmp_path: Path) -> None:
    team = Store.open(tmp_path / "team", objects=s3_url)
    laptop = Store.open(tmp_path / "laptop", objects=s3_url)  # its own catalog, same objects
    oid, size, _ = laptop.objects.put_bytes(b"only the laptop's catalog knows this")
    laptop.add_version("mine", oid=oid, kind="dataset", media_type="text/plain",
                       codec="bytes", size=size)
    team.gc()  # the first gc claims the area for its catalog
    with pytest.raises(StoreError, match="collected by another catalog"):
        laptop.gc(dry_run=True)
    with pytest.raises(StoreError, match="collected by another catalog"):
        laptop.gc()
    assert team.gc().removed_objects == []  # and the owner's gc still runs
    team.close()
    laptop.close()


def test_a_team_store_with_a_postgresql_catalog_and_s3_objects(
        pg_url: str, s3_url: str, tmp_path: Path) -> None:
    root = tmp_path / "team"
    root.mkdir()
    (root / "store.json").write_text(json.dumps({"catalog": pg_url, "objects": s3_url}))
    store = Store.open(root)
    assert isinstance(store.objects, S3ObjectStore)
    oid, size, _ = store.objects.put_bytes(b"on the team store")
    store.add_version("shared", oid=oid, kind="dataset", media_type="text/plain",
                      codec="bytes", size=size)
    store.close()
    reader = Store.open(root, readonly=True)
    assert reader.objects.read_bytes(reader.resolve("shared").oid) == b"on the team store"
    assert reader.verify().ok and not (root / "objects").exists()
    reader.close()


def test_verify_on_s3_checks_sizes_without_downloading_unless_deep(
        s3_store: Store, s3_env: S3Server, s3_bucket: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    good, size, _ = s3_store.objects.put_bytes(b"good bytes")
    s3_store.add_version("data", oid=good, kind="dataset", media_type="text/plain",
                         codec="bytes", size=size)
    cut, size, _ = s3_store.objects.put_bytes(b"to be truncated")
    s3_store.add_version("cut", oid=cut, kind="dataset", media_type="text/plain",
                         codec="bytes", size=size)
    client = s3_env.client()
    client.put_object(Bucket=s3_bucket, Key=f"team/objects/{good[:2]}/{good[2:]}",
                      Body=b"evil bytes")  # same size: only a re-hash sees it
    client.put_object(Bucket=s3_bucket, Key=f"team/objects/{cut[:2]}/{cut[2:]}", Body=b"to be")
    downloads: list[str] = []
    real = S3ObjectStore._download

    def counting(self: S3ObjectStore, oid: str, sink: Any) -> Any:
        downloads.append(oid)
        return real(self, oid, sink)

    monkeypatch.setattr(S3ObjectStore, "_download", counting)
    quick = s3_store.verify()
    assert not quick.deep and downloads == [] and quick.checked_objects == 2
    assert quick.problems == [f"object {cut[:12]} has 5 bytes, the catalog says 15: it is "
                              "damaged (verify --deep)"]
    deep = s3_store.verify(deep=True)
    assert deep.deep and sorted(downloads) == sorted([good, cut])
    assert len(deep.problems) == 2 and all("corrupt" in p for p in deep.problems)
