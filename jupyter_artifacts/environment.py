"""What a run ran on: Python, platform, installed packages and the git state (stdlib only)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

_cached: tuple[tuple[object, ...], dict[str, Any]] | None = None


def _site_token() -> tuple[object, ...]:
    """What changes when a package is installed: the import path itself, and the
    modification times of its package folders (`%pip install` adds a ``*.dist-info`` there).

    Only folders named ``site-packages``/``dist-packages``: the working directory is on the
    path too, and a notebook that writes a file there would otherwise force a relisting.
    """
    token: list[object] = [tuple(sys.path)]
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")):
            try:
                token.append(os.stat(entry).st_mtime_ns)
            except OSError:
                token.append(None)
    return tuple(token)


def python_environment() -> dict[str, Any]:
    """Python version, platform and installed distributions.

    Listing distributions takes ~100 ms, so the result is kept until a package folder on the
    import path changes (a `%pip install` in the notebook does that).
    """
    global _cached
    token = _site_token()
    if _cached is not None and _cached[0] == token:
        return _cached[1]
    _cached = (token, _list_environment())
    return _cached[1]


def environment_ready() -> bool:
    """Whether :func:`python_environment` would answer at once (a current listing is kept)."""
    return _cached is not None and _cached[0] == _site_token()


def _list_environment() -> dict[str, Any]:
    packages: dict[str, str] = {}
    for dist in metadata.distributions():
        try:
            name = dist.name
        except OSError:
            # A dist-info folder with no METADATA (an install under way): the stdlib says None,
            # but once importlib_metadata is imported (mlflow, opentelemetry) its finder raises.
            continue
        if name:
            packages[name.lower()] = dist.version
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": dict(sorted(packages.items())),
    }


def git_state(path: str | Path) -> tuple[str | None, bool | None]:
    """The commit and dirty flag of the git repository containing ``path``, if any."""
    folder = Path(path)
    folder = folder if folder.is_dir() else folder.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=5
        )
        if commit.returncode != 0:
            return None, None
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=folder,
            capture_output=True, text=True, timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit.stdout.strip(), bool(status.stdout.strip())
