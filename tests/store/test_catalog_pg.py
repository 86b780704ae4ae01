"""The PostgreSQL catalog against a real server: schema history, opening, errors, concurrency."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
from pathlib import Path

import pytest

import jupyter_artifacts as ja
from jupyter_artifacts.errors import ArtifactsError, StoreError, StoreNotFoundError
from jupyter_artifacts.store import ENV_VAR, Store
from jupyter_artifacts.store.catalog_pg import PostgresCatalog
from jupyter_artifacts.store.config import CATALOG_ENV
from jupyter_artifacts.store.migrations import MIGRATIONS
from tests.services.postgres import PASSWORD, PostgresServer, free_port

WRITERS = 8
RUNS_EACH = 200


def _tables(postgres: PostgresServer, db: str) -> str:
    return postgres.psql("SELECT string_agg(tablename, ',') FROM pg_tables "
                         "WHERE schemaname = 'public'", db)


def test_migrations_build_the_same_history_from_an_empty_database(postgres: PostgresServer) -> None:
    db = postgres.new_database()
    url = postgres.url(db)
    PostgresCatalog(url).close()
    rows = postgres.psql("SELECT version || ':' || name FROM migrations ORDER BY version", db)
    assert rows.splitlines() == [f"{m.version}:{m.name}" for m in MIGRATIONS]
    applied = postgres.psql("SELECT string_agg(applied_at::text, ',') FROM migrations", db)
    catalog = PostgresCatalog(url)  # re-opening applies nothing again
    assert catalog.scalar("SELECT COUNT(*) FROM migrations") == len(MIGRATIONS)
    catalog.close()
    assert postgres.psql("SELECT string_agg(applied_at::text, ',') FROM migrations", db) == applied


def test_a_read_only_open_creates_no_schema(postgres: PostgresServer, tmp_path: Path) -> None:
    db = postgres.new_database()
    with pytest.raises(StoreNotFoundError, match="read-only open creates none"):
        Store.open(tmp_path / ".artifacts", catalog=postgres.url(db), readonly=True)
    assert _tables(postgres, db) == "None"
    assert not (tmp_path / ".artifacts").exists()


def test_wrong_password_is_one_clear_line_and_touches_nothing(
        postgres: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = postgres.new_database()
    monkeypatch.setenv("PGPASSWORD", "not-the-password")
    with pytest.raises(ArtifactsError) as info:
        Store.open(tmp_path / ".artifacts", catalog=postgres.tcp_url(db))
    message = str(info.value)
    assert "\n" not in message and "127.0.0.1" in message and db in message
    assert "password authentication failed" in message
    assert "not-the-password" not in message and PASSWORD not in message
    assert not (tmp_path / ".artifacts").exists()
    monkeypatch.setenv("PGPASSWORD", PASSWORD)  # the right one, from the environment
    Store.open(tmp_path / ".artifacts", catalog=postgres.tcp_url(db)).close()


def test_an_unreachable_server_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as info:
        Store.open(tmp_path / ".artifacts", catalog=f"postgresql://127.0.0.1:{free_port()}/team")
    message = str(info.value)
    assert message.startswith("cannot open the catalog postgresql://127.0.0.1:")
    assert "/team: " in message and "\n" not in message and "refused" in message
    assert not (tmp_path / ".artifacts").exists()


def test_a_password_in_the_url_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for url in ("postgresql://me:s3cret@db.example.com/team",
                "postgresql://db.example.com/team?password=s3cret"):
        with pytest.raises(StoreError, match="contains a password") as info:
            Store.open(tmp_path / ".artifacts", catalog=url)
        assert "s3cret" not in str(info.value)
    folder = tmp_path / "team"
    folder.mkdir()
    (folder / "store.json").write_text(json.dumps({"catalog": "postgresql://u:s3cret@h/db"}))
    with pytest.raises(StoreError, match=r"store\.json: the catalog URL contains a password"):
        Store.open(folder, create=False)
    monkeypatch.setenv(CATALOG_ENV, "postgresql://u:s3cret@h/db")
    with pytest.raises(StoreError, match=f"{CATALOG_ENV}: the catalog URL contains a password"):
        Store.open(tmp_path / "other")


def test_discovery_finds_a_team_catalog_through_store_json(
        pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "project" / ".artifacts"
    store = Store.open(folder, catalog=pg_url)  # names the catalog in the folder
    run = store.create_run("train", params={"lr": 0.1})
    store.close()
    assert json.loads((folder / "store.json").read_text()) == {"catalog": pg_url}
    assert not (folder / "catalog.sqlite").exists()
    found = Store.open(create=False, start=tmp_path / "project" / "sub", readonly=True)
    assert found.catalog.dialect == "postgresql"
    assert found.get_run(run.id).params == {"lr": 0.1}
    found.close()
    monkeypatch.setenv(ENV_VAR, str(folder))
    with ja.run("from-env") as active:
        ja.log_metric("acc", 0.5)
    assert Store.open(create=False).get_run(active.id).metrics == {"acc": 0.5}


def test_the_environment_names_the_catalog(pg_url: str, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CATALOG_ENV, pg_url)
    store = Store.open(tmp_path / ".artifacts")
    assert store.catalog.dialect == "postgresql"
    oid, size, _ = store.objects.put_bytes(b"data")
    store.add_version("data", oid=oid, kind="text", media_type="text/plain", codec="text",
                      size=size)
    assert (tmp_path / ".artifacts" / "objects" / oid[:2]).is_dir()  # objects stay local
    assert not (tmp_path / ".artifacts" / "catalog.sqlite").exists()
    store.close()


def test_cached_counts_see_other_connections_commits(pg_url: str, tmp_path: Path) -> None:
    reader = Store.open(tmp_path / "a", catalog=pg_url)
    writer = Store.open(tmp_path / "b", catalog=pg_url)
    writer.create_run("one", params={"p": 1})
    assert reader.search_runs("params.p = 1").total == 1
    writer.create_run("two", params={"p": 1})  # another connection (as another machine)
    assert reader.search_runs("params.p = 1").total == 2
    reader.close()
    writer.close()


def _writer(url: str, root: str, index: int, barrier: mp.synchronize.Barrier) -> None:
    store = Store.open(root, catalog=url)
    barrier.wait()
    for i in range(RUNS_EACH):
        run = store.create_run(f"w{index}", params={"writer": index, "i": i})
        store.log_metrics([(run.id, "acc", 0, i / RUNS_EACH, 0.0)])
        store.finish_run(run.id)
        if i % 10 == 0:
            oid, size, _ = store.objects.put_bytes(f"{index}-{i}".encode())
            store.add_version("shared", oid=oid, kind="text", media_type="text/plain",
                              codec="text", size=size, run_id=run.id)
    store.close()


def test_eight_writer_processes_lose_nothing(pg_url: str, tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(WRITERS)
    # Each process stands for a machine: its own folder for objects, one shared catalog.
    procs = [ctx.Process(target=_writer, args=(pg_url, str(tmp_path / f"m{i}"), i, barrier))
             for i in range(WRITERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=280)
    assert [p.exitcode for p in procs] == [0] * WRITERS  # a lock error would fail one
    store = Store.open(tmp_path / "m0", catalog=pg_url, readonly=True)
    page = store.query_runs(limit=None)
    assert page.total == WRITERS * RUNS_EACH == len(page.runs)
    assert len({r.number for r in page.runs}) == WRITERS * RUNS_EACH  # run-N unique
    assert {r.status for r in page.runs} == {"ok"}
    for index in range(WRITERS):
        mine = store.search_runs(f"params.writer = {index}", limit=None)
        assert sorted(r.params["i"] for r in mine.runs) == list(range(RUNS_EACH))
    versions = [v.version for v in store.versions("shared")]
    assert versions == list(range(1, WRITERS * RUNS_EACH // 10 + 1))  # name:vN unique
    store.close()


def test_the_read_only_session_refuses_writes(pg_url: str, tmp_path: Path) -> None:
    Store.open(tmp_path / "w", catalog=pg_url).close()
    store = Store.open(tmp_path / "w", create=False, readonly=True)
    with pytest.raises(StoreError, match="open read-only"):
        store.create_run("x")
    with pytest.raises(Exception, match="read-only transaction"):
        store.catalog.query("INSERT INTO meta (key, value) VALUES ('x', 'y')")
    store.close()
    assert os.path.exists(tmp_path / "w" / "store.json")


def test_a_repeated_search_reuses_its_count(pg_url: str, tmp_path: Path) -> None:
    from jupyter_artifacts.store import counts

    store = Store.open(tmp_path / "a", catalog=pg_url)
    store.create_run("one", params={"p": 1})
    counted: list[str] = []
    read, beside = store.catalog.read, store.catalog.beside

    def spy(sql: str, params: object = (), named: bool = False, **hints: bool) -> list[object]:
        if sql.startswith("SELECT COUNT(*)"):
            counted.append(sql)
        return read(sql, params, named, **hints)

    def spy_beside(sql: str, params: object = ()) -> object:
        counted.append(sql)
        return beside(sql, params)

    store.catalog.read = spy  # type: ignore[method-assign]
    store.catalog.beside = spy_beside  # type: ignore[method-assign]
    counts._COUNTS.clear()
    for _ in range(3):  # reads change nothing: the remembered total stays valid
        assert store.search_runs("params.p = 1").total == 1
    assert len(counted) == 1
    store.close()


def test_a_dropped_connection_is_reopened(pg_url: str, tmp_path: Path,
                                          postgres: PostgresServer) -> None:
    store = Store.open(tmp_path / "a", catalog=pg_url)
    run = store.create_run("before")
    db = pg_url.split("///", 1)[1].split("?", 1)[0]

    def drop() -> None:  # as a server restart or an idle timeout would
        postgres.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      f"WHERE datname = '{db}' AND application_name = 'jupyter-artifacts'")

    drop()
    assert store.get_run(run.id).name == "before"  # a read
    drop()
    assert store.create_run("after").name == "after"  # a write
    store.close()


def test_a_page_query_runs_without_parallel_workers(pg_url: str, tmp_path: Path) -> None:
    """A page stops after a few rows: starting workers costs more than it saves. The
    setting is the page's own; other reads keep the server's."""
    setting = "SELECT current_setting('max_parallel_workers_per_gather')"
    for readonly in (False, True):
        store = Store.open(tmp_path / "a", catalog=pg_url, readonly=readonly)
        default = store.catalog.read(setting)
        assert store.catalog.read(setting, page=True) == [("0",)] != default
        assert store.catalog.read(setting) == default
        with store.catalog.snapshot():  # a search's page and count read in one snapshot
            assert store.catalog.read(setting, page=True) == [("0",)]
            assert store.catalog.read(setting) == default
        store.close()


def test_a_search_reads_its_page_as_a_page(pg_url: str, tmp_path: Path) -> None:
    store = Store.open(tmp_path / "a", catalog=pg_url)
    run = store.create_run("one", params={"p": 1})
    store.log_metrics([(run.id, "acc", None, 0.5, 1.0)])
    hints: list[bool] = []
    read = store.catalog.read

    def spy(sql: str, params: object = (), named: bool = False, page: bool = False) -> list[object]:
        if sql.startswith("SELECT r.*"):
            hints.append(page)
        return read(sql, params, named, page=page)

    store.catalog.read = spy  # type: ignore[method-assign]
    for order in (["metrics.acc DESC"], ["start_time"]):
        assert [r.name for r in store.search_runs("params.p = 1", order_by=order).runs] == ["one"]
    assert [r.name for r in store.search_runs("params.p = 1", limit=None).runs] == ["one"]
    assert hints == [True, True, True, False]  # a metric order reads the runs without it too
    store.close()
