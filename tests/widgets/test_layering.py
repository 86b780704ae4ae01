"""The widgets layer sits above store and codecs only: no server, no capture, no tornado."""

from __future__ import annotations

import subprocess
import sys

import jupyter_artifacts as ja
import jupyter_artifacts.lineage
from jupyter_artifacts.store import Store


def test_widgets_import_no_upper_layer() -> None:
    code = ("import sys, jupyter_artifacts.widgets, jupyter_artifacts.lineage; "
            "print(sorted(m for m in sys.modules if m.startswith(('jupyter_artifacts.server', "
            "'jupyter_artifacts.capture', 'tornado', 'jupyter_server'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_ja_lineage_is_callable_after_importing_the_module(store: Store) -> None:
    # Importing the submodule binds it to ja.lineage; the call must still reach the function.
    assert callable(jupyter_artifacts.lineage)
    graph = ja.lineage("model:v1", store=store)
    assert graph.root == "model:v1" and "run-2" in graph.upstream
