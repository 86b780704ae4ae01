"""Real notebooks under nbclient: restore in a fresh kernel, the notebook kept per run, and
each tracked cell's output naming its run in a saved .ipynb."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

import jupyter_artifacts as ja
from jupyter_artifacts.store import Store
from tests.notebooks.runner import execute

pytestmark = pytest.mark.timeout(600)

TRAIN = [
    "%load_ext jupyter_artifacts",
    "import numpy as np, pickle\nfrom sklearn.tree import DecisionTreeClassifier\n"
    "X = np.random.default_rng(1).normal(size=(80, 4))\ny = (X[:, 1] > 0).astype(int)\ndepth = 3",
    "%%track train\nmodel = DecisionTreeClassifier(max_depth=depth, random_state=0).fit(X, y)\n"
    "acc = float(model.score(X, y))",
    "%%track --quiet\nproba = model.predict_proba(X)",
    "pickle.dump({'X': X, 'acc': acc, 'proba': proba, 'pred': model.predict(X)},"
    " open('expected.pkl', 'wb'))",
    # Models are stored in the background: wait for them before the kernel stops.
    "from jupyter_artifacts.reproduce.replay import settle\nsettle()",
]
RESTORE = [
    "%load_ext jupyter_artifacts",
    "import pickle, numpy as np\nimport jupyter_artifacts as ja\n"
    "expected = pickle.load(open('expected.pkl', 'rb'))",
    "report = ja.restore('train')\n%artifacts restore run-2 --outputs\n"
    "assert np.array_equal(X, expected['X']) and acc == expected['acc'] and depth == 3\n"
    "assert np.array_equal(model.predict(X), expected['pred'])\n"
    "assert np.array_equal(proba, expected['proba'])\n"
    "print(report)",
]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JUPYTER_ARTIFACTS_DIR", str(tmp_path / ".artifacts"))
    monkeypatch.setenv("JPY_SESSION_NAME", "analysis.ipynb")  # what Jupyter tells a kernel
    return tmp_path


def _notebook(sources: list[str], path: Path) -> nbformat.NotebookNode:
    nb = new_notebook(cells=[new_code_cell(s) for s in sources])
    nbformat.write(nb, path)
    return nb


def _errors(nb: nbformat.NotebookNode) -> list[str]:
    return [f"{o['ename']}: {o['evalue']}" for c in nb.cells for o in c.get("outputs", [])
            if o["output_type"] == "error"]


def test_restore_in_a_fresh_kernel_and_cell_links(workdir: Path) -> None:
    nb = _notebook(TRAIN, workdir / "analysis.ipynb")
    execute(nb, workdir)
    assert not _errors(nb)
    nbformat.write(nb, workdir / "analysis.ipynb")  # saved with its outputs, as Jupyter does

    store = Store.open(workdir / ".artifacts", create=False)
    train, quiet = store.query_runs(descending=False).runs
    # Each run keeps the notebook it ran in, stored once for both.
    docs = {r.metadata["notebook"]["version"] for r in (train, quiet)}
    assert len(docs) == 1
    doc = store.get_version(docs.pop())
    assert doc.kind == "notebook" and len(store.versions(doc.name)) == 1
    # The outputs of a tracked cell (the summary; an empty display for --quiet) name its run.
    for cell, run in ((nb.cells[2], train), (nb.cells[3], quiet)):
        marks = [o["metadata"]["jupyter_artifacts"]["run"] for o in cell.outputs
                 if isinstance(o.get("metadata", {}).get("jupyter_artifacts"), dict)]
        assert marks == [run.id]
        assert ja.run_for_cell(workdir / "analysis.ipynb", cell.id, store=store).id == run.id
    # The quiet cell shows nothing more than it would untracked.
    assert all(not o.get("data") for o in nb.cells[3].outputs)

    again = _notebook(RESTORE, workdir / "restore.ipynb")
    execute(again, workdir)  # a fresh kernel: nothing of the first one is left
    assert not _errors(again), _errors(again)
    shown = "".join(o.get("text", "") for o in again.cells[2].outputs)
    assert "model (model:v1)" in shown and "depth (param)" in shown
