"""Replay under nbclient: the notebook of the recorded cells that made a version, run again
in a fresh kernel against a scratch store and compared with the record."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_artifacts.cli import main
from jupyter_artifacts.reproduce.replay import replay
from jupyter_artifacts.store import Store
from tests.notebooks.runner import execute

pytestmark = pytest.mark.timeout(900)

CLASSIFIER = [
    "%load_ext jupyter_artifacts",
    "import numpy as np\nfrom sklearn.ensemble import RandomForestClassifier\nn_trees = 20",
    "%%track data\nrng = np.random.default_rng(7)\nX = rng.normal(size=(120, 4))\n"
    "y = (X[:, 0] + X[:, 2] > 0).astype(int)",
    "print('an untracked cell in between')",
    "%%track train\nmodel = RandomForestClassifier(n_estimators=n_trees, random_state=0).fit(X, y)\n"
    "acc = float(model.score(X, y))",
    "%%track other\nunrelated = np.arange(5) * 2",
]
PIPELINE = [
    "%load_ext jupyter_artifacts",
    "import numpy as np, pandas as pd",
    "%%track load\nraw = pd.read_csv('data.csv')\nclean = raw.dropna()",
    "%%track fit\ncoef = np.polyfit(clean['x'], clean['y'], 1)\nslope = float(coef[0])",
]
HELPERS = [
    "%load_ext jupyter_artifacts",
    "import numpy as np\nfrom sklearn.linear_model import LogisticRegression\n"
    "X = np.random.default_rng(3).normal(size=(50, 2))\ny = (X[:, 0] > 0).astype(int)",
    "def featurize(a):\n    return np.c_[a, a[:, :1] ** 2]",
    "clf = LogisticRegression(C=0.3)",
    "%%track fit\nclf.fit(featurize(X), y)\nscore = float(clf.score(featurize(X), y))",
]
UNSEEDED = [
    "%load_ext jupyter_artifacts",
    "import numpy as np",
    "%%track noisy\nnoise = np.random.rand(50)\ntotal = float(noise.sum())",
]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JUPYTER_ARTIFACTS_DIR", str(tmp_path / ".artifacts"))
    monkeypatch.setenv("JPY_SESSION_NAME", "work.ipynb")
    return tmp_path


def _run(sources: list[str], workdir: Path) -> Store:
    # Models are stored in the background: wait for them before the kernel stops.
    settle = "from jupyter_artifacts.reproduce.replay import settle\nsettle()"
    nb = new_notebook(cells=[new_code_cell(s) for s in [*sources, settle]])
    nbformat.write(nb, workdir / "work.ipynb")
    execute(nb, workdir)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors, errors
    return Store.open(workdir / ".artifacts", create=False)


def test_classifier_replayed_exactly(workdir: Path) -> None:
    store = _run(CLASSIFIER, workdir)
    result = replay("model", workdir / "replay.ipynb", store=store, execute=True)
    assert result.verdict == "reproduced exactly", result.text()
    assert result.exit_code == 0
    # Just the two cells that made the model, in order, after the setup cell.
    nb = nbformat.read(workdir / "replay.ipynb", as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert len(code) == 4 and code[1].startswith("%%track data") and code[2].startswith("%%track train")
    assert "n_trees = 20" in code[0] and "RandomForestClassifier" in code[0]
    assert "Recorded environment: Python" in code[0]
    assert {o.name for o in result.outcomes["run-2"]} >= {"model", "metric acc"}


def test_changed_csv_is_reported(workdir: Path) -> None:
    (workdir / "data.csv").write_text("x,y\n1,2\n2,4.1\n3,5.9\n4,\n5,10.2\n")
    store = _run(PIPELINE, workdir)
    (workdir / "data.csv").write_text("x,y\n1,2\n2,4.1\n3,7.5\n4,\n5,12\n")
    result = replay("fit", workdir / "replay.ipynb", store=store, execute=True)
    assert result.status == "differs" and result.exit_code == 3, result.text()
    text = result.text()
    assert "input file changed since the run: data.csv" in text
    assert "clean: differs" in text and "column y" in text
    assert "metric slope: differs" in text
    assert not result.unseeded  # the difference is the data, not chance
    # The CLI says the same, with the same exit code.
    assert main(["replay", "fit", "-o", str(workdir / "r2.ipynb"), "--execute",
                 "--store", str(workdir / ".artifacts")]) == 3


def test_missing_file_is_written_back_and_reproduces(workdir: Path) -> None:
    (workdir / "data.csv").write_text("x,y\n1,2\n2,4.1\n3,5.9\n5,10.2\n")
    store = _run(PIPELINE, workdir)
    (workdir / "data.csv").unlink()
    result = replay("coef", workdir / "replay.ipynb", store=store, execute=True)
    assert result.exit_code == 0, result.text()


def test_unseeded_random_step_is_not_reproducible(workdir: Path) -> None:
    store = _run(UNSEEDED, workdir)
    result = replay("run-1", workdir / "replay.ipynb", store=store, execute=True)
    assert result.exit_code == 3, result.text()
    assert result.unseeded == {"run-1": ["np.random.rand() with no np.random.seed()"]}
    assert "not reproducible: run-1 uses np.random.rand() with no np.random.seed()" in result.text()


def test_notebook_functions_and_unfitted_estimators_are_defined_again(workdir: Path) -> None:
    store = _run(HELPERS, workdir)
    result = replay("fit", workdir / "replay.ipynb", store=store, execute=True)
    assert result.exit_code == 0, result.text()
    setup = nbformat.read(workdir / "replay.ipynb", as_version=4).cells[1].source
    assert "def featurize(a):" in setup and "C=0.3" in setup


def test_a_run_of_a_team_store_replays_without_writing_into_it(workdir: Path, pg_url: str,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_ARTIFACTS_CATALOG", pg_url)  # the team's catalog, as a kernel has it
    store = _run(CLASSIFIER, workdir)
    assert type(store.catalog).__name__ == "PostgresCatalog"
    runs_before = store.catalog.scalar("SELECT COUNT(*) FROM runs")
    result = replay("model", workdir / "replay.ipynb", store=store, execute=True)
    assert result.verdict == "reproduced exactly", result.text()
    nb = nbformat.read(workdir / "replay.ipynb", as_version=4)
    setup = next(c.source for c in nb.cells if c.cell_type == "code")
    assert f"catalog={pg_url!r}" in setup
    assert store.catalog.scalar("SELECT COUNT(*) FROM runs") == runs_before


def test_a_team_store_replay_compares_with_what_the_replay_made(workdir: Path, pg_url: str,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTER_ARTIFACTS_CATALOG", pg_url)
    store = _run(UNSEEDED, workdir)
    result = replay("noise", workdir / "replay.ipynb", store=store, execute=True)
    # Compared with the team store itself, an unseeded step would look exact.
    assert result.verdict != "reproduced exactly" and result.unseeded, result.text()
