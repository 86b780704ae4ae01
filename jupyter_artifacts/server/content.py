"""Serving a version's bytes: read only through the store, by the oid the catalog holds."""

from __future__ import annotations

import re

import tornado.web
from jupyter_server.auth.decorator import authorized

from .base import ArtifactsHandler

CHUNK_SIZE = 256 * 1024
_SAFE_FILENAME = re.compile(r"[^A-Za-z0-9_.-]+")


class VersionContentHandler(ArtifactsHandler):
    """``GET versions/<ref>/content``: the object bytes with the version's media type.

    The ETag is the object id, so a client that has the bytes gets a 304. The body is
    streamed in chunks. Every response carries ``Content-Security-Policy: sandbox`` so an
    HTML report opened directly runs in an opaque origin, never with the user's session.
    ``?download=1`` asks the browser to save the file instead of showing it.
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
        etag = f'"{version.oid}"'
        self.set_header("ETag", etag)
        self.set_header("Cache-Control", "private, no-cache")
        self.set_header("X-Content-Type-Options", "nosniff")
        if _etag_matches(self.request.headers.get("If-None-Match", ""), version.oid):
            self.set_status(304)
            await self.finish()
            return
        # Opened before any header is sent, so a missing object is still a clean 404.
        with store.objects.open(version.oid) as fh:
            self.set_header("Content-Type", version.media_type or "application/octet-stream")
            self.set_header("Content-Length", str(version.size))
            filename = _SAFE_FILENAME.sub("_", f"{version.name}-v{version.version}")
            disposition = "attachment" if self.get_argument("download", "") else "inline"
            self.set_header("Content-Disposition", f'{disposition}; filename="{filename}"')
            while chunk := fh.read(CHUNK_SIZE):
                self.write(chunk)
                await self.flush()
        await self.finish()


def _etag_matches(header: str, oid: str) -> bool:
    """Whether an If-None-Match header names ``oid`` (or is ``*``)."""
    tags = [t.strip().removeprefix("W/").strip('"') for t in header.split(",") if t.strip()]
    return "*" in tags or oid in tags
