"""A run whose process is killed turns from running to crashed in the sidebar, live."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from playwright.sync_api import expect

from jupyter_artifacts.store import ENV_VAR, Store

from .conftest import Lab, screenshot
from .test_lab import ROW, open_sidebar

VICTIM = """
import time
import jupyter_artifacts as ja
with ja.run("doomed"):
    print("started", flush=True)
    time.sleep(600)
"""


def test_a_killed_run_shows_crashed_without_a_reload(page: Any, lab: Lab) -> None:
    open_sidebar(page, lab)
    env = {**os.environ, ENV_VAR: str(lab.root / ".artifacts")}
    proc = subprocess.Popen([sys.executable, "-c", VICTIM], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
        store = Store.open(lab.root / ".artifacts", create=False)
        try:
            ref = store.get_run("doomed").ref
        finally:
            store.close()
        row = page.locator(f'{ROW}[data-ref="{ref}"]')
        expect(row.locator(".jp-Artifacts-Status-running")).to_be_visible(timeout=15_000)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.wait()
    # The change token counts dead runs, so the sidebar's poll refreshes by itself.
    expect(row.locator(".jp-Artifacts-Status-dead")).to_be_visible(timeout=15_000)
    assert "crashed" in row.inner_text()
    assert "Crashed" in (row.locator(".jp-Artifacts-Status-dead").get_attribute("title") or "")
    row.click()
    expect(page.locator(".jp-Artifacts-DetailsMeta")).to_contain_text("process that ran it")
    screenshot(page, "sidebar-dead-run")
