"""Codecs: turn Python objects into stored artifacts and back.

``save_object`` picks the first codec that accepts an object (optional libraries are
consulted only when already imported), writes its bytes to the object store and records
a version. ``load_version`` reverses it; loading pickles needs ``trust=True``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InvalidReferenceError, UnsupportedObjectError
from .base import KINDS, Codec, Encoded, Progress, type_name
from .documents import HtmlCodec, JsonCodec, MetricsCodec, TextCodec, is_metrics_dict
from .figures import FigureCodec
from .files import DirectoryCodec, FileCodec, export_tree, safe_filename
from .labelled import TensorCodec, XarrayCodec
from .lineage import LineageOnlyCodec
from .models import PickleCodec, SklearnCodec, TorchCodec
from .statsmodels_results import StatsmodelsCodec
from .tabular import DataFrameCodec, NumpyCodec

if TYPE_CHECKING:
    from ..store import ArtifactVersion, Store

CODECS: list[Codec] = [
    FigureCodec(), DataFrameCodec(), NumpyCodec(), XarrayCodec(), SklearnCodec(), StatsmodelsCodec(),
    TorchCodec(), TensorCodec(), HtmlCodec(), DirectoryCodec(), FileCodec(), MetricsCodec(),
    JsonCodec(), TextCodec(), PickleCodec(),
    LineageOnlyCodec(),  # matches nothing: only for loading versions recorded for lineage
]
_BY_NAME = {codec.name: codec for codec in CODECS}

__all__ = [
    "CODECS", "KINDS", "Codec", "Encoded", "codec_for", "export_version", "is_metrics_dict",
    "load_version", "save_object",
]


def codec_for(obj: Any, *, allow_pickle: bool = True) -> Codec:
    """The first codec that accepts ``obj``; :class:`UnsupportedObjectError` if none does."""
    for codec in CODECS:
        if codec.unsafe and not allow_pickle:
            continue
        if codec.available() and codec.matches(obj):
            return codec
    raise UnsupportedObjectError(f"no codec can store an object of type {type_name(obj)}")


def encode(obj: Any, store: Store, *, allow_pickle: bool = True,
           progress: Progress | None = None) -> tuple[Codec, Encoded]:
    """Write ``obj``'s bytes to the object store (or find them there) without a catalog row."""
    codec = codec_for(obj, allow_pickle=allow_pickle)
    fingerprint = codec.fingerprint(obj)
    if fingerprint and (oid := store.lookup_fingerprint(codec.name, fingerprint)):
        return codec, codec.reuse(obj, oid, store)
    encoded = codec.encode(obj, store, progress)
    if fingerprint:
        store.remember_fingerprint(codec.name, fingerprint, encoded.oid)
    return codec, encoded


def save_object(
    store: Store, obj: Any, name: str, *, kind: str | None = None, tags: Iterable[str] = (),
    metadata: dict[str, Any] | None = None, run_id: str | None = None, allow_pickle: bool = True,
    progress: Progress | None = None,
) -> tuple[ArtifactVersion, bool]:
    """Store ``obj`` as the next version of ``name`` (no new version if unchanged).

    Returns ``(version, created)``. Nothing is recorded if encoding fails.
    """
    if kind is not None and kind not in KINDS:
        raise InvalidReferenceError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    codec, encoded = encode(obj, store, allow_pickle=allow_pickle, progress=progress)
    version, created = store.add_version(
        name, oid=encoded.oid, kind=kind or encoded.kind, media_type=encoded.media_type,
        codec=codec.name, size=encoded.size, summary=encoded.summary,
        metadata={**encoded.metadata, **(metadata or {})}, run_id=run_id, tags=tags,
    )
    if encoded.later is not None:
        encoded.later(version)
    return version, created


def load_version(store: Store, version: ArtifactVersion, *, trust: bool = False) -> Any:
    """Rebuild the Python object of a stored version."""
    codec = _BY_NAME.get(version.codec)
    if codec is None:
        raise UnsupportedObjectError(f"{version.ref} was stored by unknown codec {version.codec!r}")
    return codec.decode(version, store, trust=trust)


_SUFFIX_BY_MEDIA = {
    "application/vnd.apache.parquet": ".parquet", "application/x-npy": ".npy", "image/png": ".png",
    "application/json": ".json", "text/plain": ".txt", "text/html": ".html",
    "application/vnd.skops": ".skops", "application/x-python-pickle": ".pkl",
    "application/vnd.pytorch": ".pt", "application/x-netcdf": ".nc",
    "application/vnd.safetensors": ".safetensors",
}


def export_version(store: Store, version: ArtifactVersion, dest: str | os.PathLike[str]) -> Path:
    """Copy a version's content out of the store to ``dest`` (a file, or a folder for trees).

    If ``dest`` is an existing directory, a file named after the artifact is created in it.
    """
    target = Path(dest)
    if version.codec == LineageOnlyCodec.name:
        LineageOnlyCodec().decode(version, store)  # raises: there is nothing to export
    if version.codec == DirectoryCodec.name:
        if target.is_dir() and any(target.iterdir()):
            raise InvalidReferenceError(f"cannot export {version.ref} to {target}: "
                                        "the folder exists and is not empty")
        export_tree(store, version.oid, target)
        return target
    if target.is_dir():
        # The stored filename is untrusted (a store is shared): only its last component,
        # so `../x` or `/etc/x` cannot write outside the target folder.
        filename = safe_filename(version.metadata.get("filename")) or (
            version.name.replace("/", "_") + _SUFFIX_BY_MEDIA.get(version.media_type, "")
        )
        target = target / filename
    store.objects.copy_to(version.oid, target)  # a checked copy, never a link into the store
    os.chmod(target, 0o644)
    return target
