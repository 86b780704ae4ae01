"""The store core: a content-addressed object folder and a SQLite catalog.

This package imports nothing from Jupyter, IPython or pandas, so the CLI, the kernel and
the server share it cheaply.
"""

from .discovery import ENV_VAR, STORE_DIRNAME, find_store_dir, resolve_store_dir
from .maintenance import TREE_MEDIA_TYPE, GcReport, VerifyReport
from .objects import LocalObjectStore
from .objectstore import ObjectStore
from .records import ArtifactVersion, Run, RunPage
from .store import Store

__all__ = [
    "ENV_VAR", "STORE_DIRNAME", "TREE_MEDIA_TYPE", "ArtifactVersion", "GcReport", "LocalObjectStore",
    "ObjectStore",
    "Run", "RunPage", "Store", "VerifyReport", "find_store_dir", "resolve_store_dir",
]
