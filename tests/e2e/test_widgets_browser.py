"""The panel and the compare widget rendered by JupyterLab in headless Chromium."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import nbformat
import pytest

from .conftest import ARTIFACTS_DIR, KERNEL_IDLE, Lab
from .demo import demo_notebook

DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
# A folder of its own: the kernel starts there, so ja.open_store(".artifacts") makes a fresh
# store beside the notebook rather than using the big one the fixture puts in the root.
DEMO = "widgets-demo/demo.ipynb"


def run_all(page: Any, cells: int) -> None:
    """Run every cell as a user would (Shift+Enter in command mode), once the kernel is idle."""
    page.get_by_text(KERNEL_IDLE).wait_for(timeout=90_000)
    page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").first.click()
    page.keyboard.press("Escape")
    for _ in range(cells):
        page.keyboard.press("Shift+Enter")


def render_demo(lab: Lab, page: Any, name: str) -> dict[str, Any]:
    """Open and run the demo notebook; check the table, curves and graph; return their locators."""
    notebook = demo_notebook()
    path = lab.root / DEMO.replace("demo.ipynb", name)
    path.parent.mkdir(exist_ok=True)
    nbformat.write(notebook, path)
    # ?reset: a fresh layout, not the workspace another test left with its notebook open.
    page.goto(f"{lab.url}lab/tree/{DEMO.replace('demo.ipynb', name)}?reset&token={lab.token}")
    run_all(page, len(notebook.cells))

    panel = page.locator(".jp-Artifacts-panel >> visible=true")
    panel.wait_for(timeout=120_000)
    table = panel.locator("table").first
    for ref in ("run-1", "run-2", "run-3", "run-4", "run-5"):
        assert table.get_by_text(ref, exact=True).count() == 1
    assert panel.locator(".lm-TabBar-tabLabel").all_inner_texts()[:4] == ["Runs", "Artifacts", "Metrics",
                                                                          "Lineage"]
    compare = page.locator(".jp-Artifacts-compare >> visible=true")
    compare.wait_for(timeout=60_000)
    curves = compare.locator("img").first
    curves.wait_for()
    assert curves.evaluate("img => img.complete && img.naturalWidth") > 300  # the PNG decoded
    assert compare.locator(".jp-Artifacts-best").count() >= 2

    graph = page.locator("svg.jp-Artifacts-lineage >> visible=true").last
    graph.wait_for(timeout=60_000)
    assert graph.locator("g.jp-Artifacts-node").count() >= 6
    assert graph.locator("path.jp-Artifacts-edge").count() >= 5
    return {"panel": panel, "compare": compare, "lineage": graph}


def shoot(page: Any, parts: dict[str, Any], folders: list[Path], suffix: str = "") -> None:
    """Element screenshots of each widget into every folder."""
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    for name, locator in parts.items():
        # The notebook scrolls inside its panel, not the page: an element taller than the
        # viewport would be cut, so make the viewport taller than the element first.
        height = int(locator.evaluate("e => e.getBoundingClientRect().height"))
        page.set_viewport_size({"width": 1400, "height": max(1000, height + 400)})
        locator.scroll_into_view_if_needed()
        for folder in folders:
            locator.screenshot(path=str(folder / f"{name}{suffix}.png"))


@pytest.mark.timeout(300)
def test_panel_and_compare_render_in_jupyterlab(lab: Lab, page: Any) -> None:
    parts = render_demo(lab, page, "demo.ipynb")
    page.screenshot(path=str(ARTIFACTS_DIR / "lab-widgets-full.png"))
    # README images are refreshed on request only, so a test run leaves the tree clean.
    folders = [ARTIFACTS_DIR, DOCS_IMAGES] if os.environ.get("JA_UPDATE_DOCS_IMAGES") else [ARTIFACTS_DIR]
    shoot(page, {"panel": parts["panel"], "compare": parts["compare"]}, folders)
    shoot(page, {"lineage": parts["lineage"]}, [ARTIFACTS_DIR])
    page.set_viewport_size({"width": 1400, "height": 1000})
    panel = parts["panel"]
    # Select two runs in the list; Compare becomes enabled and opens a comparison in the panel.
    button = panel.get_by_role("button", name="Compare")
    assert button.is_disabled()
    panel.locator("select[multiple]").select_option(label=["run-3  train", "run-2  train"])
    panel.get_by_text("2 selected").wait_for(timeout=30_000)
    button.click()
    panel.locator(".jp-Artifacts-compare").wait_for(timeout=60_000)
    shoot(page, {"panel-compare": panel}, [ARTIFACTS_DIR])
    page.set_viewport_size({"width": 1400, "height": 1000})
    # The other tabs are computed in the kernel when first shown: they must fill in live.
    panel.locator(".lm-TabBar-tab", has_text="Metrics").click()
    page.wait_for_function("() => [...document.querySelectorAll('.jp-Artifacts-panel img.widget-image')]"
                           ".some(img => img.complete && img.naturalWidth > 300)", timeout=30_000)
    shoot(page, {"panel-metrics": panel}, [ARTIFACTS_DIR])
    panel.locator(".lm-TabBar-tab", has_text="Artifacts").click()
    panel.get_by_text('ja.load("train:v2")').wait_for(timeout=30_000)
    shoot(page, {"panel-artifacts": panel}, [ARTIFACTS_DIR])
    panel.locator(".lm-TabBar-tab", has_text="Lineage").click()
    panel.locator("svg.jp-Artifacts-lineage").wait_for(timeout=30_000)
    shoot(page, {"panel-lineage": panel}, [ARTIFACTS_DIR])


@pytest.mark.timeout(300)
@pytest.mark.usefixtures("dark_theme")
def test_widgets_render_in_the_dark_theme(lab: Lab, page: Any) -> None:
    parts = render_demo(lab, page, "demo-dark.ipynb")
    # The theme's variables reach the inline styles: table text is light on a dark page.
    colour = parts["panel"].locator("table td").first.evaluate("td => getComputedStyle(td).color")
    channels = [int(c) for c in colour[colour.index("(") + 1: colour.index(")")].split(",")[:3]]
    assert sum(channels) / 3 > 128, colour
    shoot(page, parts, [ARTIFACTS_DIR], suffix="-dark")
