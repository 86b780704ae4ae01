"""The base handler: the store service, JSON replies, and the one error -> HTTP map."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import tornado.web
from jupyter_server.base.handlers import APIHandler
from tornado.ioloop import IOLoop

from ..errors import ArtifactsError, InvalidReferenceError
from ..store import Store
from . import payloads
from .service import StoreService

AUTH_RESOURCE = "jupyter_artifacts"
SETTINGS_KEY = "jupyter_artifacts"

P = ParamSpec("P")
T = TypeVar("T")


class ArtifactsHandler(APIHandler):
    """Base handler: the store service, JSON replies, and the one ArtifactsError -> HTTP map."""

    auth_resource = AUTH_RESOURCE

    @property
    def service(self) -> StoreService:
        """The :class:`StoreService` the extension put in the web app settings."""
        return self.settings[SETTINGS_KEY]

    @property
    def store(self) -> Store:
        """The open store; a missing store becomes a 404 with a clear message."""
        return self.service.require()

    async def blocking(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a store read in a worker thread, so a slow query never stalls the server."""
        return await IOLoop.current().run_in_executor(None, functools.partial(fn, *args, **kwargs))

    def reply(self, payload: dict[str, Any]) -> None:
        """Finish with ``payload`` as JSON (NaN and infinities become null)."""
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payloads.finite(payload), default=str))

    def body_json(self) -> dict[str, Any]:
        """The request body as a JSON object; 400 otherwise."""
        try:
            body = json.loads(self.request.body or b"{}")
        except ValueError:
            raise InvalidReferenceError("the request body is not JSON") from None
        if not isinstance(body, dict):
            raise InvalidReferenceError("the request body must be a JSON object")
        return body

    def require_writes(self) -> None:
        """403 unless ``c.JupyterArtifacts.allow_writes`` is on."""
        if not self.service.allow_writes:
            raise tornado.web.HTTPError(
                403, "writes are disabled: set c.JupyterArtifacts.allow_writes = True"
            )

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        """Report an ArtifactsError with its own status instead of a 500."""
        exc_info = kwargs.get("exc_info")
        if exc_info and isinstance(exc_info[1], ArtifactsError):
            status_code = payloads.status_for(exc_info[1])
        super().send_error(status_code, **kwargs)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """ArtifactsError bodies carry the error's message and class name."""
        exc_info = kwargs.get("exc_info")
        if exc_info and isinstance(exc_info[1], ArtifactsError):
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(payloads.error_payload(exc_info[1])))
            return
        super().write_error(status_code, **kwargs)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Expected errors (unknown refs, bad arguments) are not server faults."""
        if isinstance(value, ArtifactsError) and payloads.status_for(value) < 500:
            self.log.info("jupyter-artifacts: %s: %s", type(value).__name__, value)
            return
        super().log_exception(typ, value, tb)
