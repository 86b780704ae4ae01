"""Where a store's catalog and objects live when they are not both in the folder.

A store folder may hold a small ``store.json`` naming a team store, so discovery
(``$JUPYTER_ARTIFACTS_DIR``, the nearest ``.artifacts/``) finds it with no code change::

    {"catalog": "postgresql://db.example.com/artifacts", "objects": "s3://bucket/prefix"}

Both keys are optional: without ``catalog`` the folder's ``catalog.sqlite`` is used, without
``objects`` the folder's ``objects/``. ``$JUPYTER_ARTIFACTS_CATALOG`` overrides ``catalog``.
Nothing secret belongs here: a catalog URL with a password is refused (libpq reads it from
``PGPASSWORD`` or ``~/.pgpass``; S3 credentials come the standard AWS way).
"""

from __future__ import annotations

import json
import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from ..errors import StoreError
from .catalog import is_catalog_url

CONFIG_NAME = "store.json"
CATALOG_ENV = "JUPYTER_ARTIFACTS_CATALOG"


@dataclass(frozen=True)
class StoreConfig:
    """The catalog URL (None: the folder's SQLite file) and objects location (None: the
    folder's ``objects/``) of a store folder."""

    catalog: str | None = None
    objects: str | None = None


def has_password(url: str) -> bool:
    """Whether a libpq URL carries a password (in its user part or its query string)."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    return parts.password is not None or "password" in query


def check_catalog_url(url: str, source: str) -> str:
    """``url`` if it names a PostgreSQL catalog without a password, else a clear StoreError."""
    if not is_catalog_url(url):
        raise StoreError(f"{source}: the catalog must be a postgresql:// URL, not {url!r}")
    if has_password(url):
        raise StoreError(f"{source}: the catalog URL contains a password; remove it and give "
                         "it through PGPASSWORD or ~/.pgpass (a store never keeps one)")
    return url


def read_config(root: Path) -> StoreConfig:
    """The store folder's configuration (``store.json`` and the environment)."""
    path = Path(root) / CONFIG_NAME
    data: dict[str, object] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
    else:
        try:
            loaded = json.loads(text)
        except ValueError as exc:
            raise StoreError(f"{path} is not valid JSON: {exc}") from None
        if not isinstance(loaded, dict) or any(
                not isinstance(loaded.get(k), str | None) for k in ("catalog", "objects")):
            raise StoreError(f'{path} must be an object like {{"catalog": "postgresql://host/db",'
                             ' "objects": "s3://bucket/prefix"}')
        data = loaded
    catalog = os.environ.get(CATALOG_ENV) or data.get("catalog")
    if catalog:
        source = CATALOG_ENV if os.environ.get(CATALOG_ENV) else str(path)
        catalog = check_catalog_url(str(catalog), source)
    objects = data.get("objects")
    return StoreConfig(catalog=str(catalog) if catalog else None,
                       objects=str(objects) if objects else None)


def write_config(root: Path, catalog: str) -> None:
    """Name ``catalog`` in a new store folder's ``store.json`` (kept if one exists), so
    discovery, the CLI and the server find the team catalog."""
    path = Path(root) / CONFIG_NAME
    if path.exists():
        return
    check_catalog_url(catalog, "the catalog")
    staged = path.with_name(f".{CONFIG_NAME}.{os.getpid()}")
    staged.write_text(json.dumps({"catalog": catalog}, indent=2) + "\n", encoding="utf-8")
    os.replace(staged, path)
