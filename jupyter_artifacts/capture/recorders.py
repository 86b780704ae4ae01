"""Recorders that watch a cell without changing what the user sees.

Printed output is teed (written through at once and kept), displayed outputs are copied
as they are published, and files the cell opens are noted through an audit hook.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

MAX_STREAM_CHARS = 1_000_000
MAX_DISPLAYS = 50

_DATA_SUFFIXES = {
    ".csv", ".tsv", ".parquet", ".feather", ".arrow", ".json", ".jsonl", ".yaml", ".yml", ".toml",
    ".cfg", ".ini", ".txt", ".npy", ".npz", ".pkl", ".pickle", ".joblib", ".onnx", ".pt", ".pth",
    ".safetensors", ".skops", ".h5", ".html", ".htm", ".png", ".svg", ".jpg", ".jpeg", ".pdf",
    ".log", ".md", ".xlsx",
}


class StreamTee:
    """Wraps ``sys.stdout``/``sys.stderr``: writes go through unchanged and are also kept."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._parts: list[str] = []
        self._room = MAX_STREAM_CHARS  # characters still kept before the cap

    def write(self, text: str) -> int:
        # Called for every piece a print() writes (a print of four values is eight writes):
        # one comparison and one append, then the real stream.
        if self._room > 0 and isinstance(text, str):
            self._parts.append(text)
            self._room -= len(text)
        return self._stream.write(text)

    def getvalue(self) -> str:
        return "".join(self._parts)

    def __getattr__(self, name: str) -> Any:
        # flush, fileno, isatty, encoding, the ipykernel OutStream's own attributes...
        return getattr(self._stream, name)


class DisplayRecorder:
    """Wraps the shell's display publisher, and its displayhook's ``write_format_data``, to
    keep a copy of each rich output: what ``display()`` shows and the cell's result
    (``Out[n]``), in the order shown.

    The displayhook is wrapped after it has decided to show the value, so a trailing ``;``
    (or a ``None`` result) records nothing, as it shows nothing.
    """

    SKIP_KEY = "jupyter_artifacts"

    def __init__(self, display_pub: Any, on_publish: Any = None, displayhook: Any = None) -> None:
        self._pub, self._hook = display_pub, displayhook
        self._on_publish = on_publish
        self.outputs: list[dict[str, Any]] = []
        self._wrapped: list[tuple[Any, str, Any, Any, bool]] = []

    def _keep(self, data: dict[str, Any], metadata: dict[str, Any] | None, **extra: Any) -> None:
        if len(self.outputs) < MAX_DISPLAYS and not (metadata or {}).get(self.SKIP_KEY):
            self.outputs.append({"data": dict(data), "metadata": dict(metadata or {}), **extra})
        if self._on_publish is not None:
            self._on_publish()

    def _wrap(self, owner: Any, name: str, wrapper: Any) -> None:
        self._wrapped.append((owner, name, wrapper, getattr(owner, name), name in vars(owner)))
        setattr(owner, name, wrapper)

    def __enter__(self) -> DisplayRecorder:
        publish_original = self._pub.publish

        def publish(data: dict[str, Any], metadata: dict[str, Any] | None = None, *args: Any,
                    **kwargs: Any) -> Any:
            if not kwargs.get("update"):
                self._keep(data, metadata)
            elif self._on_publish is not None:
                self._on_publish()
            return publish_original(data, metadata, *args, **kwargs)

        self._wrap(self._pub, "publish", publish)
        if self._hook is not None and hasattr(self._hook, "write_format_data"):
            write_original = self._hook.write_format_data

            def write_format_data(format_dict: dict[str, Any], md_dict: Any = None) -> Any:
                self._keep(format_dict, md_dict, output_type="execute_result")
                return write_original(format_dict, md_dict)

            self._wrap(self._hook, "write_format_data", write_format_data)
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, name, wrapper, original, had_own in reversed(self._wrapped):
            if vars(owner).get(name) is not wrapper:
                continue  # someone wrapped it after us; leave their wrapper alone
            if had_own:
                setattr(owner, name, original)
            else:
                delattr(owner, name)  # the class's method shows through again
        self._wrapped = []


class FileWatcher:
    """Notes data files opened during a cell, via one process-wide audit hook.

    Audit hooks cannot be removed, so the hook is installed once and is inert (one global
    check) whenever no watcher is active, including after the extension is unloaded.
    """

    _installed = False
    _active: FileWatcher | None = None
    _lock = threading.Lock()

    def __init__(self, ignore: list[Path]) -> None:
        self.reads: dict[str, float] = {}
        self.writes: dict[str, float] = {}
        self._ignore = [str(p) for p in ignore] + [sys.prefix, sys.base_prefix]

    def _note(self, path: str, mode: Any) -> None:
        # os.path on the string, not Path objects: most opens (modules, fonts) stop here.
        if (os.path.splitext(path)[1].lower() not in _DATA_SUFFIXES
                and os.path.basename(path) != "requirements.txt"):
            return
        full = os.path.abspath(path)
        if any(full.startswith(prefix) for prefix in self._ignore):
            return
        # Libraries keep caches and settings in hidden folders (~/.cache/matplotlib/fontlist…):
        # those opens are not the cell's data.
        if any(part.startswith(".") and part not in (".", "..") for part in Path(full).parts):
            return
        mode = mode if isinstance(mode, str) else "r"
        target = self.writes if any(c in mode for c in "wax+") else self.reads
        target.setdefault(full, 0.0)

    def __enter__(self) -> FileWatcher:
        with self._lock:
            if not FileWatcher._installed:
                sys.addaudithook(_audit)
                FileWatcher._installed = True
            FileWatcher._active = self
        return self

    def __exit__(self, *exc: object) -> None:
        FileWatcher._active = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """The process's one audit hook. It runs for every audit event of every cell, tracked
    or not, for the life of the process: the event name is tested first, and the rest
    only runs for an ``open`` while a watcher is active."""
    if event == "open" and (watcher := FileWatcher._active) is not None:
        path = args[0]
        if isinstance(path, str | bytes | os.PathLike):
            watcher._note(os.fsdecode(path), args[1])
