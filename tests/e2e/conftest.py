"""A real JupyterLab process over a pre-populated store, and a real Chromium."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jupyter_artifacts.codecs import save_object
from jupyter_artifacts.store import ENV_VAR, Store

#: Set to a Chromium/Chrome binary to use it instead of Playwright's own browser.
CHROMIUM_ENV = "PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
ARTIFACTS_DIR = Path(__file__).parents[2] / "test-artifacts"
MANY_RUNS = 3000


@dataclass
class Lab:
    """A running JupyterLab: its URL (with token) and the root dir it serves."""

    url: str
    token: str
    root: Path

    def lab_url(self) -> str:
        return f"{self.url}lab?token={self.token}"


def _rich_objects() -> tuple[Any, Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd
    from IPython.display import HTML

    figure, axes = plt.subplots(figsize=(3, 2))
    axes.imshow([[5, 1], [2, 7]])
    features = pd.DataFrame({"petal_length": [1.4, 4.7], "species": ["setosa", "versicolor"]})
    # The script proves reports may run scripts (inside the sandbox).
    report = HTML('<div id="out">static</div>'
                  "<script>document.getElementById('out').textContent = 'scripted'</script>")
    return figure, features, report


def populate(root: Path) -> None:
    """Many quick runs in two notebooks, then two rich runs (the newest) with a figure."""
    store = Store.open(root / ".artifacts", create=True)
    try:
        start = 1_700_000_000.0
        for i in range(MANY_RUNS):
            run = store.create_run(f"sweep-{i % 7}", notebook_path=f"nb/sweep-{i // 1000}.ipynb",
                                   params={"seed": i}, started_at=start + i)
            store.log_metrics([(run.id, "acc", None, (i % 100) / 100, start + i)])
            store.finish_run(run.id, "ok", ended_at=start + i + 0.5)
        figure, features, report = _rich_objects()
        for n, lr in enumerate((0.1, 0.01)):
            t = start + MANY_RUNS + 10 * n
            run = store.create_run("train", notebook_path="train.ipynb", tags=["e2e"],
                                   params={"lr": lr, "n_trees": 100}, code="model.fit(X, y)",
                                   started_at=t)
            store.log_metrics([(run.id, "loss", s, (1 + n) / (s + 1), t + s) for s in range(50)])
            store.log_metrics([(run.id, "acc", None, 0.9 + n / 50, t + 5)])
            if n == 1:
                # Real codecs: a matplotlib figure, a DataFrame input, an HTML report.
                save_object(store, figure, "confusion", run_id=run.id)
                save_object(store, report, "report", run_id=run.id)
                save_object(store, features, "features")
                store.record_event(run.id, "features:v1", "input")
            store.finish_run(run.id, "ok", ended_at=t + 5)
        # New data after the newest run: its figure and report are now stale.
        save_object(store, features.assign(petal_length=[1.5, 4.8]), "features")
    finally:
        store.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, token: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}api/status?token={token}", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"jupyter lab did not answer within {timeout} s")


def _checkout_labextension(base: Path) -> str | None:
    """A Jupyter path serving the sidebar built from this checkout (``npm run build:prod``),
    if there is one: JupyterLab takes the first extension of a name it finds, so the code
    under test is what the browser runs, not whatever the environment installed."""
    import jupyter_artifacts

    built = Path(jupyter_artifacts.__file__).parent / "labextension"
    if not (built / "package.json").is_file():
        return None
    shim = base / "jupyter-path"
    (shim / "labextensions").mkdir(parents=True)
    (shim / "labextensions" / "jupyter-artifacts").symlink_to(built, target_is_directory=True)
    return str(shim)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """``jupyter lab`` on a free port with a token, a temp root and temp user settings."""
    with running_lab(tmp_path_factory.mktemp("lab"), populate) as running:
        yield running


@contextlib.contextmanager
def running_lab(base: Path, fill: Callable[[Path], None]) -> Iterator[Lab]:
    """``jupyter lab`` serving ``base/root`` once ``fill(root)`` made its store."""
    root = base / "root"
    root.mkdir()
    fill(root)
    settings = base / "settings"
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    env["JUPYTER_CONFIG_DIR"] = str(base / "config")
    env["JUPYTER_RUNTIME_DIR"] = str(base / "runtime")
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [_checkout_labextension(base),
                                                        env.get("JUPYTER_PATH")]))
    log = (base / "lab.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={base / 'ws'}"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(url, token, proc, timeout=90)
        yield Lab(url=url, token=token, root=root)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def find_chromium(bundled: str | None) -> tuple[str | None, str]:
    """The browser to launch, the way Playwright users expect: Playwright's own (after
    ``playwright install chromium``), else ``$PLAYWRIGHT_CHROMIUM_EXECUTABLE_PATH``, else a
    Chromium or Chrome on PATH. Returns ``(path or None for Playwright's, reason if none)``."""
    if bundled and Path(bundled).is_file():
        return None, ""
    if configured := os.environ.get(CHROMIUM_ENV):
        if Path(configured).is_file():
            return configured, ""
        return None, f"{CHROMIUM_ENV}={configured} is not a file"
    for name in CHROMIUM_NAMES:
        if found := shutil.which(name):
            return found, ""
    return None, ("no Chromium for the browser tests: run `playwright install chromium`, set "
                  f"{CHROMIUM_ENV}, or put one of {', '.join(CHROMIUM_NAMES)} on PATH "
                  "(Debian: apt-get install chromium)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the browser tests need the playwright package (the [test] extra)")
    with sync_api.sync_playwright() as playwright:
        try:
            bundled = playwright.chromium.executable_path
        except Exception:  # some versions raise when the browser was never installed
            bundled = None
        executable, missing = find_chromium(bundled)
        if missing:
            pytest.skip(missing)
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert not [e for e in errors if "jupyter-artifacts" in e or "Artifacts" in e], errors


def screenshot(page: Any, name: str) -> Path:
    """Save a screenshot under ``test-artifacts/`` for a person to look at."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    path = ARTIFACTS_DIR / f"{name}.png"
    page.screenshot(path=str(path))
    return path


# pytest-jupyter's autouse fixtures would close the event loop Playwright's sync API runs;
# these tests start Lab in its own process, so there is no in-process server to clean up.
@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> None:
    """No loop of pytest-jupyter's here."""


@pytest.fixture(autouse=True)
def jp_server_cleanup() -> None:
    """No in-process server to clean up."""


KERNEL_IDLE = "Python 3 (ipykernel) | Idle"


def set_theme(lab: Lab, theme: str) -> None:
    """Choose the JupyterLab theme through the settings REST API (as the Settings menu does)."""
    request = urllib.request.Request(
        f"{lab.url}lab/api/settings/@jupyterlab/apputils-extension:themes", method="PUT",
        data=json.dumps({"raw": json.dumps({"theme": theme})}).encode(),
        headers={"Authorization": f"token {lab.token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert reply.status in (200, 204)


@pytest.fixture
def dark_theme(lab: Lab) -> Iterator[None]:
    """The dark theme for one test, back to the light one afterwards."""
    set_theme(lab, "JupyterLab Dark")
    try:
        yield
    finally:
        set_theme(lab, "JupyterLab Light")
