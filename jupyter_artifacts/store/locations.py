"""Where a store's objects live: ``objects=``, ``$JUPYTER_ARTIFACTS_OBJECTS`` or the
``objects`` key of the store folder's ``store.json``::

    {"objects": "s3://bucket/prefix", "catalog": "postgresql://host/db"}

(read by :func:`.config.read_config`, which also reads ``catalog``). Only locations are
written there, never a secret: credentials come the standard ways (``AWS_*`` variables or
profiles for S3, ``PG*`` variables or ``.pgpass`` for PostgreSQL), and a location with a
password or a key in it is refused, so it never lands in a file people copy and share.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from ..errors import StoreError
from .config import CONFIG_NAME, read_config

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


def objects_location(root: Path, explicit: str | None = None) -> str | None:
    """The objects location for the store at ``root``: ``explicit`` > ``$JUPYTER_ARTIFACTS_OBJECTS``
    > ``store.json`` > None (the folder's own ``objects/``)."""
    for candidate in (explicit, os.environ.get(OBJECTS_ENV)):
        if candidate:
            return check_no_secret(candidate, "objects location")
    objects = read_config(root).objects
    return check_no_secret(objects, f"objects location in {CONFIG_NAME}") if objects else None
