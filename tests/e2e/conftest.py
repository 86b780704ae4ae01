"""A real JupyterLab server and headless Debian Chromium through Python playwright.

The ``lab`` branch builds a similar fixture; the lead reconciles the two.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("JA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
KERNEL_IDLE = "Python 3 (ipykernel) | Idle"


@dataclass
class Lab:
    """A running JupyterLab: where it serves, with which token, from which folder."""

    url: str
    token: str
    root: Path

    def tree_url(self, path: str) -> str:
        return f"{self.url}/lab/tree/{path}?token={self.token}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_settings(settings: Path, theme: str | None) -> None:
    # Without this a news toast covers part of the page in every screenshot.
    files: dict[str, dict[str, Any]] = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
    }
    if theme:
        files["@jupyterlab/apputils-extension/themes.jupyterlab-settings"] = {"theme": theme}
    for name, value in files.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))


def start_lab(tmp: Path, theme: str | None = None) -> tuple[subprocess.Popen[bytes], Lab]:
    """Start ``jupyter lab`` on a free port with a token; wait until it answers."""
    root, settings = tmp / "root", tmp / "settings"
    root.mkdir(parents=True, exist_ok=True)
    _write_settings(settings, theme)
    port, token = _free_port(), secrets.token_hex(16)
    log = (tmp / "lab.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--allow-root", "--no-browser", f"--port={port}",
         "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={tmp / 'workspaces'}"],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "JUPYTER_ARTIFACTS_DIR": ""},
    )
    lab = Lab(f"http://127.0.0.1:{port}", token, root)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited: {(tmp / 'lab.log').read_text()[-2000:]}")
        try:
            urllib.request.urlopen(f"{lab.url}/api/status?token={token}", timeout=2)
            return proc, lab
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError("jupyter lab did not start within 90 s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A JupyterLab server for the module (light theme)."""
    proc, server = start_lab(tmp_path_factory.mktemp("lab"))
    yield server
    stop(proc)


@pytest.fixture(scope="module")
def lab_dark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A JupyterLab server whose user settings select the dark theme."""
    proc, server = start_lab(tmp_path_factory.mktemp("lab-dark"), theme="JupyterLab Dark")
    yield server
    stop(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium (playwright cannot download its own browsers here)."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def artifacts_dir() -> Path:
    """Screenshots land here (git-ignored); CI can upload the folder."""
    path = Path(__file__).resolve().parents[2] / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
