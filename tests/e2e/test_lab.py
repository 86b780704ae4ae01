"""The sidebar in a real JupyterLab and Chromium: list, filter, details, compare."""

from __future__ import annotations

import re
from typing import Any

from .conftest import MANY_RUNS, Lab, screenshot

ROW = ".jp-Artifacts-RunRow[data-ref]"


def open_sidebar(page: Any, lab: Lab) -> None:
    """Open Lab with a fresh layout, wait until it is restored, then show the sidebar."""
    page.goto(lab.lab_url().replace("lab?", "lab?reset&"))
    # The launcher opens once the layout is restored; before that a restore can still
    # switch the left area to another panel.
    page.locator(".jp-LauncherCard").first.wait_for(timeout=60_000)
    tab = page.locator('li[data-id="jp-artifacts-sidebar"]')
    if "lm-mod-current" not in (tab.get_attribute("class") or ""):
        tab.click()
    page.locator(ROW).first.wait_for(timeout=30_000)


def test_runs_listed_virtualised_and_filterable(page: Any, lab: Lab) -> None:
    open_sidebar(page, lab)
    total = MANY_RUNS + 2
    status = page.locator(".jp-Artifacts-RunsStatus")
    assert status.inner_text() == f"{total:,} runs"
    rendered = page.locator(".jp-Artifacts-RunRow").count()
    assert 0 < rendered < 100, f"{rendered} rows in the DOM for {total} runs"
    first = page.locator(ROW).first
    assert first.get_attribute("data-ref") == f"run-{total}"
    assert "train" in first.inner_text() and "acc" in first.inner_text()
    assert page.locator(".jp-Artifacts-GroupHeader").inner_text() == "train.ipynb"

    # Scrolling deep into the list loads the page there and still renders few rows.
    page.locator(".jp-Artifacts-RunsScroller").evaluate("el => { el.scrollTop = 2000 * 46; }")
    page.locator(f'{ROW}[data-ref="run-{total - 2000}"]').wait_for(timeout=10_000)
    assert page.locator(".jp-Artifacts-RunRow").count() < 100

    page.locator(".jp-Artifacts-Filter-name").fill("train")
    page.wait_for_function(
        "() => document.querySelector('.jp-Artifacts-RunsStatus').textContent === '2 runs'"
    )
    assert page.locator(ROW).count() == 2
    screenshot(page, "sidebar-runs")


def test_run_details_and_compare(page: Any, lab: Lab) -> None:
    open_sidebar(page, lab)
    total = MANY_RUNS + 2
    page.locator(f'{ROW}[data-ref="run-{total}"]').click()
    title = page.locator(".jp-Artifacts-DetailsTitle")
    title.wait_for(timeout=10_000)
    assert title.inner_text().strip() == f"train (run-{total})"
    details = page.locator(".jp-Artifacts-DetailsBody")
    assert "n_trees" in details.inner_text() and "0.01" in details.inner_text()
    assert "model.fit(X, y)" in details.inner_text()
    figure = page.locator("img.jp-Artifacts-Figure")
    figure.wait_for(timeout=10_000)
    page.wait_for_function(
        "() => document.querySelector('img.jp-Artifacts-Figure').naturalWidth === 64"
    )
    page.locator(".jp-Artifacts-Chart.jp-mod-sparkline path.jp-Artifacts-Curve").first.wait_for()
    screenshot(page, "sidebar-details")

    for ref in (f"run-{total}", f"run-{total - 1}"):
        page.locator(f'{ROW}[data-ref="{ref}"] .jp-Artifacts-RunCheck').click()
    page.get_by_role("button", name="Compare", exact=True).click()
    compare = page.locator(".jp-Artifacts-CompareBody")
    compare.locator("svg.jp-Artifacts-Chart").first.wait_for(timeout=15_000)
    screenshot(page, "compare")
    assert compare.locator("path.jp-Artifacts-Curve").count() == 2, compare.inner_text()
    assert compare.locator("tr.jp-mod-differs").count() == 1  # lr differs, n_trees does not
    assert re.search(r"Compare run-\d+, run-\d+", page.locator(".lm-TabBar-tabLabel").all_inner_texts()
                     .__str__())
    screenshot(page, "compare")


def test_artifacts_panel_filters_by_kind(page: Any, lab: Lab) -> None:
    open_sidebar(page, lab)
    artifact = page.locator('.jp-Artifacts-ArtifactRow[data-name="confusion"]')
    artifact.wait_for(timeout=10_000)
    kind = page.locator(".jp-Artifacts-Filter-kind")
    kind.select_option("model")
    page.get_by_text("No artifacts match.").wait_for(timeout=10_000)
    kind.select_option("figure")
    artifact.wait_for(timeout=10_000)
    artifact.click()
    page.locator('.jp-Artifacts-ArtifactVersion[data-ref="confusion:v1"]').wait_for(timeout=10_000)


def test_insert_load_into_notebook(page: Any, lab: Lab) -> None:
    open_sidebar(page, lab)
    page.locator('.jp-LauncherCard[data-category="Notebook"]').first.click(timeout=30_000)
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=30_000)
    total = MANY_RUNS + 2
    page.locator(f'{ROW}[data-ref="run-{total}"]').click()
    version = page.locator('.jp-Artifacts-Version[data-ref="confusion:v1"]')
    version.get_by_role("button", name="Insert").click(timeout=10_000)
    page.wait_for_function(
        """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-Cell .cm-content')]
              .some(node => node.textContent.includes('ja.load("confusion:v1")'))""",
        timeout=10_000,
    )
    screenshot(page, "insert-load")
