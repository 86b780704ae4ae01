"""What every widget here shares: a static ``text/html`` rendering next to the widget view."""

from __future__ import annotations

from typing import Any

import ipywidgets as w


class FallbackBox(w.VBox):
    """A VBox whose display bundle also carries ``text/html``.

    Frontends with widget support render the widget view; nbconvert HTML, GitHub and other
    viewers without a live kernel pick the static HTML instead of an empty box.
    """

    def static_html(self) -> str:
        """The static HTML shown where widgets cannot render."""
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        if data is not None:
            data["text/html"] = self.static_html()
        return bundle


def html_widget(value: str = "") -> w.HTML:
    """An HTML widget that takes the full width (the default squeezes wide tables)."""
    return w.HTML(value=value, layout=w.Layout(width="100%"))


def resolve_store(store: Any) -> Any:
    """The given store, a store opened at a path, or the process's default store."""
    from .. import tracking
    from ..store import Store

    if store is None:
        return tracking.default_store()
    # A path given to a view is only read: never create, migrate or write a store there.
    return store if isinstance(store, Store) else Store.open(store, readonly=True)
