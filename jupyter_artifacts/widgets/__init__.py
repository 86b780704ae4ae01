"""Inline widgets: ``ja.panel()``, ``ja.compare(*refs)`` and the lineage widget.

View models (store -> plain data) live apart from the ipywidgets views so they are tested
as data; every view also renders as static HTML where widgets cannot.
"""

from __future__ import annotations

from ..store import Store
from .base import resolve_store
from .compare_view import CompareView
from .lineage_view import LineageView
from .panel import Panel

__all__ = ["CompareView", "LineageView", "Panel", "compare", "panel"]


def panel(store: Store | str | None = None, *, page_size: int = 25) -> Panel:
    """The artifact panel: Runs, Artifacts, Metrics and Lineage tabs over ``store``.

    ``store`` is a :class:`Store`, a path, or None for this process's default store.
    """
    return Panel(resolve_store(store), page_size=page_size)


def compare(*refs: str, store: Store | str | None = None) -> CompareView:
    """Compare two or more runs (``"run-17"``, an id prefix or a run name) side by side."""
    if len(refs) == 1 and isinstance(refs[0], list | tuple):
        refs = tuple(refs[0])
    return CompareView(resolve_store(store), [str(r) for r in refs])


