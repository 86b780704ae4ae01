"""The store core and the package's import stay free of Jupyter and heavy libraries."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ["IPython", "ipywidgets", "jupyter_server", "tornado", "pandas", "pyarrow", "matplotlib"]


@pytest.mark.parametrize("module", ["jupyter_artifacts", "jupyter_artifacts.store",
                                    "jupyter_artifacts.api", "jupyter_artifacts.cli"])
def test_import_pulls_in_nothing_heavy(module: str) -> None:
    code = f"import sys, json, {module}; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
