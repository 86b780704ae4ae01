"""The panel's filter field takes a filter-language expression; a mistake is shown, not raised."""

from __future__ import annotations

from jupyter_artifacts.store import Store
from jupyter_artifacts.widgets import panel


def test_filter_field_narrows_the_runs_and_reports_mistakes(store: Store) -> None:
    p = panel(store)
    p.f_filter.value = "metrics.loss IS NOT NULL and tags.baseline = 'true'"
    assert [r["ref"] for r in p.page["rows"]] == ["run-3", "run-2"]
    assert "(2 runs)" in p.page_label.value and p.filter_error.value == ""
    p.f_filter.value = "metrics.loss >"
    assert "column 15" in p.filter_error.value
    assert [r["ref"] for r in p.page["rows"]] == ["run-3", "run-2"]  # the last good page stays
    p.f_filter.value = "metrics.los > 0"
    assert "did you mean loss" in p.filter_error.value
