"""A write inside a write is a savepoint: its failure undoes it alone, on both catalogs."""

from __future__ import annotations

import pytest

from jupyter_artifacts.store import Store

pytestmark = pytest.mark.both_catalogs


def _tags(store: Store, run_id: str) -> list[str]:
    return sorted(row[0] for row in store.catalog.query(
        "SELECT tag FROM run_tags WHERE run_id = ?", (run_id,)))


def test_a_failed_inner_write_is_undone_and_the_outer_one_kept(store: Store) -> None:
    run_id = store.create_run("nested").id
    with store.catalog.write() as conn:
        conn.execute("INSERT INTO run_tags VALUES (?, ?)", (run_id, "outer"))
        with pytest.raises(RuntimeError), store.catalog.write() as inner:
            inner.execute("INSERT INTO run_tags VALUES (?, ?)", (run_id, "inner"))
            raise RuntimeError("the inner block fails")
        with store.catalog.write() as inner:  # the next nested write still works
            inner.execute("INSERT INTO run_tags VALUES (?, ?)", (run_id, "second"))
    assert _tags(store, run_id) == ["outer", "second"]


def test_a_failed_outer_write_undoes_its_inner_writes_too(store: Store) -> None:
    run_id = store.create_run("nested").id
    with pytest.raises(RuntimeError), store.catalog.write() as conn:
        with store.catalog.write() as inner:
            inner.execute("INSERT INTO run_tags VALUES (?, ?)", (run_id, "inner"))
        conn.execute("INSERT INTO run_tags VALUES (?, ?)", (run_id, "outer"))
        raise RuntimeError("the outer block fails")
    assert _tags(store, run_id) == []
    assert store.catalog._depth == 0
