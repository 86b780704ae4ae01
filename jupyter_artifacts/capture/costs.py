"""What tracking cost each cell: recorded on the run, shown in the summary and ``%artifacts costs``.

A run's ``metadata["tracking_cost"]`` holds ``critical_ms`` (time our hooks added before the
cell's reply), ``captures`` (ms per stored value on that path) and, once the cell's
background jobs (SVGs, models) are done, ``background_ms``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from ..store import Run, Store

KEY = "tracking_cost"
# A value bigger than this would hold the cell for seconds while it is hashed and written:
# it is not stored unless asked for with ``--save``.
DEFAULT_BUDGET_MB = 2048


def budget_bytes() -> int:
    """The capture budget per value (``JUPYTER_ARTIFACTS_CAPTURE_BUDGET_MB``, default 2 GB)."""
    try:
        return int(float(os.environ.get("JUPYTER_ARTIFACTS_CAPTURE_BUDGET_MB", DEFAULT_BUDGET_MB)) * 2**20)
    except ValueError:
        return DEFAULT_BUDGET_MB * 2**20


def over_budget(name: str, size: int) -> str | None:
    """The one-line notice for a value over the budget, else None."""
    budget = budget_bytes()
    if size <= budget:
        return None
    return (f"{name} ({size / 2**30:.1f} GB) not stored: over the capture budget of "
            f"{budget / 2**30:.1f} GB per value; %%track --save {name} stores it")


def cost_record(critical_s: float, capture_s: dict[str, float]) -> dict[str, Any]:
    slow = sorted(capture_s.items(), key=lambda kv: -kv[1])[:8]
    return {"critical_ms": round(critical_s * 1000, 1),
            "captures": {name: round(sec * 1000, 1) for name, sec in slow}}


def save_cost(store: Store, run_id: str, cost: dict[str, Any],
              metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """Merge ``cost`` into the run's ``tracking_cost`` record (``metadata``: the run's, if
    the caller has it); return the run's new metadata."""
    metadata = dict(store.get_run(run_id).metadata if metadata is None else metadata)
    metadata[KEY] = {**metadata.get(KEY, {}), **cost}
    store.update_run(run_id, metadata=metadata)
    return metadata


def when_background_done(futures: list[Future[Any]], done: Callable[[float], None]) -> None:
    """Call ``done(seconds)`` once every future has finished, with their summed run time."""
    if not futures:
        return
    remaining = [len(futures)]
    lock = threading.Lock()

    def one_done(_: Future[Any]) -> None:
        with lock:
            remaining[0] -= 1
            if remaining[0]:
                return
        done(sum(getattr(f, "seconds", 0.0) for f in futures))

    for future in futures:
        future.add_done_callback(one_done)


def cost_text(run: Run) -> str:
    """``tracking 12 ms (+340 ms in background)`` for a run with a cost record, else ``""``."""
    cost = run.metadata.get(KEY)
    if not cost:
        return ""
    text = f"tracking {cost['critical_ms']:.0f} ms"
    if "background_ms" in cost:
        text += f" (+{cost['background_ms']:.0f} ms in background)"
    return text


def slowest(store: Store, limit: int = 10, scan: int = 500) -> list[dict[str, Any]]:
    """The recent runs whose tracking cost the most on the critical path, slowest first."""
    rows = []
    for run in store.query_runs(limit=scan).runs:
        cost = run.metadata.get(KEY)
        if cost:
            slow = next(iter(cost.get("captures", {}).items()), None)
            rows.append({"run": run.ref, "name": run.name, "critical_ms": cost["critical_ms"],
                         "background_ms": cost.get("background_ms"),
                         "slowest_capture": f"{slow[0]} ({slow[1]:.0f} ms)" if slow else ""})
    rows.sort(key=lambda r: -r["critical_ms"])
    return rows[:limit]
