"""Serving a version's bytes: read only through the store, by the oid the catalog holds."""

from __future__ import annotations

import re
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from tornado.iostream import StreamClosedError

from ..errors import CorruptObjectError
from ..store.verified import VerifyingReader
from .base import ArtifactsHandler

CHUNK_SIZE = 256 * 1024
SMALL_OBJECT = 16 * 1024 * 1024  # read whole and checked before the response starts
_SAFE_FILENAME = re.compile(r"[^A-Za-z0-9_.-]+")
_EXTRA_TYPES = {"svg": "image/svg+xml"}  # secondary objects a codec stores beside the primary


class VersionContentHandler(ArtifactsHandler):
    """``GET versions/<ref>/content``: the object bytes with the version's media type.

    The ETag is the object id, so a client that has the bytes gets a 304. The body is
    streamed in chunks. Every response carries ``Content-Security-Policy: sandbox`` so an
    HTML report opened directly runs in an opaque origin, never with the user's session.
    ``?download=1`` asks the browser to save the file instead of showing it, and
    ``?object=svg`` serves a version's secondary object (a figure's SVG) instead of its primary.
    """

    @property
    def content_security_policy(self) -> str:
        """Sandbox whatever is served: scripts may run, but not as the Jupyter origin."""
        return "sandbox allow-scripts; frame-ancestors 'self'"

    @tornado.web.authenticated
    @authorized
    async def get(self, ref: str) -> None:
        store = self.store
        version = store.resolve(ref)
        oid, media_type, suffix = version.oid, version.media_type, ""
        extra = self.get_argument("object", "")
        if extra:
            # Only an object the catalog lists for this version: never an oid from the URL.
            oid = version.metadata.get("objects", {}).get(extra)
            if not isinstance(oid, str) or extra not in _EXTRA_TYPES:
                raise tornado.web.HTTPError(404, f"{version.ref} has no {extra!r} object")
            media_type, suffix = _EXTRA_TYPES[extra], f".{extra}"
        etag = f'"{oid}"'
        self.set_header("ETag", etag)
        self.set_header("Cache-Control", "private, no-cache")
        self.set_header("X-Content-Type-Options", "nosniff")
        if _etag_matches(self.request.headers.get("If-None-Match", ""), oid):
            self.set_status(304)
            await self.finish()
            return
        # Opened (no symlinks, inside the store) before any header is sent, so a missing or
        # planted object is still a clean error status.
        with store.objects.open(oid) as fh:
            # A small object is read whole and checked before anything is sent; a large
            # one is checked as it streams, and the read that reaches its end raises
            # before the last chunk goes out (the client sees a cut-off download).
            head = fh.read(fh.size) if 0 < fh.size <= SMALL_OBJECT else b""
            self.set_header("Content-Type", media_type or "application/octet-stream")
            self.set_header("Content-Length", str(fh.size))
            filename = _SAFE_FILENAME.sub("_", f"{version.name}-v{version.version}") + suffix
            disposition = "attachment" if self.get_argument("download", "") else "inline"
            self.set_header("Content-Disposition", f'{disposition}; filename="{filename}"')
            try:
                self.write(head)
                # Flushed now, even when empty: APIHandler.finish would otherwise reset
                # the Content-Type to JSON (a zero-byte object was served as JSON).
                await self.flush()
                while chunk := _read_checked(fh, self):
                    self.write(chunk)
                    await self.flush()
            except StreamClosedError:
                return  # The client went away (closed tab, cancelled download).
            except CorruptObjectError:
                return  # reported and the connection dropped in _read_checked
        await self.finish()


def _read_checked(fh: VerifyingReader, handler: ArtifactsHandler) -> bytes:
    """The next chunk; on corruption mid-stream, log it and drop the connection."""
    try:
        return fh.read(CHUNK_SIZE)
    except CorruptObjectError as exc:
        handler.log.error("jupyter-artifacts: %s", exc)
        connection: Any = handler.request.connection  # HTTP1Connection: has close()
        if connection is not None:
            connection.close()
        raise


def _etag_matches(header: str, oid: str) -> bool:
    """Whether an If-None-Match header names ``oid`` (or is ``*``)."""
    tags = [t.strip().removeprefix("W/").strip('"') for t in header.split(",") if t.strip()]
    return "*" in tags or oid in tags
