"""``ja.panel()``: one Tab widget with Runs, Artifacts, Metrics and Lineage."""

from __future__ import annotations

import time
from typing import Any

import ipywidgets as w
from IPython.display import display

from ..errors import ArtifactsError, FilterError
from ..store import Store
from . import html
from .base import FallbackBox, html_widget
from .compare_view import CompareView
from .lineage_view import LineageView
from .plots import curves_png
from .preview import version_preview
from .viewmodels import (
    PAGE_SIZE,
    artifact_list,
    metric_curves,
    metric_table,
    parse_columns,
    runs_page,
    sort_options,
    version_list,
)

TAB_TITLES = ("Runs", "Artifacts", "Metrics", "Lineage")
RUNS, ARTIFACTS, METRICS, LINEAGE = range(4)
STATUSES = [("any status", ""), ("ok", "ok"), ("failed", "failed"), ("running", "running"),
            ("interrupted", "interrupted"), ("crashed (dead)", "dead")]


def _text(placeholder: str) -> w.Text:
    # continuous_update=False: query on Enter/blur, not on every keystroke.
    return w.Text(placeholder=placeholder, continuous_update=False, layout=w.Layout(width="150px"))


class Panel(FallbackBox):
    """Browse a store: runs (filter, sort, page, select, compare), artifacts, metrics, lineage.

    Tabs other than Runs are computed when first shown, and callbacks only run page-sized
    queries, so the panel opens at once on a store of any size.
    """

    def __init__(self, store: Store, page_size: int = PAGE_SIZE, **kwargs: Any) -> None:
        self.store = store
        self.page_size = page_size
        self.page_index = 0
        self.selected: dict[str, str] = {}  # run id -> ref, in selection order
        self.token = store.change_token()
        self.page: dict[str, Any] = {}
        self._dirty: set[int] = {ARTIFACTS, METRICS, LINEAGE}
        self._quiet = False
        self._suspend_pick = False
        self.refresh_button = w.Button(description="Refresh", icon="refresh",
                                       tooltip="Pick up what other cells and kernels wrote")
        self.status = w.HTML()
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.tabs = w.Tab(children=[self._build_runs(), self._build_artifacts(), self._build_metrics(),
                                    self._build_lineage()], titles=TAB_TITLES)
        self.tabs.observe(self._on_tab, names="selected_index")
        super().__init__(children=[w.HBox([self.refresh_button, self.status]), self.tabs], **kwargs)
        self.add_class("jp-Artifacts-panel")
        self.load_page()
        self._set_status("opened")

    # -- Runs -------------------------------------------------------------------
    def _build_runs(self) -> w.Widget:
        self.f_name, self.f_tag, self.f_notebook = _text("name"), _text("tag"), _text("notebook")
        self.f_columns = w.Text(placeholder="columns: lr, metrics.loss", continuous_update=False,
                                layout=w.Layout(width="230px"))
        self.f_status = w.Dropdown(options=STATUSES, value="", layout=w.Layout(width="130px"))
        self.f_filter = w.Text(placeholder="filter: metrics.acc > 0.9 and params.model = 'rf'",
                               continuous_update=False, layout=w.Layout(width="100%"))
        self.filter_error = w.HTML()
        self.sort = w.Dropdown(options=["started_at"], value="started_at", description="sort",
                               layout=w.Layout(width="230px"))
        self.descending = w.ToggleButton(value=True, description="↓ desc", layout=w.Layout(width="80px"))
        for control in (self.f_name, self.f_tag, self.f_notebook, self.f_status, self.sort, self.descending,
                        self.f_columns, self.f_filter):
            control.observe(self._on_filter, names="value")
        self.prev_button = w.Button(description="◀ prev", layout=w.Layout(width="80px"))
        self.next_button = w.Button(description="next ▶", layout=w.Layout(width="80px"))
        self.page_label = w.Label()
        self.prev_button.on_click(lambda _b: self.goto(self.page_index - 1))
        self.next_button.on_click(lambda _b: self.goto(self.page_index + 1))
        self.runs_html = html_widget()
        self.pick = w.SelectMultiple(description="select", rows=8, layout=w.Layout(width="360px"))
        self.pick.observe(self._on_pick, names="value")
        self.selection_label = w.HTML()
        self.clear_button = w.Button(description="Clear selection")
        self.clear_button.on_click(lambda _b: self._set_selection({}))
        self.compare_button = w.Button(description="Compare", button_style="primary", disabled=True,
                                       tooltip="Select two or more runs")
        self.compare_button.on_click(lambda _b: self.show_compare())
        self.compare_out = w.Output()
        return w.VBox([
            w.HBox([self.f_name, self.f_tag, self.f_status, self.f_notebook, self.f_columns]),
            self.f_filter, self.filter_error,
            w.HBox([self.sort, self.descending, self.prev_button, self.page_label, self.next_button]),
            self.runs_html,
            w.HBox([self.pick, w.VBox([self.selection_label,
                                       w.HBox([self.compare_button, self.clear_button])])]),
            self.compare_out,
        ])

    def load_page(self) -> None:
        """Run the one page query for the current filters, sort and page, and redraw the table."""
        params, metrics = parse_columns(self.f_columns.value)
        try:
            self.page = runs_page(
                self.store, page=self.page_index, page_size=self.page_size, name=self.f_name.value,
                tag=self.f_tag.value, status=self.f_status.value, notebook=self.f_notebook.value,
                order_by=self.sort.value, descending=self.descending.value,
                param_columns=params, metric_columns=metrics, filter=self.f_filter.value,
            )
        except FilterError as exc:  # keep the last page; say what is wrong and where
            self.filter_error.value = f'<span class="jp-Artifacts-error">{html.esc(str(exc))}</span>'
            return
        self.filter_error.value = ""
        current = self.sort.value
        options = sort_options(self.page)
        if current not in options:
            options.append(current)
        # Setting options resets a Dropdown's value: restore it without re-querying.
        self._quiet = True
        self.sort.options = options
        self.sort.value = current
        self._quiet = False
        self.page_label.value = (f"page {self.page_index + 1} / {self.page['pages']} "
                                 f"({self.page['total']:,} runs)")
        self.prev_button.disabled = self.page_index <= 0
        self.next_button.disabled = self.page_index + 1 >= self.page["pages"]
        self._suspend_pick = True
        self.pick.options = [(f'{r["ref"]}  {r["name"]}', r["id"]) for r in self.page["rows"]]
        self.pick.value = tuple(r["id"] for r in self.page["rows"] if r["id"] in self.selected)
        self._suspend_pick = False
        self._draw_runs()

    def goto(self, page_index: int) -> None:
        """Show another page (clamped to the existing ones)."""
        self.page_index = max(0, min(page_index, self.page.get("pages", 1) - 1))
        self.load_page()

    def _draw_runs(self) -> None:
        self.runs_html.value = html.runs_table(self.page, set(self.selected))
        n = len(self.selected)
        self.selection_label.value = (f"{n} selected: " + ", ".join(self.selected.values())) if n else \
            "Select runs to compare them and see their metrics."
        self.compare_button.disabled = n < 2

    def _on_filter(self, change: dict[str, Any]) -> None:
        if self._quiet:
            return
        if change["owner"] is self.descending:
            self.descending.description = "↓ desc" if change["new"] else "↑ asc"
        self.page_index = 0
        self.load_page()

    def _on_pick(self, change: dict[str, Any]) -> None:
        if self._suspend_pick:
            return
        on_page = {r["id"]: r["ref"] for r in self.page["rows"]}
        chosen = {k: v for k, v in self.selected.items() if k not in on_page}
        chosen.update({i: on_page[i] for i in change["new"]})
        self._set_selection(chosen)

    def _set_selection(self, selected: dict[str, str]) -> None:
        self.selected = selected
        self._dirty |= {METRICS, LINEAGE}
        if not selected:
            self._suspend_pick = True
            self.pick.value = ()
            self._suspend_pick = False
        self._draw_runs()

    def show_compare(self) -> CompareView | None:
        """Open the comparison of the selected runs below the table."""
        if len(self.selected) < 2:
            return None
        view = CompareView(self.store, list(self.selected.values()))
        self.compare_out.clear_output()
        with self.compare_out:
            display(view)
        return view

    # -- Artifacts --------------------------------------------------------------
    def _build_artifacts(self) -> w.Widget:
        self.a_search = _text("search names")
        self.a_names = w.Select(rows=12, layout=w.Layout(width="280px"))
        self.a_versions = w.Dropdown(description="version", layout=w.Layout(width="280px"))
        self.a_preview = html_widget()
        self.a_search.observe(lambda _c: self._load_artifacts(), names="value")
        self.a_names.observe(self._on_artifact, names="value")
        self.a_versions.observe(self._on_version, names="value")
        side = w.VBox([self.a_search, self.a_names, self.a_versions],
                      layout=w.Layout(min_width="300px", width="300px"))
        self.a_preview.layout = w.Layout(flex="1 1 auto", min_width="0")
        return w.HBox([side, self.a_preview])

    def _load_artifacts(self) -> None:
        items = artifact_list(self.store, search=self.a_search.value)
        current = self.a_names.value
        labels = [(f'{a["name"]}  ({a["kind"]}, v{a["latest"]}'
                   + "".join(f", {x}" for x in a["aliases"] if x != "latest") + ")", a["name"])
                  for a in items]
        self.a_names.options = labels
        names = [a["name"] for a in items]
        self.a_names.value = current if current in names else (names[0] if names else None)
        if not names:
            self.a_preview.value = html.artifact_list([])

    def _on_artifact(self, change: dict[str, Any]) -> None:
        if not change["new"]:
            self.a_versions.options = []
            return
        versions = version_list(self.store, change["new"])
        self.a_versions.options = [
            (v["ref"] + (f' [{", ".join(v["aliases"])}]' if v["aliases"] else "")
             + (" ⚠ stale" if v["stale"] else ""), v["ref"]) for v in versions]
        self.a_versions.value = versions[0]["ref"] if versions else None

    def _on_version(self, change: dict[str, Any]) -> None:
        if change["new"]:
            self.a_preview.value = html.preview(version_preview(self.store, change["new"]))

    # -- Metrics ----------------------------------------------------------------
    def _build_metrics(self) -> w.Widget:
        self.m_key = w.Dropdown(description="metric", layout=w.Layout(width="260px"))
        self.m_smoothing = w.FloatSlider(value=0.0, min=0.0, max=0.99, step=0.01, description="smoothing",
                                         continuous_update=False, layout=w.Layout(width="360px"))
        self.m_log = w.Checkbox(value=False, description="log scale", indent=False)
        self.m_x = w.ToggleButtons(options=["step", "time"], value="step", style={"button_width": "60px"})
        self.m_note = w.HTML()
        # Hidden until it holds a PNG: an empty Image shows a broken-image icon.
        self.m_image = w.Image(format="png", layout=w.Layout(max_width="100%", display="none"))
        self.m_table = html_widget()
        for control in (self.m_key, self.m_smoothing, self.m_log, self.m_x):
            control.observe(self._on_curve_control, names="value")
        return w.VBox([w.HBox([self.m_key, self.m_x, self.m_log]), self.m_smoothing, self.m_note,
                       self.m_image, self.m_table])

    def metric_runs(self) -> list[str]:
        """The runs the Metrics and Lineage tabs show: the selection, else the page's first
        three runs that logged metrics (else its first run)."""
        if self.selected:
            return list(self.selected.values())
        rows = self.page.get("rows", [])
        with_metrics = [r["ref"] for r in rows if r["metrics"]][:3]
        return with_metrics or [r["ref"] for r in rows[:1]]

    def _load_metrics(self) -> None:
        refs = self.metric_runs()
        table = metric_table(self.store, refs)
        self.m_table.value = html.metric_table(table)
        self._metric_keys = table["keys"]
        current = self.m_key.value
        self._quiet = True  # one draw below, not one per option change
        self.m_key.options = [("all", ""), *((k, k) for k in table["keys"])]
        self.m_key.value = current if current in table["keys"] else ""
        self._quiet = False
        self.m_note.value = f"<small>runs: {html.esc(', '.join(refs)) or 'none'}</small>"
        self._draw_curves()

    def _on_curve_control(self, _change: dict[str, Any]) -> None:
        if not self._quiet:
            self._draw_curves()

    def _draw_curves(self) -> None:
        refs = self.metric_runs()
        keys = [self.m_key.value] if self.m_key.value else getattr(self, "_metric_keys", [])
        curves = metric_curves(self.store, refs, keys, x_axis=self.m_x.value,
                               smoothing=self.m_smoothing.value)
        png = curves_png(curves, log_scale=self.m_log.value)
        self.m_image.value = png or b""
        self.m_image.layout.display = "" if png else "none"

    # -- Lineage ----------------------------------------------------------------
    def _build_lineage(self) -> w.Widget:
        self.l_root = w.Dropdown(description="around", layout=w.Layout(width="360px"))
        self.l_root.observe(self._on_root, names="value")
        self.l_view: LineageView | None = None
        self.l_box = w.VBox()
        return w.VBox([self.l_root, self.l_box])

    def _load_lineage(self) -> None:
        runs = [(f"{ref} (run)", ref) for ref in self.metric_runs()]
        latest = [f'{a["name"]}:v{a["latest"]}' for a in artifact_list(self.store)]
        arts = [(ref, ref) for ref in latest]
        current = self.l_root.value
        values = [v for _, v in runs + arts]
        self._quiet = True
        self.l_root.options = runs + arts
        self.l_root.value = current if current in values else (values[0] if values else None)
        self._quiet = False
        self._on_root({"new": self.l_root.value})

    def _on_root(self, change: dict[str, Any]) -> None:
        if self._quiet:
            return
        if not change["new"]:
            self.l_box.children = [w.HTML(html.box("Nothing recorded yet."))]
            return
        graph = self.store.lineage(change["new"])
        if self.l_view is None:
            self.l_view = LineageView(self.store, graph)
            self.l_box.children = [self.l_view]
        else:
            self.l_view.set_graph(graph)

    # -- tabs, refresh, fallback -------------------------------------------------
    def _on_tab(self, change: dict[str, Any]) -> None:
        self._render(change["new"])

    def _render(self, index: int | None, force: bool = False) -> None:
        if index is None or (index not in self._dirty and not force):
            return
        self._dirty.discard(index)
        try:
            if index == ARTIFACTS:
                self._load_artifacts()
            elif index == METRICS:
                self._load_metrics()
            elif index == LINEAGE:
                self._load_lineage()
        except ArtifactsError as exc:  # e.g. a run deleted by another process meanwhile
            self._set_status(f"error: {exc}")

    def refresh(self, force: bool = False) -> bool:
        """Reload if another cell or kernel committed since; returns whether anything changed."""
        token = self.store.change_token()
        changed = force or token != self.token
        self.token = token
        if changed:
            self.load_page()
            self._dirty = {ARTIFACTS, METRICS, LINEAGE}
            self._render(self.tabs.selected_index)
        self._set_status("refreshed" if changed else "no changes")
        return changed

    def _set_status(self, what: str) -> None:
        self.status.value = (f'<span style="color:{html.FG2};font-size:12px">{html.esc(what)} · '
                             f'{time.strftime("%H:%M:%S")}</span>')

    def static_html(self) -> str:
        return html.box(
            "<h4>Runs</h4>" + html.runs_table(self.page, set(self.selected))
            + "<h4>Artifacts</h4>" + html.artifact_list(artifact_list(self.store)[:50]),
            # No store path: an exported notebook should not reveal the author's folders.
            title="jupyter-artifacts",
        )
