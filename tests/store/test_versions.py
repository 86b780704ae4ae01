"""Versions, the automatic ``latest`` alias, user aliases and every form of reference."""

from __future__ import annotations

import pytest

from jupyter_artifacts.errors import AmbiguousReferenceError, InvalidReferenceError, NotFoundError
from jupyter_artifacts.store import Store

pytestmark = pytest.mark.both_catalogs  # each test runs on SQLite and on PostgreSQL


def _save(store: Store, name: str, data: bytes):
    oid, size, _ = store.objects.put_bytes(data)
    return store.add_version(name, oid=oid, kind="text", media_type="text/plain", codec="text",
                             size=size)


def test_versions_count_up_and_latest_moves(store: Store) -> None:
    v1, created1 = _save(store, "model", b"one")
    v2, created2 = _save(store, "model", b"two")
    assert (v1.ref, v2.ref, created1, created2) == ("model:v1", "model:v2", True, True)
    assert store.resolve("model:latest").id == v2.id
    assert store.get_version(v1.id).aliases == []
    assert store.get_version(v2.id).aliases == ["latest"]


def test_identical_content_makes_no_new_version(store: Store) -> None:
    v1, _ = _save(store, "model", b"same")
    again, created = _save(store, "model", b"same")
    assert (again.id, created) == (v1.id, False)
    assert [v.ref for v in store.versions("model")] == ["model:v1"]


def test_content_equal_to_an_older_version_is_a_new_version(store: Store) -> None:
    _save(store, "model", b"a")
    _save(store, "model", b"b")
    v3, created = _save(store, "model", b"a")
    assert (v3.ref, created) == ("model:v3", True)
    assert len(list(store.objects.iter_oids())) == 2  # the bytes are still stored once


def test_every_reference_form(store: Store) -> None:
    v1, _ = _save(store, "model", b"1")
    _save(store, "model", b"2")
    v3, _ = _save(store, "model", b"3")
    store.set_alias("model:v1", "production")
    assert store.resolve("model").id == v3.id
    assert store.resolve("model:v3").id == v3.id
    assert store.resolve("model:latest").id == v3.id
    assert store.resolve("model:production").id == v1.id
    assert store.resolve(v1.id[:8]).id == v1.id


def test_user_alias_moves(store: Store) -> None:
    _save(store, "model", b"1")
    _save(store, "model", b"2")
    store.set_alias("model:v1", "best")
    store.set_alias("model:v2", "best")
    assert store.resolve("model:best").ref == "model:v2"
    with pytest.raises(InvalidReferenceError):
        store.set_alias("model:v1", "latest")


def test_ambiguous_prefix_lists_the_candidates(store: Store) -> None:
    by_prefix: dict[str, str] = {}
    for i in range(5000):  # ids are random: save until two share a 4-digit prefix
        version, _ = _save(store, f"a{i}", str(i).encode())
        if (other := by_prefix.setdefault(version.id[:4], version.id)) != version.id:
            break
    else:
        pytest.fail("no two version ids shared a prefix")
    with pytest.raises(AmbiguousReferenceError) as info:
        store.resolve(version.id[:4])
    assert set(info.value.candidates) == {version.id, other}
    assert other in str(info.value) and version.id in str(info.value)


@pytest.mark.parametrize("ref", ["model:v9", "model:staging", "nothing", "ffffffff"])
def test_unknown_references(store: Store, ref: str) -> None:
    _save(store, "model", b"1")
    with pytest.raises(NotFoundError):
        store.resolve(ref)


@pytest.mark.parametrize("name", ["", "a:b", "../up", "a/../b", " lead"])
def test_invalid_names_are_refused(store: Store, name: str) -> None:
    with pytest.raises(InvalidReferenceError):
        _save(store, name, b"x")


def test_sorting_by_a_key_pages_through_every_run(store: Store) -> None:
    """Runs with the metric or param come first in its order, then the others, across pages."""
    from jupyter_artifacts.store.runs import query_runs

    for i in range(7):
        run = store.create_run(f"r{i}", params={"lr": 10 - i} if i % 2 == 0 else None)
        if i % 3 != 0:
            store.log_metrics([(run.id, "acc", 0, float(i), 0.0)])
    for order_by, having in (("metrics.acc", [5, 4, 2, 1]), ("params.lr", [0, 2, 4, 6])):
        seen = []
        for offset in range(0, 7, 3):
            page = query_runs(store.catalog, order_by=order_by, limit=3, offset=offset)
            assert page.total == 7
            seen += [int(r.name[1:]) for r in page.runs]
        assert seen[:4] == having, order_by
        assert sorted(seen) == list(range(7)) and len(seen) == 7, order_by


def test_artifact_search_matches_names_literally(store: Store) -> None:
    for name in ("train_set", "trainXset"):
        oid, size, _ = store.objects.put_bytes(name.encode())
        store.add_version(name, oid=oid, kind="dataset", media_type="text/plain", codec="text", size=size)
    assert [a["name"] for a in store.list_artifacts(search="train_set")] == ["train_set"]
    assert {a["name"] for a in store.list_artifacts(search="train")} == {"train_set", "trainXset"}
