"""Where widgets cannot render (nbconvert HTML), each widget shows its static HTML."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

from .demo import demo_notebook


def test_nbconvert_html_shows_table_curves_and_graph(tmp_path: Path) -> None:
    nb = demo_notebook()
    # A notebook saved from JupyterLab carries no widget state by default: the exported page
    # then has only the text/html of each output to show.
    NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=False,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    for cell in nb.cells[1:]:
        data = cell.outputs[0]["data"]
        assert "application/vnd.jupyter.widget-view+json" in data and "text/html" in data
    body, _ = HTMLExporter().from_notebook_node(nb)
    (tmp_path / "demo.html").write_text(body)
    nbformat.write(nb, tmp_path / "demo.ipynb")
    assert ">run-3<" in body and ">run-4<" in body  # the runs table
    assert ">model<" in body and ">confusion<" in body  # the artifact list
    assert "jp-Artifacts-best" in body and "data:image/png;base64," in body  # metrics, curves
    assert "<svg" in body and body.count('class="jp-Artifacts-node"') >= 6  # the lineage graph
