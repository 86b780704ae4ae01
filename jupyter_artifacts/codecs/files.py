"""Files and directories: stored byte for byte, with a kind guessed from the file name."""

from __future__ import annotations

import contextlib
import json
import mimetypes
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import CorruptObjectError
from ..store import TREE_MEDIA_TYPE
from .base import Codec, Encoded, Progress

if TYPE_CHECKING:
    from ..store import ArtifactVersion, Store

_KIND_BY_SUFFIX = {
    ".csv": "dataset", ".tsv": "dataset", ".parquet": "dataset", ".feather": "dataset",
    ".arrow": "dataset", ".npy": "dataset", ".npz": "dataset", ".jsonl": "dataset",
    ".json": "config", ".yaml": "config", ".yml": "config", ".toml": "config", ".cfg": "config",
    ".ini": "config",
    ".onnx": "model", ".joblib": "model", ".pkl": "model", ".pickle": "model", ".pt": "model",
    ".pth": "model", ".safetensors": "model", ".skops": "model", ".h5": "model",
    ".png": "figure", ".svg": "figure", ".jpg": "figure", ".jpeg": "figure", ".pdf": "figure",
    ".html": "report", ".htm": "report",
    ".txt": "text", ".md": "text", ".log": "log",
    ".ipynb": "notebook",
}
_CONFIG_NAMES = {"requirements.txt", "environment.yml", "environment.yaml", "pyproject.toml",
                 "setup.cfg", "params.yaml", "dvc.yaml", "conda.yaml", "MLproject"}
_EXTRA_TYPES = {".parquet": "application/vnd.apache.parquet", ".yaml": "application/yaml",
                ".yml": "application/yaml", ".npy": "application/x-npy", ".onnx": "application/onnx",
                ".md": "text/markdown", ".log": "text/plain", ".ipynb": "application/x-ipynb+json",
                ".jsonl": "application/jsonl", ".toml": "application/toml"}
TEXT_PREVIEW = 4000


def kind_for_path(path: Path) -> str:
    if path.name in _CONFIG_NAMES:
        return "config"
    return _KIND_BY_SUFFIX.get(path.suffix.lower(), "file")


def media_type_for_path(path: Path) -> str:
    suffix = path.suffix.lower()
    return _EXTRA_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _file_summary(path: Path, size: int, media_type: str) -> dict[str, Any]:
    summary: dict[str, Any] = {"type": "file", "filename": path.name, "size": size}
    if media_type.startswith("text/") or media_type in (
        "application/json", "application/yaml", "application/toml", "application/jsonl"
    ):
        with open(path, "rb") as fh:
            head = fh.read(TEXT_PREVIEW).decode(errors="replace")
        summary["preview"] = head
        if path.suffix.lower() in (".csv", ".tsv"):
            lines = head.splitlines()
            sep = "\t" if path.suffix.lower() == ".tsv" else ","
            summary["columns"] = lines[0].split(sep) if lines else []
    elif media_type == "application/vnd.apache.parquet":
        with contextlib.suppress(Exception):
            import pyarrow.parquet as pq

            meta = pq.read_metadata(path)
            summary["rows"] = meta.num_rows
            summary["columns"] = meta.schema.names
    return summary


class FileCodec(Codec):
    """A path to a file: its bytes, streamed into the store."""

    name = "file"
    kind = "file"

    def matches(self, obj: Any) -> bool:
        return isinstance(obj, os.PathLike) and Path(obj).is_file()

    def encode(self, obj: Any, store: Store, progress: Progress | None = None) -> Encoded:
        path = Path(obj)
        oid, size = store.objects.put_file(path, progress)
        media_type = media_type_for_path(path)
        return Encoded(oid, size, kind_for_path(path), media_type,
                       _file_summary(path, size, media_type), {"filename": path.name})

    def decode(self, version: ArtifactVersion, store: Store, trust: bool = False) -> Any:
        """The stored file's path (read-only, its bytes checked); ``export`` makes a named copy."""
        return store.objects.verified_path(version.oid)


class DirectoryCodec(Codec):
    """A directory (e.g. a TensorBoard log dir) as a manifest of stored files."""

    name = "directory"
    kind = "directory"

    def matches(self, obj: Any) -> bool:
        return isinstance(obj, os.PathLike) and Path(obj).is_dir()

    def encode(self, obj: Any, store: Store, progress: Progress | None = None) -> Encoded:
        root = Path(obj)
        files = []
        total = 0
        for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
            oid, size = store.objects.put_file(path)
            files.append({"path": path.relative_to(root).as_posix(), "oid": oid, "size": size})
            total += size
        manifest = json.dumps({"files": files}, sort_keys=True).encode()
        oid, _, _ = store.objects.put_bytes(manifest)
        summary = {"type": "directory", "files": len(files), "total_size": total,
                   "listing": [f["path"] for f in files[:200]]}
        return Encoded(oid, total, self.kind, TREE_MEDIA_TYPE, summary, {"dirname": root.name})

    def decode(self, version: ArtifactVersion, store: Store, trust: bool = False) -> Any:
        """Materialise the tree under the store's cache (checked, read-only copies); return it."""
        dest = store.root / "cache" / version.oid
        if not dest.is_dir():
            export_tree(store, version.oid, dest, read_only=True)
        return dest


def safe_filename(name: Any) -> str | None:
    """The last component of an untrusted stored filename, or None if nothing usable is left."""
    if not isinstance(name, str):
        return None
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return None if base in ("", ".", "..") or "\0" in base else base


def _manifest_entries(store: Store, manifest_oid: str) -> list[tuple[Path, str]]:
    """A manifest's ``(relative path, oid)`` pairs; paths that leave the tree are refused."""
    try:
        entries = [(str(e["path"]), str(e["oid"]))
                   for e in json.loads(store.objects.read_bytes(manifest_oid))["files"]]
    except (ValueError, KeyError, TypeError):
        raise CorruptObjectError(f"tree manifest {manifest_oid[:12]} is not a valid manifest"
                                 ) from None
    checked = []
    for text, oid in entries:
        rel = Path(text)
        if not text or rel.is_absolute() or ".." in rel.parts or not rel.parts or "\0" in text:
            raise CorruptObjectError(f"tree manifest {manifest_oid[:12]} lists a path outside "
                                     f"the tree: {text!r}")
        checked.append((rel, oid))
    return checked


def export_tree(store: Store, manifest_oid: str, dest: Path, *, read_only: bool = False) -> None:
    """Write a tree's files under ``dest`` as checked copies (never links into the store)."""
    entries = _manifest_entries(store, manifest_oid)
    staging = dest.with_name(dest.name + f".{os.getpid()}.partial")
    try:
        for rel, oid in entries:
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            store.objects.copy_to(oid, target)
            os.chmod(target, 0o444 if read_only else 0o644)
        staging.mkdir(parents=True, exist_ok=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    try:
        os.replace(staging, dest)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # another process materialised it first
