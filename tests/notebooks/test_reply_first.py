"""A tracked cell's background work starts after the kernel has replied to the cell.

The reply is sent right after ``post_run_cell``: work started there took the GIL from it, and
the cell (as nbclient, papermill and a frontend time it) lasted 10-15 ms longer on a heavy
figure.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import nbformat
import pytest

from jupyter_artifacts.codecs import background

from .runner import execute

pytestmark = pytest.mark.timeout(300)


def _stamp(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_held_jobs_start_after_the_cells_reply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_ARTIFACTS_DIR", str(tmp_path / ".artifacts"))
    cells = [
        "%load_ext jupyter_artifacts\n"
        "import time\nfrom jupyter_artifacts.codecs import background\nstarted = []",
        *["%%track --quiet\nbackground.submit(lambda: started.append(time.time()))\nx = 1"] * 3,
        "background.wait_pending()\nimport json\nprint(json.dumps(started))",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    execute(nb, tmp_path, record_timing=True)
    started = json.loads(nb.cells[-1].outputs[0]["text"])
    replies = [_stamp(c.metadata["execution"]["shell.execute_reply"]) for c in nb.cells[1:4]]
    assert len(started) == 3
    for began, replied in zip(started, replies, strict=True):
        assert began >= replied


def test_without_an_event_loop_jobs_are_released_at_once() -> None:
    background.hold()
    background.release_soon()
    assert background._idle.is_set()
