"""Objects written inside ``deferred_sync`` are whole at once and durable after ``sync_deferred``."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_artifacts.store import Store, durability
from jupyter_artifacts.store import objects as objects_module
from tests.recording import record_fsyncs


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every fsync made, as (thread name, path of what was synced)."""
    return record_fsyncs(monkeypatch)


def test_writes_outside_the_block_are_synced_at_once(store: Store, synced: list[tuple[str, str]]) -> None:
    oid, _, _ = store.objects.put_bytes(b"now")
    path = str(store.objects.path(oid))  # type: ignore[attr-defined]
    assert [p for _, p in synced][-1] == os.path.dirname(path)  # the file, then its folder
    assert len(synced) == 2


def test_writes_inside_the_block_are_synced_by_sync_deferred(store: Store,
                                                             synced: list[tuple[str, str]]) -> None:
    with store.objects.deferred_sync():
        oids = [store.objects.put_bytes(b"later %d" % i)[0] for i in range(3)]
        assert synced == []
    for oid in oids:  # whole and readable before any sync: only power loss needs them
        assert store.objects.read_bytes(oid).startswith(b"later")
    store.objects.sync_deferred()
    paths = {str(store.objects.path(oid)) for oid in oids}  # type: ignore[attr-defined]
    folders = {os.path.dirname(p) for p in paths}
    assert {p for _, p in synced} == paths | folders
    assert len(synced) == len(paths) + len(folders)  # each folder once
    store.objects.sync_deferred()
    assert len(synced) == len(paths) + len(folders)  # nothing twice


def test_only_the_deferring_thread_defers(store: Store, synced: list[tuple[str, str]]) -> None:
    def other() -> None:
        store.objects.put_bytes(b"another thread")

    with store.objects.deferred_sync():
        thread = threading.Thread(target=other, name="other")
        thread.start()
        thread.join()
    assert {name for name, _ in synced} == {"other"} and len(synced) == 2


def test_an_object_removed_before_the_sync_is_no_error(store: Store) -> None:
    with store.objects.deferred_sync():
        oid, _, _ = store.objects.put_bytes(b"gone")
    store.objects.delete(oid)
    store.objects.sync_deferred()
    assert not store.objects.exists(oid)


@given(st.lists(st.tuples(st.booleans(), st.binary(max_size=64)), max_size=12))
@settings(max_examples=40, deadline=None)
def test_any_mix_of_deferred_and_direct_writes_ends_synced(tmp_path_factory: pytest.TempPathFactory,
                                                          writes: list[tuple[bool, bytes]]) -> None:
    objects = objects_module.LocalObjectStore(tmp_path_factory.mktemp("objects"))
    pending: set[Path] = set()
    for deferred, data in writes:
        if deferred:
            with objects.deferred_sync():
                oid, _, written = objects.put_bytes(data)
            if written:
                pending.add(objects.path(oid))
        else:
            oid, _, _ = objects.put_bytes(data)
        assert objects.read_bytes(oid) == data
    assert set(objects.syncs._files) == pending
    objects.sync_deferred()
    assert objects.syncs._files == []
    assert durability.DeferredSync().active is False
