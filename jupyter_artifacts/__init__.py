"""jupyter-artifacts: notebook-native tracking of ML runs, artifacts and lineage.

``import jupyter_artifacts as ja`` is cheap: the API loads on first use, and pandas,
pyarrow and matplotlib only when an object of theirs is seen.
"""

from __future__ import annotations

from typing import Any

from .errors import (
    AmbiguousReferenceError,
    ArtifactsError,
    InvalidReferenceError,
    InvalidValueError,
    NoActiveRunError,
    NotFoundError,
    NotStoredError,
    StoreError,
    UnsupportedObjectError,
    UntrustedPickleError,
)

__version__ = "0.1.0"

_API = {
    "open_store", "save", "load", "export", "log_param", "log_params", "log_metric",
    "log_metrics", "run", "alias", "remove_alias", "runs", "artifacts", "keys", "versions", "get_run",
    "push", "pull", "restore",
}
_LAZY = {"configure": "jupyter_artifacts.settings", "lineage": "jupyter_artifacts.graph",
         "panel": "jupyter_artifacts.widgets", "compare": "jupyter_artifacts.widgets",
         "bundle": "jupyter_artifacts.ship.api",
         "run_for_cell": "jupyter_artifacts.reproduce.cells",
         "replay": "jupyter_artifacts.reproduce.replay"}

__all__ = [
    "AmbiguousReferenceError", "ArtifactsError", "InvalidReferenceError", "InvalidValueError",
    "NoActiveRunError", "NotFoundError", "NotStoredError", "StoreError", "UnsupportedObjectError",
    "UntrustedPickleError",
    *sorted(_API), *sorted(_LAZY),
]


def __getattr__(name: str) -> Any:
    import importlib

    if name in _API or name in _LAZY:
        value = getattr(importlib.import_module(_LAZY.get(name, "jupyter_artifacts.api")), name)
        globals()[name] = value  # later look-ups skip __getattr__ (log_metric is hot)
        return value
    raise AttributeError(f"module 'jupyter_artifacts' has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jupyter_artifacts``: register ``%%track`` and ``%artifacts``."""
    from .capture import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext jupyter_artifacts``: remove every hook the extension added."""
    from .capture import unload_ipython_extension as unload

    unload(ipython)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-artifacts"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "jupyter_artifacts.server"}]
