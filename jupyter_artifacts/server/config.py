"""Configuration of the jupyter-artifacts server extension."""

from __future__ import annotations

from traitlets import Bool, Unicode
from traitlets.config import Configurable


class JupyterArtifacts(Configurable):
    """Settings read from ``c.JupyterArtifacts.*`` in the Jupyter server configuration."""

    store_dir = Unicode(
        "",
        help=(
            "The store folder the REST API reads. Empty: discover it as the kernel does, "
            "$JUPYTER_ARTIFACTS_DIR or the nearest .artifacts/ walking up from the server's "
            "root_dir. The server never creates a store."
        ),
    ).tag(config=True)

    allow_writes = Bool(
        False,
        help=(
            "Allow the REST API to change the catalog (add aliases and tags). "
            "Off by default: the sidebar is a viewer."
        ),
    ).tag(config=True)
