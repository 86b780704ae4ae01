"""Shared fixtures: a real store in a temporary folder, and no leakage between tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from jupyter_artifacts import tracking
from jupyter_artifacts.store import ENV_VAR, Store
from tests.services.postgres import PostgresServer, running_postgres

# pytest reads `pytest_plugins` only in the top conftest: tests/server uses jp_fetch & co.,
# tests/services the real servers (S3) that team-store tests run against.
pytest_plugins = ["pytest_jupyter.jupyter_server", "tests.services.s3"]


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's store, another test's default store or active run."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    tracking.set_default_store(None)
    yield
    tracking._stack.clear()
    tracking.set_default_store(None)


@pytest.fixture
def store_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The store folder that discovery finds (for kernels and subprocesses too)."""
    path = tmp_path / ".artifacts"
    monkeypatch.setenv(ENV_VAR, str(path))
    return path


CATALOGS = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_catalogs: run the test's `store` on a SQLite and "
                                       "on a PostgreSQL catalog")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_catalogs"):
        metafunc.parametrize("store", CATALOGS, indirect=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the session (skips when PostgreSQL is not installed)."""
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="session")
def pg_template(postgres: PostgresServer) -> str:
    """A database holding the migrated catalog schema, copied for each test (cheap)."""
    from jupyter_artifacts.store.catalog_pg import PostgresCatalog

    name = postgres.new_database("ja_template")
    PostgresCatalog(postgres.url(name)).close()
    return name


@pytest.fixture
def pg_url(postgres: PostgresServer, pg_template: str) -> str:
    """The URL of a new PostgreSQL database holding an empty catalog."""
    return postgres.url(postgres.new_database(template=pg_template))


@pytest.fixture
def store(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Store]:
    """A fresh store, also the default store of the API; on a PostgreSQL catalog when the
    test is marked ``both_catalogs`` (then it runs once per catalog)."""
    kind = getattr(request, "param", "sqlite")
    catalog = request.getfixturevalue("pg_url") if kind == "postgresql" else None
    s = Store.open(tmp_path / ".artifacts", catalog=catalog)
    tracking.set_default_store(s)
    yield s
    s.close()
