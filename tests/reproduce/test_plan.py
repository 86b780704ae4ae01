"""Walking lineage back to the cells that made a version (no kernel needed to check the plan)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jupyter_artifacts import tracking
from jupyter_artifacts.errors import NotFoundError
from jupyter_artifacts.reproduce.plan import plan_replay
from jupyter_artifacts.reproduce.replay import build_notebook
from tests.capture.conftest import run


def _pipeline(ip: Any) -> None:
    run(ip, "import numpy as np\nscale = 3")
    run(ip, "%%track make\nX = np.arange(20.0).reshape(10, 2) * scale")
    run(ip, "%%track unrelated\nZ = np.ones(4) * 2")
    run(ip, "%%track center\nXc = X - X.mean(axis=0)")
    run(ip, "%%track norm\nnorms = np.linalg.norm(Xc, axis=1)")


def test_full_and_shortest_plans(shell: Any, store_dir: Path) -> None:
    _pipeline(shell)
    store = tracking.default_store()
    full = plan_replay(store, "norms")
    assert [r.name for r in full.runs] == ["make", "center", "norm"]
    assert full.params == {"scale": 3} and full.imports == {"np": "numpy"} and not full.loads
    shortest = plan_replay(store, "norms", shortest=True)
    assert [r.name for r in shortest.runs] == ["norm"] and list(shortest.loads) == ["Xc"]
    nb = build_notebook(store, full)
    setup = nb.cells[1].source
    assert "import numpy as np" in setup and "scale = 3" in setup
    assert [c.source.splitlines()[0] for c in nb.cells[2:5]] == [
        "%%track make", "%%track center", "%%track norm"]


def test_a_saved_version_has_nothing_to_replay(shell: Any, store_dir: Path) -> None:
    run(shell, "import jupyter_artifacts as ja\nja.save([1, 2], 'plain')")
    with pytest.raises(NotFoundError, match="nothing to replay"):
        plan_replay(tracking.default_store(), "plain")
