"""REST handlers under ``{base_url}jupyter-artifacts/api/``; every one goes through the Store."""

from __future__ import annotations

from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join

from ..errors import InvalidReferenceError
from ..store.filters import combine, simple_filter
from . import payloads, queries
from .base import SETTINGS_KEY, ArtifactsHandler
from .cells import CellRunHandler
from .content import VersionContentHandler
from .service import StoreService

#: One path segment; clients percent-encode refs and keys, so ``/`` inside arrives as %2F.
SEGMENT = r"(?P<{}>[^/]+)"


class StatusHandler(ArtifactsHandler):
    """``GET status``: where the store is (or why there is none) and whether writes are on."""

    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        store = self.service.get()
        self.reply({
            "store": str(store.root) if store else None,
            "message": None if store else self.service.missing_message(),
            "allow_writes": self.service.allow_writes,
        })


class ChangesHandler(ArtifactsHandler):
    """``GET changes``: a token that changes whenever the catalog does; poll it cheaply."""

    @tornado.web.authenticated
    @authorized
    def get(self) -> None:
        store = self.service.get()
        self.set_header("Cache-Control", "no-store")
        self.reply({"token": store.change_token() if store else None,
                    "store": str(store.root) if store else None})


class RunsHandler(ArtifactsHandler):
    """``GET runs``: filtered, sorted, paged runs: ``{"runs": [...], "total": N}``."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        store = self.service.get()
        limit = payloads.parse_int(self.get_argument("limit", None), 100, 1, 1000, "limit")
        offset = payloads.parse_int(self.get_argument("offset", None), 0, 0, 2**62, "offset")
        if store is None:
            self.reply({"runs": [], "total": 0, "limit": limit, "offset": offset,
                        "store": None, "message": self.service.missing_message()})
            return
        order_by, descending = payloads.parse_sort(self.get_argument("sort", "-started_at"))
        search = self.get_argument("filter", None)
        if search is not None or self.get_arguments("order_by"):
            # The filter language; order_by repeats: ?order_by=metrics.acc%20DESC&order_by=...
            # The simple fields (the sidebar's name, tag...) narrow the expression.
            search = combine(simple_filter(
                *(self.get_argument(k, None) for k in ("name", "tag", "status", "notebook"))),
                search)
            self.reply(await self.blocking(
                queries.search_page, store, search, self.get_arguments("order_by") or order_by,
                descending, limit=limit, offset=offset))
            return
        since, until = self.get_argument("since", None), self.get_argument("until", None)
        self.reply(await self.blocking(
            queries.runs_page, store, limit=limit, offset=offset,
            name=self.get_argument("name", None) or None,
            tag=self.get_argument("tag", None) or None,
            status=self.get_argument("status", None) or None,
            notebook=self.get_argument("notebook", None) or None,
            since=payloads.parse_time(since) if since else None,
            until=payloads.parse_time(until) if until else None,
            order_by=order_by, descending=descending,
        ))


class KeysHandler(ArtifactsHandler):
    """``GET keys``: the metric, param and tag keys runs have (filter completion)."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        store = self.service.get()
        if store is None:
            self.reply({"metrics": [], "params": [], "tags": [], "store": None})
            return
        self.reply({**await self.blocking(store.keys), "store": str(store.root)})


class RunHandler(ArtifactsHandler):
    """``GET runs/<ref>``: one run with metric summaries, inputs, outputs, environment."""

    @tornado.web.authenticated
    @authorized
    async def get(self, ref: str) -> None:
        self.reply(await self.blocking(queries.run_detail, self.store, ref, self.service.root_dir))


class MetricSeriesHandler(ArtifactsHandler):
    """``GET runs/<ref>/metrics/<key>``: the series, downsampled to ``max_points``."""

    @tornado.web.authenticated
    @authorized
    async def get(self, ref: str, key: str) -> None:
        max_points = payloads.parse_int(
            self.get_argument("max_points", None), 2000, 0, 1_000_000, "max_points")
        self.reply(await self.blocking(queries.metric_series, self.store, ref, key, max_points))


class ArtifactsListHandler(ArtifactsHandler):
    """``GET artifacts``: one row per artifact name (``?kind=``, ``?search=``), or with
    ``?filter=`` the matching versions (``kind = 'model' and run.metrics.acc > 0.9``)."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        store = self.service.get()
        if store is None:
            self.reply({"artifacts": [], "store": None,
                        "message": self.service.missing_message()})
            return
        if (search := self.get_argument("filter", None)) is not None:
            limit = payloads.parse_int(self.get_argument("limit", None), 100, 1, 1000, "limit")
            self.reply(await self.blocking(queries.version_page, store, search, limit))
            return
        self.reply(await self.blocking(queries.artifacts, store,
                                       self.get_argument("kind", None) or None,
                                       self.get_argument("search", None) or None))


class ArtifactHandler(ArtifactsHandler):
    """``GET artifacts/<name>``: every version of one artifact, oldest first."""

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        self.reply(await self.blocking(queries.artifact_versions, self.store, name))


class VersionHandler(ArtifactsHandler):
    """``GET versions/<ref>``: one version's metadata."""

    @tornado.web.authenticated
    @authorized
    def get(self, ref: str) -> None:
        self.reply({"version": self.store.resolve(ref).to_dict()})


class LineageHandler(ArtifactsHandler):
    """``GET lineage/<ref>``: the graph around a version or a run (``?depth=``)."""

    @tornado.web.authenticated
    @authorized
    async def get(self, ref: str) -> None:
        depth = payloads.parse_int(self.get_argument("depth", None), 3, 1, 20, "depth")
        self.reply(await self.blocking(self.store.lineage, ref, depth=depth))


class VersionAliasesHandler(ArtifactsHandler):
    """``POST versions/<ref>/aliases`` ``{"alias": "production"}``: point an alias here."""

    @tornado.web.authenticated
    @authorized
    def post(self, ref: str) -> None:
        self.require_writes()
        alias = self.body_json().get("alias")
        if not isinstance(alias, str):
            raise InvalidReferenceError("body must be {\"alias\": \"<name>\"}")
        self.reply({"version": self.store.set_alias(ref, alias).to_dict()})


class VersionTagsHandler(ArtifactsHandler):
    """``POST versions/<ref>/tags`` ``{"tags": [...]}``: tag a version."""

    @tornado.web.authenticated
    @authorized
    def post(self, ref: str) -> None:
        self.require_writes()
        tags = _tags(self.body_json())
        self.reply({"version": self.store.add_version_tags(ref, tags).to_dict()})


class RunTagsHandler(ArtifactsHandler):
    """``POST runs/<ref>/tags`` ``{"tags": [...]}``: tag a run."""

    @tornado.web.authenticated
    @authorized
    def post(self, ref: str) -> None:
        self.require_writes()
        tags = _tags(self.body_json())
        store = self.store
        store.add_run_tags(ref, tags)
        self.reply({"run": payloads.run_row(store.get_run(ref))})


def _tags(body: dict[str, Any]) -> list[str]:
    tags = body.get("tags")
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        raise InvalidReferenceError("body must be {\"tags\": [\"<tag>\", ...]}")
    return tags


def route_table(base_url: str) -> list[tuple[str, type[ArtifactsHandler]]]:
    """The routes, most specific first, under ``{base_url}jupyter-artifacts/api/``."""
    api = url_path_join(base_url, "jupyter-artifacts", "api")
    ref, key, name = SEGMENT.format("ref"), SEGMENT.format("key"), SEGMENT.format("name")
    routes: list[tuple[str, type[ArtifactsHandler]]] = [
        ("status", StatusHandler),
        ("changes", ChangesHandler),
        ("runs", RunsHandler),
        ("keys", KeysHandler),
        (f"runs/{ref}/metrics/{key}", MetricSeriesHandler),
        (f"runs/{ref}/tags", RunTagsHandler),
        (f"runs/{ref}", RunHandler),
        ("artifacts", ArtifactsListHandler),
        (f"artifacts/{name}", ArtifactHandler),
        (f"versions/{ref}/content", VersionContentHandler),
        (f"versions/{ref}/aliases", VersionAliasesHandler),
        (f"versions/{ref}/tags", VersionTagsHandler),
        (f"versions/{ref}", VersionHandler),
        (f"lineage/{ref}", LineageHandler),
        (f"cells/{SEGMENT.format('cell_id')}", CellRunHandler),
    ]
    return [(url_path_join(api, path) + "/?$", handler) for path, handler in routes]


def setup_handlers(web_app: Any, service: StoreService) -> None:
    """Register the routes and put ``service`` where the handlers find it."""
    web_app.settings[SETTINGS_KEY] = service
    web_app.add_handlers(".*$", route_table(web_app.settings["base_url"]))
