"""What a run ran on: Python, platform, installed packages and the git state (stdlib only)."""

from __future__ import annotations

import functools
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any


@functools.lru_cache(maxsize=1)
def python_environment() -> dict[str, Any]:
    """Python version, platform and installed distributions; computed once per process."""
    packages: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.name
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
