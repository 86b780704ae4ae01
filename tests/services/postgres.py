"""A real PostgreSQL server for the tests: Debian's binaries, a temp cluster, a free port.

PostgreSQL refuses to run as root, so as root the cluster belongs to a dedicated system user
(``ja-postgres``, created if missing) and every server command runs through ``runuser``.
The unix socket lives in the cluster's folder; local connections are trusted, TCP ones need a
password (so wrong credentials can be tested). Each test gets its own database, copied from a
template cheaply with ``CREATE DATABASE ... TEMPLATE``.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

USER = "ja-postgres"
PASSWORD_ROLE = "ja_pw"  # a role that logs in over TCP with a password
PASSWORD = "ja-test-secret"


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """A running server: its socket folder and port, and how to make databases."""

    bin: Path
    data: Path
    socket_dir: Path
    port: int
    _counter: itertools.count[int]

    def url(self, dbname: str) -> str:
        """A libpq URL over the unix socket (trusted: no password anywhere)."""
        return f"postgresql:///{dbname}?host={self.socket_dir}&port={self.port}&user=postgres"

    def tcp_url(self, dbname: str, port: int | None = None) -> str:
        """A URL over TCP as the password role (the password comes from PGPASSWORD)."""
        return f"postgresql://{PASSWORD_ROLE}@127.0.0.1:{port or self.port}/{dbname}"

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        import psycopg

        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            cur = conn.execute(sql)
            return "" if cur.description is None else "\n".join(str(r[0]) for r in cur.fetchall())

    def new_database(self, prefix: str = "t", template: str = "template0") -> str:
        """A fresh empty database (a cheap copy of ``template``)."""
        name = f"{prefix}_{os.getpid()}_{next(self._counter)}"
        self.psql(f'CREATE DATABASE "{name}" TEMPLATE {template}')
        return name


def _as_owner(args: list[str]) -> list[str]:
    return ["runuser", "-u", USER, "--", *args] if os.geteuid() == 0 else args


def _ensure_user() -> None:
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", USER], check=True)


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a throwaway cluster; stop and delete it on exit. Skips without binaries."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (/usr/lib/postgresql/*/bin/postgres; "
                    "apt-get install postgresql)")
    if os.geteuid() == 0:
        _ensure_user()
    root = Path(tempfile.mkdtemp(prefix="ja-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, USER)
        shutil.chown(sock, USER)
    root.chmod(0o755)
    subprocess.run(_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
                              "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                              "--locale=C.UTF-8"]), check=True, capture_output=True)
    port = free_port()
    log = root / "server.log"
    if os.geteuid() == 0:
        log.touch()
        shutil.chown(log, USER)
    # fsync off: a test cluster is thrown away; durability is PostgreSQL's own business.
    proc = subprocess.Popen(_as_owner([
        str(bin_dir / "postgres"), "-D", str(data), "-p", str(port), "-k", str(sock),
        "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
        "-c", "full_page_writes=off", "-c", "max_connections=200"]),
        stdout=open(log, "ab"), stderr=subprocess.STDOUT)  # noqa: SIM115
    server = PostgresServer(bin_dir, data, sock, port, itertools.count())
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                server.psql("SELECT 1")
                break
            except Exception:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("PostgreSQL did not start:\n" + log.read_text()) from None
                time.sleep(0.1)
        server.psql(f"CREATE ROLE {PASSWORD_ROLE} LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
        yield server
    finally:
        # A "fast" shutdown (open sessions are ended), sent to the postmaster itself:
        # runuser does not pass SIGINT on.
        with contextlib.suppress(OSError, ValueError, IndexError):
            os.kill(int((data / "postmaster.pid").read_text().split()[0]), signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)
