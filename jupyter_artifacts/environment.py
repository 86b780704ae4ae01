"""What a run ran on: Python, platform, installed packages and the git state (stdlib only)."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import threading
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
    for entry in _site_folders():
        try:
            token.append(os.stat(entry).st_mtime_ns)
        except OSError:
            token.append(None)
    return tuple(token)


def _site_folders() -> tuple[str, ...]:
    return tuple(entry for entry in sys.path if entry.endswith(("site-packages", "dist-packages")))


def python_environment() -> dict[str, Any]:
    """Python version, platform and installed distributions.

    Listing distributions takes ~100 ms, so the result is kept until a package folder on the
    import path changes (a `%pip install` in the notebook does that).
    """
    global _cached
    token = _site_token()
    listing = _kept_listing(token)
    if listing is None:
        listing = _list_environment()
        _write_listing(token, listing)
        _cached = (token, listing)
    return listing


def environment_ready() -> bool:
    """Whether :func:`python_environment` would answer at once: a current listing is kept in
    memory, or one made by an earlier process with the same import path is on disk."""
    return _kept_listing(_site_token()) is not None


def _kept_listing(token: tuple[object, ...]) -> dict[str, Any] | None:
    """The listing for ``token`` from memory, else from disk (then kept in memory too)."""
    global _cached
    if _cached is not None and _cached[0] == token:
        return _cached[1]
    listing = _read_listing(token)
    if listing is not None:
        _cached = (token, listing)
    return listing


def _listing_file(token: tuple[object, ...]) -> Path:
    """Where a listing for this interpreter and import path is kept between processes: a
    kernel restart (or the next notebook) reads it in about a millisecond instead of walking
    every installed distribution again (100 ms of CPU, holding the kernel's GIL)."""
    # Keyed by the package folders only: a kernel's import path also starts with the folder
    # it was started in, which differs from notebook to notebook but holds no installs.
    key = hashlib.sha256(repr((sys.executable, sys.version, token[1:], _site_folders())).encode())
    key_text = key.hexdigest()[:32]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "jupyter-artifacts" / "environments" / f"{key_text}.json"


def _read_listing(token: tuple[object, ...]) -> dict[str, Any] | None:
    """A listing kept on disk, or None when there is none or it is not a well-formed one (the
    file is outside the store but still checked: anything may have written it)."""
    try:
        listing = json.loads(_listing_file(token).read_text(encoding="utf-8"))
    except (OSError, ValueError, RuntimeError):  # RuntimeError: no home folder to resolve
        return None
    if not (isinstance(listing, dict) and set(listing) == {"python", "platform", "packages"}
            and listing["python"] == sys.version.split()[0]
            and isinstance(listing["platform"], str) and isinstance(listing["packages"], dict)
            and all(isinstance(k, str) and isinstance(v, str)
                    for k, v in listing["packages"].items())):
        return None
    return listing


def _write_listing(token: tuple[object, ...], listing: dict[str, Any]) -> None:
    """Keep ``listing`` for later processes; a cache that cannot be written is no error."""
    try:
        path = _listing_file(token)
        path.parent.mkdir(parents=True, exist_ok=True)
    except (OSError, RuntimeError):
        return
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.write_text(json.dumps(listing), encoding="utf-8")
        os.replace(tmp, path)  # whole or absent, with kernels writing it at once
    except OSError:
        tmp.unlink(missing_ok=True)


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
