"""A headless run (nbclient) stops the kernel right after its last cell: nothing queued is lost."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest

from jupyter_artifacts.store import Store

from .runner import execute

pytestmark = pytest.mark.timeout(300)


def test_the_last_cells_svgs_and_models_are_all_stored(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_ARTIFACTS_DIR", str(tmp_path / ".artifacts"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    cells = [
        "%load_ext jupyter_artifacts",
        "import numpy as np\nimport matplotlib.pyplot as plt\n"
        "from sklearn.ensemble import RandomForestClassifier\n"
        "rng = np.random.default_rng(0)\nX = rng.random((300, 4)); y = (X[:, 0] > .5).astype(int)",
        # A first model: stored on the cell's path (it imports skops); later ones are not.
        "%%track first\nfirst = RandomForestClassifier(n_estimators=2, random_state=0).fit(X, y)",
        # The last cell: several figures and models, all stored after the cell has ended.
        "%%track last\n"
        "for i in range(3):\n"
        "    plt.figure(); plt.pcolormesh(rng.random((150, 150))); plt.scatter(*rng.random((2, 5000)))\n"
        "    plt.title(f'panel {i}')\n"
        "forest = RandomForestClassifier(n_estimators=50, random_state=0).fit(X, y)\n"
        "small = RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    execute(nb, tmp_path)
    store = Store.open(tmp_path / ".artifacts", create=False)
    # The kernel has stopped; the SVG helper finishes, on its own, what it was handed.
    deadline = time.monotonic() + 120
    while True:
        events = [v for kind, v in store.run_events("last") if kind == "output"]
        # Figures' SVGs and models are separate jobs, finished in any order: wait for both.
        done = all("svg" in v.metadata.get("objects", {}) for v in events if v.kind == "figure") \
            and {v.name for v in events if v.kind == "model"} >= {"forest", "small"}
        if done or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    figures = [v for v in events if v.kind == "figure"]
    assert len(figures) == 3
    for figure in figures:
        svg = store.objects.read_bytes(figure.metadata["objects"]["svg"])
        assert f"panel {figure.name[-1:]}".encode() in svg or b"panel" in svg
    assert {v.name for v in events if v.kind == "model"} == {"forest", "small"}
