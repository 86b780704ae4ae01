"""The whole loop in a real JupyterLab: a %%track cell runs, its run appears in the sidebar
without a reload, its preview opens, load code goes into the notebook, two runs compare."""

from __future__ import annotations

from typing import Any

import nbformat
from playwright.sync_api import expect

from .conftest import KERNEL_IDLE, Lab, screenshot

ROW = ".jp-Artifacts-RunRow[data-ref]"
TRAIN = """%%track e2e-train --tag e2e
import numpy as np
import matplotlib.pyplot as plt
from sklearn.linear_model import LogisticRegression
X = np.random.RandomState(0).rand(80, 2)
y = (X[:, 0] > .5).astype(int)
C = {c}
clf = LogisticRegression(C=C).fit(X, y)
acc = clf.score(X, y)
plt.plot(clf.predict_proba(X)[:, 1], ".")
plt.title("e2e probabilities C={c}");"""


def write_notebook(lab: Lab) -> str:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("%load_ext jupyter_artifacts"),
                nbformat.v4.new_code_cell(TRAIN.format(c=0.5)),
                nbformat.v4.new_code_cell(TRAIN.format(c=2.0)),
                nbformat.v4.new_code_cell("")]
    nbformat.write(nb, lab.root / "tracked.ipynb")
    return "tracked.ipynb"


def test_tracked_cell_reaches_the_sidebar(page: Any, lab: Lab) -> None:
    name = write_notebook(lab)
    page.goto(f"{lab.url}lab/tree/{name}?reset&token={lab.token}")
    page.get_by_text(KERNEL_IDLE).wait_for(timeout=90_000)
    tab = page.locator('li[data-id="jp-artifacts-sidebar"]')
    if "lm-mod-current" not in (tab.get_attribute("class") or ""):
        tab.click()
    page.locator(".jp-Artifacts-Filter-name").fill("e2e-train")

    page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").first.click()
    page.keyboard.press("Escape")
    for _ in range(3):
        page.keyboard.press("Shift+Enter")
    summaries = page.locator(".jp-Artifacts-Summary")
    expect(summaries).to_have_count(2, timeout=120_000)
    expect(summaries.last).to_contain_text("clf:v2", timeout=30_000)  # stored in the background
    # Exactly one figure per tracked cell is shown: the tracker does not display it again.
    expect(page.locator(".jp-Notebook .jp-OutputArea-output img")).to_have_count(2)

    # Live: both runs appear in the sidebar without a reload (it polls every 1.5 s).
    rows = page.locator(ROW)
    expect(rows).to_have_count(2, timeout=15_000)
    newest = rows.first
    # A poll during the second cell may show it "running"; the next poll shows its metrics.
    expect(newest).to_contain_text("acc", timeout=15_000)
    assert "e2e-train" in newest.inner_text()
    assert "tracked.ipynb" in page.locator(".jp-Artifacts-GroupHeader").first.inner_text()

    # Its preview: params, the cell's code, the figure.
    newest.click()
    # The helper stores the figures' SVGs between and after cells (its imports wait for the
    # kernel to be idle); each landing moves the store, and the open details are drawn again.
    # Wait for the last one, so the checks below read a details pane that stays.
    figure_line = page.locator('.jp-Artifacts-Version[data-ref="e2e-probabilities-C:v2"]')
    expect(figure_line.get_by_role("button", name="SVG")).to_be_visible(timeout=60_000)
    details = page.locator(".jp-Artifacts-DetailsBody")
    expect(details).to_contain_text("C = 2.0", timeout=10_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.jp-Artifacts-Figure')].some(i => i.naturalWidth > 100)",
        timeout=15_000,
    )
    card = page.locator(".jp-Artifacts-ModelCard").first
    expect(card).to_contain_text("LogisticRegression", timeout=15_000)
    expect(card).to_contain_text("2 features")
    card.scroll_into_view_if_needed()
    screenshot(page, "track-sidebar")

    # A figure's SVG (stored beside its PNG) downloads from its version line; the figure is
    # named by its title without the C value, so both runs made versions of one name.
    with page.expect_download(timeout=15_000) as download:
        figure_line.get_by_role("button", name="SVG").click()
    assert download.value.suggested_filename == "e2e-probabilities-C_v2.svg"
    assert b"<svg" in download.value.path().read_bytes()[:1000]

    # Insert load code for the model into the notebook.
    page.locator(".jp-Notebook .jp-Cell").last.click()
    version = page.locator('.jp-Artifacts-Version[data-ref="clf:v2"]')
    version.get_by_role("button", name="Insert").click(timeout=15_000)
    page.wait_for_function(
        """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-Cell .cm-content')]
              .some(node => node.textContent.includes('ja.load("clf:v2")'))""",
        timeout=10_000,
    )

    # Open the notebook that produced the run at its cell (the second tracked cell).
    page.locator(".jp-Notebook .jp-Cell").first.click()
    page.locator(".jp-Artifacts-DetailsBody").get_by_role("button", name="Open notebook").click()
    expect(page.locator(".jp-Notebook .jp-Cell.jp-mod-active .cm-content")).to_contain_text(
        "C = 2.0", timeout=10_000)

    # Compare the two runs: the param C differs.
    for i in range(2):
        rows.nth(i).locator(".jp-Artifacts-RunCheck").click()
    page.get_by_role("button", name="Compare", exact=True).click()
    compare = page.locator(".jp-Artifacts-CompareBody")
    expect(compare.locator("tr.jp-mod-differs")).not_to_have_count(0, timeout=15_000)
    expect(compare).to_contain_text("acc")
    screenshot(page, "track-compare")
