"""Finding the store folder, the way git finds ``.git``."""

from __future__ import annotations

import os
from pathlib import Path

STORE_DIRNAME = ".artifacts"
ENV_VAR = "JUPYTER_ARTIFACTS_DIR"


def find_store_dir(start: str | os.PathLike[str] | None = None) -> Path | None:
    """Return the store folder to use, without creating one.

    Order: ``$JUPYTER_ARTIFACTS_DIR``, then the nearest ``.artifacts/`` walking up from
    ``start`` (default: the working directory). ``None`` when there is none.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser().resolve()
    here = Path(start if start is not None else os.getcwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / STORE_DIRNAME
        if candidate.is_dir():
            return candidate
    return None


def resolve_store_dir(
    path: str | os.PathLike[str] | None = None, start: str | os.PathLike[str] | None = None
) -> Path:
    """Explicit path > ``$JUPYTER_ARTIFACTS_DIR`` > nearest ``.artifacts/`` > ``./.artifacts``."""
    if path is not None:
        return Path(path).expanduser().resolve()
    found = find_store_dir(start)
    if found is not None:
        return found
    return Path(start if start is not None else os.getcwd()).resolve() / STORE_DIRNAME
