"""``GET cells/<cell_id>?notebook=PATH``: from a notebook cell to the run it was recorded as."""

from __future__ import annotations

from pathlib import Path

import tornado.web
from jupyter_server.auth.decorator import authorized

from ..errors import InvalidReferenceError
from ..reproduce.cells import run_for_cell
from . import queries
from .base import ArtifactsHandler


def inside_root(notebook: str, root_dir: Path) -> Path:
    """``notebook`` (relative to the server's root) as a path that stays inside the root."""
    root = root_dir.resolve()
    full = (root / notebook).resolve()
    if not full.is_relative_to(root) or full.suffix != ".ipynb":
        raise InvalidReferenceError(f"{notebook!r} is not a notebook under the server's root")
    return full


class CellRunHandler(ArtifactsHandler):
    """The run a cell's saved output names (else the notebook's latest run of that cell),
    in the shape of ``runs/<ref>``."""

    @tornado.web.authenticated
    @authorized
    async def get(self, cell_id: str) -> None:
        notebook = self.get_argument("notebook", None)
        if not notebook:
            raise InvalidReferenceError("say which notebook: ?notebook=PATH")
        path = inside_root(notebook, Path(self.service.root_dir))
        run = await self.blocking(run_for_cell, path, cell_id, store=self.store)
        self.reply(await self.blocking(queries.run_detail, self.store, run.id, self.service.root_dir))
