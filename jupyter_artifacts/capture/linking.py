"""Linking namespace values and files to stored versions, without re-storing what is known."""

from __future__ import annotations

import contextlib
import os
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from ..codecs import Codec, Encoded, codec_for, encode, save_object
from ..codecs.figures import helper
from ..codecs.lineage import LineageOnlyCodec, nbytes
from ..codecs.svgworker import Pickled
from ..errors import ArtifactsError, NotStoredError
from ..settings import MAX_INTERMEDIATE_ENV, max_intermediate_bytes
from ..store import ArtifactVersion, Store
from . import background
from .memo import HashMemo
from .values import signature

Saved = tuple[ArtifactVersion, bool]
_LINEAGE = LineageOnlyCodec()


class SaveFailedError(ArtifactsError):
    """The helper process could not store a value handed to it."""


class VersionLinker:
    """Finds or creates the version for a value, remembering objects it has seen.

    Models are remembered by identity and a cheap attribute signature, so an unchanged
    model is not re-serialised every cell; files by (size, mtime).
    """

    def __init__(self, store: Store, progress: Callable[[str, Any], Any] | None = None) -> None:
        self.store = store
        # Makes a progress callback for a large value (None: no progress shown).
        self.progress = progress or (lambda name, value: None)
        self._objects: dict[int, tuple[weakref.ref[Any] | None, Any, str]] = {}
        self._files: dict[str, tuple[int, int, str]] = {}
        self._deferred: dict[int, Future[tuple[ArtifactVersion, bool]]] = {}
        # Arrays and DataFrames known unchanged since hashed (the rule is in memo.py).
        self.memo = HashMemo()

    def _remembered(self, value: Any) -> ArtifactVersion | None:
        pending = self._deferred.get(id(value))
        if pending is not None:  # a deferred save of this very object: wait for it
            background.release()  # which it may otherwise do until MAX_HOLD_S
            pending.exception()
        entry = self._objects.get(id(value))
        if entry is None:
            return None
        ref, sig, version_id = entry
        if ref is not None and ref() is value and sig == signature(value):
            return self.store.get_version(version_id)
        return None

    def _remember(self, value: Any, version: ArtifactVersion, sig: Any = None) -> None:
        # Only scikit-learn estimators: refitting replaces their attributes, so the signature
        # moves. Arrays, frames and torch modules change in place under the same attributes
        # and are recognised by hashing their content instead.
        if not background.can_defer(value):
            return
        try:
            ref: weakref.ref[Any] | None = weakref.ref(value)
        except TypeError:
            return  # no weak refs: identity could be reused, so do not remember
        self._objects[id(value)] = (ref, signature(value) if sig is None else sig, version.id)

    def pending_save(self, value: Any) -> Future[Saved] | None:
        """The background save of this very object, if one is still running."""
        future = self._deferred.get(id(value))
        return future if future is not None and not future.done() else None

    def input_version(self, value: Any, name: str, kind: str | None = None) -> ArtifactVersion:
        """The stored version with this content (any version of ``name``), stored if new."""
        if (known := self._remembered(value)) is not None:
            return known
        if (seen := self._unchanged(value)) is not None:  # no hashing
            same = [v for v in self.store.find_versions_by_oid(seen.oid) if v.name == name]
            return same[0] if same else self._add_as(seen, name, kind)[0]
        codec, encoded = self._encode(value, name, kind)
        same = [v for v in self.store.find_versions_by_oid(encoded.oid) if v.name == name]
        version = same[0] if same else self._record(codec, encoded, name, kind)[0]
        self._remember(value, version)
        self.memo.put(value, version.id)
        return version

    def output_version(self, value: Any, name: str, run_id: str, kind: str | None = None,
                       forced: bool = False) -> tuple[ArtifactVersion, bool]:
        """Store ``value`` as an output of ``run_id``; a new version only if content changed.
        ``forced`` (named with ``--save``): stored whatever its size."""
        seen = self._unchanged(value)
        if seen is not None and (seen.metadata.get("stored", True) or not forced):  # no hashing
            return self._add_as(seen, name, kind, run_id)
        if not forced and self._lineage_only(value, kind) is not None:
            version, created = self._record(*self._encode(value, name, kind), name, kind, run_id)
        else:
            version, created = save_object(self.store, value, name, kind=kind, run_id=run_id,
                                           allow_pickle=False, progress=self.progress(name, value))
        self._remember(value, version)
        self.memo.put(value, version.id)
        return version, created

    @staticmethod
    def _lineage_only(value: Any, kind: str | None) -> str | None:
        """Why ``value`` is recorded for lineage only (a dataset over the size limit), or None."""
        limit = max_intermediate_bytes()
        if kind != "dataset" or limit is None or (size := nbytes(value)) is None or size <= limit:
            return None
        return (f"{size / 1024**2:.1f} MB, over the {limit / 1024**2:.0f} MB limit for "
                f"intermediates; see {MAX_INTERMEDIATE_ENV}")

    def _encode(self, value: Any, name: str, kind: str | None) -> tuple[Codec, Encoded]:
        """The stored form of ``value``: its bytes, or for a large intermediate only its
        content id and summary (the policy in ``jupyter_artifacts.settings``)."""
        if (reason := self._lineage_only(value, kind)) is not None:
            codec = codec_for(value, allow_pickle=False)
            try:
                return _LINEAGE, _LINEAGE.describe(value, self.store, codec, reason)
            except NotStoredError:
                pass  # no content id without encoding it (a codec with no fingerprint): store it
        return encode(value, self.store, allow_pickle=False, progress=self.progress(name, value))

    def _record(self, codec: Codec, encoded: Encoded, name: str, kind: str | None,
                run_id: str | None = None) -> Saved:
        return self.store.add_version(
            name, oid=encoded.oid, kind=kind or encoded.kind, media_type=encoded.media_type,
            codec=codec.name, size=encoded.size, summary=encoded.summary, metadata=encoded.metadata,
            run_id=run_id)

    def _unchanged(self, value: Any) -> ArtifactVersion | None:
        """The version ``value`` was hashed as, if the memo knows it unchanged since."""
        memo_id = self.memo.get(value)
        if memo_id is None:
            return None
        try:
            return self.store.get_version(memo_id)
        except ArtifactsError:  # deleted since (gc, another process)
            return None

    def _add_as(self, seen: ArtifactVersion, name: str, kind: str | None,
                run_id: str | None = None) -> Saved:
        """Record the content of ``seen`` as (the next version of) ``name``."""
        return self.store.add_version(
            name, oid=seen.oid, kind=kind or seen.kind, media_type=seen.media_type,
            codec=seen.codec, size=seen.size, summary=seen.summary, metadata=seen.metadata,
            run_id=run_id)

    def deferred_output_version(self, value: Any, name: str, run_id: str,
                                kind: str | None = None) -> Callable[[], Future[Saved]]:
        """Like :meth:`output_version` for a model, from a snapshot taken now, on the background
        worker; returns the function that starts the work (call it once the cell is done)."""
        frozen, sig, key = background.snapshot(value), signature(value), id(value)

        def save() -> tuple[ArtifactVersion, bool]:
            version, created = save_object(self.store, frozen, name, kind=kind, run_id=run_id,
                                           allow_pickle=False)
            self._remember(value, version, sig)
            return version, created

        def here(result: Future[Saved], why: str | None = None) -> None:
            """Serialise in this process: the model cannot be pickled (a lambda inside), there
            is no helper, or the helper failed (it cannot import a class the notebook
            defined). Whatever fails, the run says so: the summary may be long gone."""
            try:
                result.set_result(save())
            except Exception as exc:
                error = SaveFailedError(f"{why}; in the kernel: {type(exc).__name__}: {exc}") \
                    if why else exc
                with contextlib.suppress(Exception):
                    self.store.add_run_warning(run_id, f"{name} not stored: {error}")
                result.set_exception(error)

        def hand_over(result: Future[Saved]) -> None:
            """On the save lane: give the model to the helper process, which stores it on the
            other core and outlives the kernel; ``result`` gets its answer."""
            job = {"job": "save", "store": str(self.store.root), "objects": self.store.objects.url,
                   "name": name, "kind": kind, "run_id": run_id}
            try:
                answer = helper().hand_over(job, Pickled.of(frozen))
            except Exception:
                here(result)
                return
            background.track(answer, detached=True)
            answer.add_done_callback(lambda done: answered(done, result))

        def answered(done: Future[Any], result: Future[Saved]) -> None:
            try:
                reply = done.result()
                done.seconds = result.seconds = reply.get("seconds", 0.0)  # type: ignore[attr-defined]
                if reply.get("ok"):
                    version = self.store.get_version(reply["version"])
                    self._remember(value, version, sig)
                    result.set_result((version, reply["created"]))
                    return
                why = f"the helper process: {reply.get('error', 'failed')}"
            except Exception as exc:
                why = f"{type(exc).__name__}: {exc}"
            # Not on this thread: it reads the helper's answers (and may hold its lock).
            background.submit(here, result, why, hold=False)

        def start() -> Future[tuple[ArtifactVersion, bool]]:
            future: Future[Saved] = Future()
            # Pending until stored, by the helper or here after it: whoever waits for the
            # background work (a headless run's end, a replay) waits for the model.
            background.track(future, detached=True)
            lane = background.submit(hand_over, future)
            lane.add_done_callback(lambda f: future.set_exception(exc) if (exc := f.exception()) else None)
            self._deferred[key] = future
            future.add_done_callback(
                lambda f: self._deferred.pop(key, None) if self._deferred.get(key) is f else None)
            return future

        return start

    def file_version(self, path: str, name: str, run_id: str | None = None) -> tuple[ArtifactVersion, bool]:
        """Store a file (or find it unchanged since last time) as ``name``."""
        st = os.stat(path)
        known = self._files.get(path)
        if known and known[:2] == (st.st_size, st.st_mtime_ns) and run_id is None:
            return self.store.get_version(known[2]), False
        version, created = save_object(self.store, Path(path), name, run_id=run_id,
                                       progress=self.progress(name, Path(path)))
        self._files[path] = (st.st_size, st.st_mtime_ns, version.id)
        return version, created


def file_artifact_name(path: str, cwd: str) -> str:
    """Name a file artifact by its path relative to the working directory (else its name)."""
    rel = os.path.relpath(path, cwd)
    if rel.startswith(".."):
        rel = os.path.basename(path)
    return rel.replace(os.sep, "/").lstrip("./") or os.path.basename(path)
