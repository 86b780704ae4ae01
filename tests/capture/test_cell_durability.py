"""A tracked cell's objects are synced to disk right after the cell, not on its path."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell

from jupyter_artifacts.store import Store

from .conftest import run


def test_the_cells_objects_are_synced_off_the_main_thread(shell: InteractiveShell, store_dir: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    run(shell, "%%track warm\nprint('warm')")  # the store exists: creating it syncs on its own
    synced: list[tuple[str, str]] = []
    real = os.fsync

    def recording(fd: int) -> None:
        synced.append((threading.current_thread().name, os.readlink(f"/proc/self/fd/{fd}")))
        real(fd)

    monkeypatch.setattr(os, "fsync", recording)
    run(shell, "%%track report\nimport matplotlib.pyplot as plt\n"
               "plt.plot([1, 3, 2]); plt.title('loss')\nprint('trained and plotted')")
    store = Store.open(store_dir, create=False)
    outputs = [v for kind, v in store.run_events("report") if kind == "output"]
    assert {"report/stdout", "loss"} <= {v.name for v in outputs}
    objects_dir = str(store_dir / "objects")
    object_syncs = [(name, path) for name, path in synced if path.startswith(objects_dir)]
    for version in outputs:
        path = str(store.objects.path(version.oid))  # type: ignore[attr-defined]
        assert path in {p for _, p in object_syncs}, f"{version.name} was never synced"
    assert object_syncs and all(name != "MainThread" for name, _ in object_syncs)
    store.close()
