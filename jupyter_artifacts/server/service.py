"""Finding and opening the store on behalf of the request handlers."""

from __future__ import annotations

import threading
from pathlib import Path

from ..errors import StoreNotFoundError
from ..store import Store, find_store_dir


class StoreService:
    """Opens the store lazily and keeps it open; never creates one.

    A store that does not exist yet (no tracked cell has run) is looked for again on each
    request, so the sidebar picks it up as soon as a kernel creates it.

    Parameters
    ----------
    store_dir
        An explicit store folder, or ``None`` to discover one from ``root_dir``.
    root_dir
        Where discovery starts: the Jupyter server's root directory.
    allow_writes
        Whether write routes (aliases, tags) are enabled.
    """

    def __init__(self, store_dir: str | None, root_dir: str | Path, allow_writes: bool) -> None:
        self.store_dir = Path(store_dir).expanduser() if store_dir else None
        self.root_dir = Path(root_dir).expanduser()
        self.allow_writes = allow_writes
        self._store: Store | None = None
        self._lock = threading.Lock()

    def location(self) -> Path | None:
        """The folder the store is (or would be) in, or ``None`` when discovery finds none."""
        if self.store_dir is not None:
            return self.store_dir.resolve()
        return find_store_dir(self.root_dir)

    def get(self) -> Store | None:
        """The open store, or ``None`` when there is no store yet."""
        if self._store is not None:
            return self._store
        with self._lock:
            if self._store is None:
                location = self.location()
                if location is None:
                    return None
                try:
                    # Read-only unless write routes are on: serving never creates, migrates
                    # beyond an upgrade, or writes, and works on a read-only folder.
                    self._store = Store.open(location, create=False,
                                             readonly=not self.allow_writes)
                except StoreNotFoundError:
                    return None
            return self._store

    def require(self) -> Store:
        """The open store; :class:`StoreNotFoundError` when there is none."""
        store = self.get()
        if store is None:
            raise StoreNotFoundError(self.missing_message())
        return store

    def missing_message(self) -> str:
        """Why there is no store, in words a user can act on."""
        where = self.store_dir or self.root_dir
        return (
            f"No artifact store found for {where}: run a %%track cell to create one, "
            "or set c.JupyterArtifacts.store_dir."
        )

    def close(self) -> None:
        """Close the store if it was opened."""
        if self._store is not None:
            self._store.close()
            self._store = None
