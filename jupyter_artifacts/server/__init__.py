"""The jupyter_server extension: a read-mostly REST API over the artifact store."""

from __future__ import annotations

from typing import Any

from .config import JupyterArtifacts
from .handlers import setup_handlers
from .service import StoreService

__all__ = ["JupyterArtifacts", "StoreService"]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "jupyter_artifacts.server"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    """Read ``c.JupyterArtifacts``, put a :class:`StoreService` in the settings, add routes."""
    config = JupyterArtifacts(parent=server_app)
    service = StoreService(
        config.store_dir or None, root_dir=server_app.root_dir, allow_writes=config.allow_writes
    )
    setup_handlers(server_app.web_app, service)
    where = service.location()
    server_app.log.info(
        "jupyter-artifacts: serving %s (writes %s)",
        where if where is not None else "no store yet",
        "allowed" if config.allow_writes else "off",
    )
