"""The widgets layer sits above store and codecs only: no server, no capture, no tornado."""

from __future__ import annotations

import subprocess
import sys

import jupyter_artifacts as ja
import jupyter_artifacts.graph
from jupyter_artifacts.store import Store


def test_widgets_import_no_upper_layer() -> None:
    code = ("import sys, jupyter_artifacts.widgets, jupyter_artifacts.graph; "
            "print(sorted(m for m in sys.modules if m.startswith(('jupyter_artifacts.server', "
            "'jupyter_artifacts.capture', 'tornado', 'jupyter_server'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_ja_lineage_is_the_function_after_importing_its_module(store: Store) -> None:
    # The module is not named `lineage`: importing it cannot shadow ja.lineage.
    assert jupyter_artifacts.graph.lineage is ja.lineage
    graph = ja.lineage("model:v1", store=store)
    assert graph.root == "model:v1" and "run-2" in graph.upstream
