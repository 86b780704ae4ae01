"""``jupyter-artifacts show REF --env``: the recorded environment as requirements.txt and
environment.yml; ``%artifacts cell``: from a cell id to its run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import jupyter_artifacts as ja
from jupyter_artifacts.cli import main
from jupyter_artifacts.environment import python_environment
from jupyter_artifacts.reproduce.envexport import environment_yml, package_differences
from jupyter_artifacts.store import Store
from tests.capture.conftest import run


def test_show_env_writes_both_files(store: Store, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    with ja.run("train"):
        ja.save(np.arange(4), "weights")
    assert main(["show", "weights:v1", "--env", "-o", str(tmp_path / "env"),
                 "--store", str(store.root)]) == 0
    requirements = (tmp_path / "env" / "requirements.txt").read_text()
    numpy_line = f"numpy=={np.__version__}"
    assert numpy_line in requirements.splitlines()
    assert "\npip==" not in requirements  # the installer's own tools are not requirements
    yml = (tmp_path / "env" / "environment.yml").read_text()
    assert f"  - python={python_environment()['python']}" in yml and f"      - {numpy_line}" in yml
    capsys.readouterr()
    assert main(["show", "run-1", "--env", "--store", str(store.root)]) == 0  # to stdout
    assert numpy_line in capsys.readouterr().out
    # Without --env, show is unchanged; a version no run made has no environment.
    assert main(["show", "run-1", "--store", str(store.root)]) == 0
    ja.save(np.arange(2), "loose")
    assert main(["show", "loose:v1", "--env", "--store", str(store.root)]) == 2
    assert "not made by a run" in capsys.readouterr().err


def test_environment_yml_and_differences() -> None:
    env = {"python": "3.11.4", "platform": "Linux", "packages": {"numpy": "1.26.4", "pip": "24"}}
    assert environment_yml(env).splitlines()[4:] == ["  - python=3.11.4", "  - pip", "  - pip:",
                                                     "      - numpy==1.26.4"]
    assert package_differences({"numpy": "1.26.4", "torch": "2.3"}, {"numpy": "2.0.1"}) == [
        "numpy 1.26.4 -> 2.0.1", "torch 2.3 -> missing"]


def test_artifacts_cell_finds_the_run_of_a_cell(shell: Any, store_dir: Path, tmp_path: Path) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    code = "total = sum(range(10))\n"
    nb = new_notebook(cells=[new_code_cell("%%track sums\n" + code)])
    nbformat.write(nb, tmp_path / "sums.ipynb")
    shell.user_ns["__session__"] = "sums.ipynb"
    run(shell, "%%track sums\n" + code)
    card = shell.run_line_magic("artifacts", f"cell {nb.cells[0].id}")
    assert "run-1" in str(getattr(card, "data", card))
