"""Scale: the panel's first page over 100,000 runs, and a 20-run x 10,000-step comparison.

These assert on work done (rows built, points drawn), never on time; the timings are in
``benchmarks/bench_widgets.py``.
"""

from __future__ import annotations

import time

import pytest

from jupyter_artifacts.store import Run, Store
from jupyter_artifacts.widgets import comparison as cmp
from jupyter_artifacts.widgets import panel
from jupyter_artifacts.widgets.series import MAX_POINTS

from .conftest import add_bulk_runs


@pytest.fixture
def counted_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the Run records the store builds (each one is a row read from the catalog)."""
    built = [0]
    original = Run.from_row.__func__  # type: ignore[attr-defined]

    def counting(cls: type[Run], row: object) -> Run:
        built[0] += 1
        return original(cls, row)

    monkeypatch.setattr(Run, "from_row", classmethod(counting))
    return built


def test_panel_over_100k_runs_builds_one_page(store: Store, counted_runs: list[int]) -> None:
    add_bulk_runs(store, 100_000)
    counted_runs[0] = 0
    p = panel(store, page_size=25)
    assert p.page["total"] == 100_004
    assert len(p.page["rows"]) == 25 and counted_runs[0] == 25
    p.goto(p.page["pages"] - 1)
    # The bulk runs started in 2023, before the fixture's: the oldest is run-5.
    assert [r["ref"] for r in p.page["rows"]][-1] == "run-5" and counted_runs[0] == 25 + 4
    p.f_name.value = "sweep-5"  # matches sweep-5 and sweep-50..59
    assert p.page_index == 0 and len(p.page["rows"]) == 25 and counted_runs[0] == 25 + 4 + 25


def test_compare_20_runs_of_10k_steps_is_downsampled(store: Store) -> None:
    refs = []
    rows = []
    for i in range(20):
        run = store.create_run(f"long-{i}", params={"lr": 10.0 ** -(i % 5), "seed": i})
        refs.append(run.ref)
        now = time.time()
        rows += [(run.id, "loss", step, 1.0 / (1 + step * (i + 1) / 1000), now + step)
                 for step in range(10_000)]
        store.finish_run(run.id)
    store.log_metrics(rows)
    data = cmp.comparison(store, refs)
    series = data["curves"]["series"]["loss"]
    assert len(series) == 20
    assert all(s["stored_points"] == 10_000 for s in series)
    drawn = sum(len(s["x"]) for s in series)
    assert drawn <= 20 * MAX_POINTS < 20 * 10_000
    assert all(s["x"][0] == 0 and s["x"][-1] == 9_999 for s in series)
    assert store.metric_summary(refs[0])["loss"]["count"] == 10_000  # stored data untouched
