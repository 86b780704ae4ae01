"""Remotes of a local store: named team stores to push to and pull from.

They are kept in ``remotes.json`` in the store folder: a name, a catalog URL and an objects
URL each, never a secret (a URL holding a password is refused; credentials come from the
engines' own places: ``AWS_*`` / ``PG*`` variables, ``~/.aws``, ``~/.pgpass``). Beside
them, per remote, what sync needs to remember: whether it was pulled lazily (its objects
are then fetched on first read) and the aliases both sides agreed on at the last sync.

A remote can also be a store folder: ``--catalog /team/.artifacts`` (its objects are then
``/team/.artifacts/objects``), or just a path given to ``push`` / ``pull``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import urllib.parse
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from ..errors import CorruptObjectError, RemoteError, StoreError, StoreNotFoundError

if TYPE_CHECKING:
    from .store import Store

REMOTES_FILE = "remotes.json"
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}$")
# libpq's keyword form ("host=db password=x") and a URL's query (?password=x) hide secrets too.
_SECRET_RE = re.compile(r"(^|[\s?&;])(password|passwd|secret|aws_secret_access_key)\s*=",
                        re.IGNORECASE)


@dataclass
class Remote:
    """A team store: where its catalog and its objects are."""

    name: str
    catalog: str
    objects: str
    lazy: bool = False
    #: ``"name:alias" -> version id`` as both sides had it after the last sync.
    aliases: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"remote {self.name!r}" if self.name != self.catalog else f"remote {self.catalog}"


def check_url(url: str, what: str) -> str:
    """Refuse an empty URL or one that carries a password."""
    if not isinstance(url, str) or not url.strip():
        raise RemoteError(f"the {what} URL is empty")
    parts = urllib.parse.urlsplit(url)
    if "://" in url and (parts.password is not None or _SECRET_RE.search(parts.query)):
        raise RemoteError(f"the {what} URL holds a password: remotes.json never keeps a secret; "
                          "give credentials through PG*/AWS_* variables, ~/.pgpass or ~/.aws")
    if "://" not in url and _SECRET_RE.search(url):
        raise RemoteError(f"the {what} connection string holds a password: give it through "
                          "PGPASSWORD or ~/.pgpass instead")
    return url


def _local_path(url: str) -> Path | None:
    """The folder a URL names when it is a local path (plain or ``file://``), else None."""
    if url.startswith("file://"):
        return Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path))
    if "://" in url or re.match(r"^\s*\w+\s*=", url):  # a URL, or libpq's "host=... dbname=..."
        return None
    return Path(url).expanduser()


def _folder_root(url: str) -> Path | None:
    path = _local_path(url)
    if path is None:
        return None
    path = path.resolve()
    return path.parent if path.name == "catalog.sqlite" else path


def make_remote(name: str, catalog: str, objects: str | None = None) -> Remote:
    """A checked remote; ``objects`` defaults to a folder catalog's ``objects/``."""
    check_url(catalog, "catalog")
    root = _folder_root(catalog)
    if objects is None:
        if root is None:
            raise RemoteError("--objects is needed when the catalog is not a store folder")
        objects = str(root / "objects")
    check_url(objects, "objects")
    if root is not None:
        catalog = str(root)
        where = _local_path(objects)
        if where is not None and where.resolve() != root / "objects":
            raise RemoteError(f"a store folder keeps its objects in {root / 'objects'} or on "
                              f"an object store (s3://...), not in {objects}")
        if where is not None:
            objects = str(root / "objects")
    return Remote(name, catalog, objects)


# -- remotes.json ----------------------------------------------------------------------
def _load(root: Path) -> dict[str, Any]:
    try:
        data = json.loads((root / REMOTES_FILE).read_text())
    except FileNotFoundError:
        return {"remotes": {}}
    except (OSError, ValueError) as exc:
        raise RemoteError(f"{root / REMOTES_FILE} cannot be read: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("remotes"), dict):
        raise RemoteError(f"{root / REMOTES_FILE} is not a remotes file")
    return data


def _save(root: Path, data: dict[str, Any]) -> None:
    _write_json(root / REMOTES_FILE, data)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    # Written aside and renamed: a reader never sees half a file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise RemoteError(f"cannot write {path}: {exc.strerror or exc}") from None


def list_remotes(root: Path) -> list[Remote]:
    """The remotes configured in the store folder ``root``, by name."""
    data = _load(root)
    remotes = []
    for name, entry in sorted(data["remotes"].items()):
        try:
            remotes.append(Remote(name=name, catalog=str(entry["catalog"]),
                                  objects=str(entry["objects"]), lazy=bool(entry.get("lazy")),
                                  aliases=dict(entry.get("aliases") or {})))
        except (KeyError, TypeError):
            raise RemoteError(f"{root / REMOTES_FILE}: remote {name!r} is incomplete") from None
    return remotes


def add_remote(root: Path, name: str, catalog: str, objects: str | None = None) -> Remote:
    """Record a remote; refuses a taken name, a bad name and a URL holding a password."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise RemoteError(f"invalid remote name {name!r}: use letters, digits, _ . -")
    remote = make_remote(name, catalog, objects)
    data = _load(root)
    if name in data["remotes"]:
        raise RemoteError(f"a remote named {name!r} exists already (remove it first)")
    data["remotes"][name] = {"catalog": remote.catalog, "objects": remote.objects}
    _save(root, data)
    return remote


def remove_remote(root: Path, name: str) -> None:
    data = _load(root)
    if data["remotes"].pop(name, None) is None:
        raise RemoteError(f"no remote named {name!r}")
    _save(root, data)


def save_state(root: Path, remote: Remote) -> None:
    """Remember a named remote's sync state (lazy, agreed aliases); paths keep none."""
    data = _load(root)
    entry = data["remotes"].get(remote.name)
    if entry is None:
        return
    entry["lazy"] = remote.lazy  # set by a lazy pull, cleared by a plain one that fetched all
    entry["aliases"] = dict(sorted(remote.aliases.items()))
    _save(root, data)


def find_remote(root: Path, ref: str | None) -> Remote:
    """A configured remote by name (the only one when ``ref`` is None), or a store path."""
    remotes = {r.name: r for r in list_remotes(root)}
    if ref is None:
        if len(remotes) == 1:
            return next(iter(remotes.values()))
        raise RemoteError("no remote configured (jupyter-artifacts remote add NAME --catalog URL)"
                          if not remotes else
                          f"several remotes ({', '.join(remotes)}): name the one to use")
    if ref in remotes:
        return remotes[ref]
    if _folder_root(ref) is not None and ("/" in ref or os.sep in ref or os.path.exists(ref)):
        remote = make_remote(ref, ref)
        remote.name = remote.catalog  # named by its path: "remote /team/.artifacts"
        return remote
    raise RemoteError(f"no remote named {ref!r} (see jupyter-artifacts remote list)")


# -- opening a remote ------------------------------------------------------------------
def open_remote(remote: Remote, home: Path, *, readonly: bool = False) -> Store:
    """Open the team store a remote names; one clear :class:`RemoteError` if it cannot be.

    A store folder opens as it is (with its objects on an object store if the remote says
    so). A catalog URL (``postgresql://``) opens through a folder kept for the remote in
    the local store ``home`` (``remotes/NAME/``), whose ``store.json`` names the remote's
    catalog and objects: nothing is ever written into the team's own folder.
    """
    from .store import Store

    root = _folder_root(remote.catalog)
    objects = None if _local_path(remote.objects) is not None else remote.objects
    try:
        if root is not None:
            if objects is None:
                return Store.open(root, create=False, readonly=readonly)
            _needs(remote, "jupyter_artifacts.store.s3objects", remote.objects)
            return Store.open(root, create=False, readonly=readonly,  # type: ignore[call-arg,unused-ignore]
                              objects=objects)
        _needs(remote, "jupyter_artifacts.store.catalog_pg", remote.catalog)
        if objects is not None:
            _needs(remote, "jupyter_artifacts.store.s3objects", remote.objects)
        folder = home / "remotes" / remote.name
        folder.mkdir(parents=True, exist_ok=True)
        _write_json(folder / "store.json", {"catalog": remote.catalog, "objects": remote.objects})
        return Store.open(folder, create=False, readonly=readonly)
    except StoreNotFoundError:
        raise RemoteError(f"{remote.label} cannot be reached: no store at {root}") from None
    except RemoteError:
        raise
    except StoreError as exc:
        raise RemoteError(f"{remote.label} cannot be used: {exc}") from None
    except OSError as exc:
        raise RemoteError(f"{remote.label} cannot be reached: {exc.strerror or exc}") from None


def _needs(remote: Remote, module: str, url: str) -> None:
    if importlib.util.find_spec(module) is None:
        scheme = url.split("://", 1)[0]
        raise RemoteError(f"{remote.label}: {scheme}:// is not supported by this version of "
                          "jupyter-artifacts")


def copy_object(source: Store, target: Store, oid: str) -> int:
    """Copy one object between stores, checked against its id on the way; returns its size.

    From a file where the source has one (a local store, or an S3 store's cache): the target
    hashes it once and uploads it from there, with no second hash of a verifying reader and
    no spooled copy (a push of 1 GB went from 0.66 to ~1x the S3 server's raw throughput).
    """
    try:
        path: Path | None = source.objects.local_path(oid)
    except (StoreError, OSError):
        path = None
    if path is not None and path.is_file() and not path.is_symlink():
        got, size = target.objects.put_file(path)
        if got != oid:
            raise CorruptObjectError(f"object {oid[:12]} arrived as {got[:12]}: not kept")
        return size
    with source.objects.open(oid) as fh:
        got, size = target.objects.put_stream(cast(IO[bytes], fh))
    if got != oid:
        raise CorruptObjectError(f"object {oid[:12]} arrived as {got[:12]}: not kept")
    return size


# -- lazily pulled objects ---------------------------------------------------------------
class LazyFetcher:
    """Fetches an object missing from a local store from the remotes it was lazily pulled
    from, and keeps it there (so it loads offline afterwards)."""

    def __init__(self, store: Store, remotes: list[Remote]) -> None:
        self.store = store
        self.remotes = remotes
        self._open: dict[str, Store] = {}

    def __call__(self, oid: str) -> bool:
        failures = []
        for remote in self.remotes:
            try:
                source = self._open.get(remote.name) or open_remote(remote, self.store.root, readonly=True)
                self._open[remote.name] = source
                if not source.objects.exists(oid):
                    continue
                copy_object(source, self.store, oid)
            except (StoreError, OSError) as exc:
                failures.append(f"{remote.label}: {exc}")
                continue
            return True
        if failures:
            raise RemoteError(f"object {oid[:12]} was pulled lazily and is not fetched yet, and "
                              f"its remote cannot be reached ({'; '.join(failures)})")
        return False


def attach_lazy_fetcher(store: Store) -> None:
    """Let a local store that pulled lazily fetch its missing objects from those remotes."""
    try:
        lazy = [r for r in list_remotes(store.root) if r.lazy]
    except RemoteError:
        return
    objects: Any = store.objects  # the local folder's object store has the hook
    if lazy and hasattr(objects, "fetch_missing"):
        objects.fetch_missing = LazyFetcher(store, lazy)


def as_dict(remote: Remote) -> dict[str, Any]:
    return asdict(remote)
