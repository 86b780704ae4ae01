"""The widgets' state, driven like a user would (setting values, clicking buttons)."""

from __future__ import annotations

import re

import jupyter_artifacts as ja
from jupyter_artifacts.store import Store
from jupyter_artifacts.widgets import Panel, compare, panel
from jupyter_artifacts.widgets.panel import LINEAGE, METRICS

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _ids(p: Panel, *refs: str) -> tuple[str, ...]:
    by_ref = {r["ref"]: r["id"] for r in p.page["rows"]}
    return tuple(by_ref[r] for r in refs)


def test_panel_tabs_and_runs_table(store: Store) -> None:
    p = panel(store)
    assert p.tabs.titles == ("Runs", "Artifacts", "Metrics", "Lineage")
    for ref in ("run-1", "run-2", "run-3", "run-4"):
        assert f">{ref}<" in p.runs_html.value
    assert p.compare_button.disabled


def test_paging_moves_and_clamps(store: Store) -> None:
    p = panel(store, page_size=3)
    assert [r["ref"] for r in p.page["rows"]] == ["run-4", "run-3", "run-2"] and p.prev_button.disabled
    p.next_button.click()
    assert [r["ref"] for r in p.page["rows"]] == ["run-1"] and p.next_button.disabled
    assert ">run-1<" in p.runs_html.value and ">run-4<" not in p.runs_html.value
    p.goto(99)
    assert p.page_index == 1
    p.prev_button.click()
    assert p.page_index == 0


def test_filters_and_sort_requery(store: Store) -> None:
    p = panel(store)
    p.f_tag.value = "baseline"
    assert [r["ref"] for r in p.page["rows"]] == ["run-3", "run-2"]
    p.sort.value = "metrics.loss"
    p.descending.value = False
    assert [r["ref"] for r in p.page["rows"]] == ["run-3", "run-2"] and p.descending.description == "↑ asc"
    p.f_status.value = "failed"
    assert "No runs match" in p.runs_html.value


def test_selection_enables_compare_and_survives_paging(store: Store) -> None:
    p = panel(store, page_size=2)
    p.next_button.click()
    p.pick.value = _ids(p, "run-2")
    assert p.compare_button.disabled
    p.prev_button.click()
    p.pick.value = _ids(p, "run-3")
    assert list(p.selected.values()) == ["run-2", "run-3"] and not p.compare_button.disabled
    view = p.show_compare()
    assert view is not None and view.refs == ["run-2", "run-3"]
    p.clear_button.click()
    assert p.selected == {} and p.compare_button.disabled


def test_metrics_tab_draws_selected_runs(store: Store) -> None:
    p = panel(store)
    p.pick.value = _ids(p, "run-2", "run-3")
    p.tabs.selected_index = METRICS
    assert bytes(p.m_image.value).startswith(b"\x89PNG")
    assert ">run-2<" in p.m_table.value and ">run-3<" in p.m_table.value
    assert p.m_table.value.count("rgba(56, 142, 60, 0.22)") == 2  # best loss and best accuracy
    before = p.m_image.value
    p.m_log.value = True
    assert p.m_image.value != before


def test_artifacts_tab_previews_versions(store: Store) -> None:
    p = panel(store)
    p.tabs.selected_index = 1
    p.a_names.value = "train"
    assert [v for _, v in p.a_versions.options] == ["train:v2", "train:v1"]
    assert "Schema" in p.a_preview.value and "float64" in p.a_preview.value
    p.a_names.value = "confusion"
    assert "data:image/png;base64," in p.a_preview.value
    p.a_names.value = "model"
    assert "LogisticRegression" in p.a_preview.value and 'ja.load(&quot;model:v2&quot;)' in p.a_preview.value


def test_lineage_tab_selects_nodes(store: Store) -> None:
    p = panel(store)
    p.pick.value = _ids(p, "run-3")
    p.tabs.selected_index = LINEAGE
    view = p.l_view
    assert view is not None and p.l_root.value == "run-3"
    nodes = re.findall(r'class="jp-Artifacts-node" data-id="([^"]+)"', view.svg.value)
    assert len(nodes) == len(view.graph["nodes"]) and len(nodes) == len(view.selector.options)
    model = next(v for label, v in view.selector.options if label.startswith("model:v2"))
    view.selector.value = model
    assert "model:v2" in view.details.value and 'ja.load(&quot;model:v2&quot;)' in view.details.value
    view.recentre.click()
    assert view.graph["root"] == model


def test_refresh_picks_up_other_writers(store: Store) -> None:
    p = panel(store)
    assert not p.refresh()
    other = Store.open(store.root)  # another process's connection to the same folder
    with ja.run("late", store=other):
        pass
    other.close()
    assert p.refresh()
    assert ">run-5<" in p.runs_html.value


def test_compare_params_toggle_and_best_metric(store: Store) -> None:
    view = compare("run-2", "run-3", store=store)
    assert ">C<" in view.params_html.value and ">lr<" not in view.params_html.value
    view.all_params.value = True
    assert ">lr<" in view.params_html.value and ">seed<" in view.params_html.value
    metrics_html = view.metrics_html.value
    assert metrics_html.count("jp-Artifacts-best") == 2 and "★" in metrics_html
    assert bytes(view.curves.value).startswith(b"\x89PNG")
    view.x_axis.value = "time"
    assert view.data["curves"]["x_axis"] == "time"


def test_every_widget_carries_a_static_html_fallback(store: Store) -> None:
    bundles = {
        "panel": panel(store)._repr_mimebundle_(),
        "compare": compare("run-2", "run-3", store=store)._repr_mimebundle_(),
        "lineage": ja.lineage("model", store=store)._repr_mimebundle_(),
    }
    for name, bundle in bundles.items():
        assert WIDGET_VIEW in bundle and "text/html" in bundle, name
    assert ">run-3<" in bundles["panel"]["text/html"]
    assert "data:image/png;base64," in bundles["compare"]["text/html"]  # the curves
    assert "<svg" in bundles["lineage"]["text/html"]


def test_chosen_columns(store: Store) -> None:
    p = panel(store)
    p.f_columns.value = "lr, metrics.loss"
    assert p.page["param_columns"] == ["lr"] and p.page["metric_columns"] == ["loss"]
    assert ">lr<" in p.runs_html.value and ">seed<" not in p.runs_html.value
    p.f_columns.value = ""
    assert p.page["param_columns"] == ["C", "epochs", "lr", "seed"]
