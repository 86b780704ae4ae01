"""``ja.compare(*refs)``: two or more runs side by side."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as w

from ..store import Store
from . import html_compare
from .base import FallbackBox, html_widget
from .comparison import compare_params, comparison
from .html import FG2, box, esc, img, status_badge
from .plots import curves_png, png_b64
from .viewmodels import metric_curves


def _heading(text: str) -> w.HTML:
    return w.HTML(f'<h4 style="margin:12px 0 2px">{esc(text)}</h4>')


class CompareView(FallbackBox):
    """Params (differing only, or all), metrics with the best highlighted, overlaid curves,
    artifacts matched by name and the cells' code diff."""

    def __init__(self, store: Store, run_refs: Sequence[str], **kwargs: Any) -> None:
        self.store = store
        self.data = comparison(store, run_refs)
        self.refs = [r["ref"] for r in self.data["runs"]]
        self.all_params = w.Checkbox(value=False, description="show all params", indent=False)
        self.x_axis = w.ToggleButtons(options=[("step", "step"), ("time", "time")], value="step",
                                      style={"button_width": "60px"})
        self.log_scale = w.Checkbox(value=False, description="log scale", indent=False)
        self.params_html = html_widget(html_compare.params(self.data["params"]))
        self.metrics_html = html_widget(html_compare.metrics(self.data["metrics"]))
        self.curves = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self._curves_png = curves_png(self.data["curves"])
        self.curves.value = self._curves_png or b""
        self.curves.layout.display = "" if self._curves_png else "none"
        self.all_params.observe(self._on_params, names="value")
        self.x_axis.observe(self._on_curves, names="value")
        self.log_scale.observe(self._on_curves, names="value")
        super().__init__(children=[
            html_widget(self._header()),
            _heading("Params"), self.all_params, self.params_html,
            _heading("Metrics"), self.metrics_html,
            _heading("Curves"), w.HBox([self.x_axis, self.log_scale]), self.curves,
            _heading("Artifacts"), html_widget(html_compare.artifacts(self.data["artifacts"], self.refs)),
            _heading("Code"), html_widget(html_compare.code(self.data["code"])),
        ], **kwargs)
        self.add_class("jp-Artifacts-compare")

    def _header(self) -> str:
        runs = " · ".join(f'<b>{esc(r["ref"])}</b> {esc(r["name"])} {status_badge(r["status"])}'
                          for r in self.data["runs"])
        return box(f'<div style="font-size:13px">Comparing {runs}</div>')

    def _on_params(self, change: dict[str, Any]) -> None:
        self.data["params"] = compare_params(self.store, self.refs, only_differing=not change["new"])
        self.params_html.value = html_compare.params(self.data["params"])

    def _on_curves(self, change: dict[str, Any]) -> None:
        # Bounded work: the stored series are read once more but only ~600 points/run are drawn.
        self.data["curves"] = metric_curves(self.store, self.refs, self.data["curves"]["keys"],
                                            x_axis=self.x_axis.value)
        self._curves_png = curves_png(self.data["curves"], log_scale=self.log_scale.value)
        self.curves.value = self._curves_png or b""

    def static_html(self) -> str:
        d = self.data
        curves = img(png_b64(self._curves_png), "metric curves") if self._curves_png else \
            f'<div style="color:{FG2}">No shared metrics.</div>'
        sections = [
            self._header(),
            "<h4>Params</h4>", html_compare.params(d["params"]),
            "<h4>Metrics</h4>", html_compare.metrics(d["metrics"]),
            "<h4>Curves</h4>", curves,
            "<h4>Artifacts</h4>", html_compare.artifacts(d["artifacts"], self.refs),
            "<h4>Code</h4>", html_compare.code(d["code"]),
        ]
        return box("".join(sections))
