"""Where a store's objects live: ``objects=``, ``$JUPYTER_ARTIFACTS_OBJECTS`` or the
``objects`` key of the store folder's ``store.json``::

    {"objects": "s3://bucket/prefix", "catalog": "postgresql://host/db"}

(the catalog side reads ``catalog``; once both are on main, :func:`load_store_config`
and the catalog's ``read_config`` in ``config.py`` are one loader). Only locations are
written there, never a secret: credentials come the standard ways (``AWS_*`` variables or
profiles for S3, ``PG*`` variables or ``.pgpass`` for PostgreSQL), and a location with a
password or a key in it is refused, so it never lands in a file people copy and share.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from ..errors import StoreError

CONFIG_NAME = "store.json"
KEYS = ("catalog", "objects")
OBJECTS_ENV = "JUPYTER_ARTIFACTS_OBJECTS"
#: Query parameters that carry a secret (signed URLs, connection strings).
_SECRET_PARAMS = {"password", "passwd", "secret", "token", "sslpassword", "x-amz-signature",
                  "x-amz-credential", "x-amz-security-token", "aws_secret_access_key",
                  "aws_session_token", "sig", "signature"}


def check_no_secret(url: str, what: str = "URL") -> str:
    """Return ``url`` unchanged, or raise :class:`StoreError` if it embeds a secret.

    The message never repeats the URL (it holds the secret).
    """
    parts = urlsplit(url)
    if parts.password is not None:
        raise StoreError(f"the {what} for {parts.scheme}://{parts.hostname or ''} holds a "
                         "password; leave it out and use the standard credentials "
                         "(AWS_* variables or a profile for S3, PGPASSWORD or ~/.pgpass)")
    if any(key.lower() in _SECRET_PARAMS for key, _ in parse_qsl(parts.query)):
        raise StoreError(f"the {what} for {parts.scheme}://{parts.hostname or ''} holds a "
                         "secret in its query string; use the standard credentials instead")
    return url


def load_store_config(root: Path) -> dict[str, str]:
    """The locations ``root/store.json`` names (empty when there is no such file).

    Raises :class:`StoreError` (one line) on a file that is not a JSON object, whose
    ``catalog`` or ``objects`` is not a string, or holds a secret.
    """
    path = Path(root) / CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise StoreError(f"{path} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise StoreError(f"{path} must hold a JSON object with keys {', '.join(KEYS)}")
    config: dict[str, str] = {}
    for key, value in data.items():
        if key not in KEYS:
            continue  # another part's setting: not ours to judge
        if not isinstance(value, str) or not value:
            raise StoreError(f"{path}: {key!r} must be a non-empty string")
        config[key] = check_no_secret(value, f"{key} location in {CONFIG_NAME}")
    return config


def objects_location(root: Path, explicit: str | None = None) -> str | None:
    """The objects location for the store at ``root``: ``explicit`` > ``$JUPYTER_ARTIFACTS_OBJECTS``
    > ``store.json`` > None (the folder's own ``objects/``)."""
    for candidate in (explicit, os.environ.get(OBJECTS_ENV)):
        if candidate:
            return check_no_secret(candidate, "objects location")
    return load_store_config(root).get("objects")
