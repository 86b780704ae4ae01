"""One tracked execution of a cell: what is noted before it runs and recorded after."""

from __future__ import annotations

import functools
import os
import re
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from .. import tracking
from ..codecs.figures import snapshots_in_background
from ..errors import ArtifactsError, InvalidValueError, UnsupportedObjectError
from ..store import ArtifactVersion, Store
from . import background
from .analysis import CellNames
from .costs import over_budget
from .figures import ShownFigures, figures_drawn, open_figures
from .histories import library_curves
from .linking import VersionLinker, file_artifact_name
from .naming import figure_names, figure_of, slug
from .progress import estimated_size
from .provenance import NamespaceRecord
from .recorders import DisplayRecorder, FileWatcher, StreamTee
from .values import (
    artifact_kind,
    is_fitted_estimator,
    is_number,
    is_param_value,
    signature,
    to_float,
)


@dataclass
class TrackOptions:
    name: str | None = None
    tags: list[str] = field(default_factory=list)
    save: list[str] = field(default_factory=list)
    skip: list[str] = field(default_factory=list)
    figures: bool = True
    quiet: bool = False


def _existing_files(strings: set[str]) -> dict[str, tuple[int, int] | None]:
    """Stat the string constants that look like paths (None: does not exist yet)."""
    found: dict[str, tuple[int, int] | None] = {}
    for text in strings:
        if "\n" in text or len(text) > 300 or not re.search(r"\.[A-Za-z0-9]{1,12}$", text):
            continue
        try:
            st = os.stat(text)
        except (OSError, ValueError):
            found[os.path.abspath(text)] = None
            continue
        if os.path.isfile(text):
            found[os.path.abspath(text)] = (st.st_size, st.st_mtime_ns)
    return found


class CellRun:
    """Everything about one tracked cell between ``pre_run_cell`` and ``post_run_cell``."""

    def __init__(self, shell: Any, store: Store, linker: VersionLinker, options: TrackOptions,
                 code: str, names: CellNames | None) -> None:
        self.shell, self.store, self.linker = shell, store, linker
        self.options, self.code, self.names = options, code, names
        self.warnings: list[str] = []
        self.params: dict[str, Any] = {}
        self.inputs: list[ArtifactVersion] = []
        self.outputs: list[tuple[ArtifactVersion, bool]] = []
        self.deferred: list[tuple[str, Future[tuple[ArtifactVersion, bool]]]] = []
        self._to_defer: list[tuple[str, Callable[[], Future[tuple[ArtifactVersion, bool]]]]] = []
        self.metrics: dict[str, float] = {}
        self.figures: list[Any] = []
        self.active: tracking.ActiveRun | None = None
        self.notebook: str | None = None
        # Models are stored in the background; a headless kernel (nbclient, papermill) waits
        # for them when it is asked to shut down (see TrackingSession._hook_kernel_shutdown).
        self.defer_models = True
        # What tracking cost this cell: seconds in our hooks on the cell's critical path,
        # per capture, and the background jobs the cell started (timed as they run).
        self.critical_s = 0.0
        self.capture_s: dict[str, float] = {}
        self.background: list[Future[Any]] = []
        self.shown: ShownFigures | None = None
        # Inputs a previous cell's background save is still storing: linked when it lands.
        self._pending_inputs: list[Future[tuple[ArtifactVersion, bool]]] = []
        self.curve: Any = None  # the live metric curve, once the cell logs a metric
        self.loops: Any = None  # (recorder, AST transformer) of loop curves while the cell runs
        self.loop_points: dict[str, tuple[int, float]] = {}  # name -> last (step, value) of its curve
        self._before: dict[str, Any] = {}
        self._signatures: dict[str, Any] = {}
        self._input_oids: dict[str, str] = {}
        self._files_before: dict[str, tuple[int, int] | None] = {}
        self._figures_before: dict[int, Any] = {}
        self._figures_shown: dict[int, tuple[Any, tuple[int, ...]]] = {}
        self.stdout: StreamTee | None = None
        self.stderr: StreamTee | None = None
        self.displays: DisplayRecorder | None = None
        self.files: FileWatcher | None = None
        self.namespace = NamespaceRecord()  # where each read and bound name went (restore, replay)

    # -- before the cell -------------------------------------------------------------
    def warn(self, what: str, exc: BaseException) -> None:
        self.warnings.append(f"{what}: {exc}")

    def note_inputs(self) -> None:
        """Params and input artifacts the cell reads, captured before it can change them."""
        ns, names, skip = self.shell.user_ns, self.names, set(self.options.skip)
        if names is None:
            return
        for name in sorted(set(names.loads) | names.mutated):
            if name.startswith("_") or name in skip or name not in ns:
                continue
            value = ns[name]
            self._before[name] = value
            if not names.read_before_bound(name):
                continue  # rebound before use: the old value never reached the cell
            if is_param_value(value):
                if name in names.loads:
                    self.params[name] = value
                    self.namespace.read(name, {"param": name})
                continue
            kind = artifact_kind(value)
            if kind == "model":  # to tell later whether a method call changed it
                self._signatures[name] = signature(value)
            if kind is None or kind == "figure" or not is_fitted_estimator(value):
                self.namespace.read_other(name, value)
                continue
            if (saving := self.linker.pending_save(value)) is not None:
                self._pending_inputs.append(saving)  # linked when it lands, not waited for
                self.namespace.read(name, {"pending": name})
                continue
            try:
                version = self.linker.input_version(value, name, kind)
            except (ArtifactsError, OSError, ValueError, TypeError) as exc:
                self.warn(f"input {name} ({type(value).__name__}) not linked", exc)
                self.namespace.read(name, {"unstored": f"not linked ({exc})"})
                continue
            self.inputs.append(version)
            self.namespace.read(name, {"version": version.id})
            self._input_oids[name] = version.oid
        self._files_before = _existing_files(names.strings)
        if self.options.figures:
            self._figures_before = open_figures()

    def _link_input_later(self, saving: Future[tuple[ArtifactVersion, bool]], run_id: str,
                          linked: Future[None]) -> None:
        try:
            if saving.exception() is None:
                self.store.record_event(run_id, saving.result()[0].id, "input")
        finally:
            linked.set_result(None)

    def start(self, run_name: str, fields: dict[str, Any]) -> None:
        self.active = tracking.start_run(
            run_name, store=self.store, tags=self.options.tags, params=self.params,
            strict_params=False, **fields,  # a captured param too large is skipped, with a warning
        )
        for version in self.inputs:
            self.store.record_event(self.active.id, version.id, "input")
        for saving in self._pending_inputs:
            linked: Future[None] = Future()  # so that waiting for the background includes the link
            background.track(linked, detached=True)
            saving.add_done_callback(functools.partial(self._link_input_later, run_id=self.active.id,
                                                       linked=linked))
        self.stdout, self.stderr = StreamTee(sys.stdout), StreamTee(sys.stderr)
        sys.stdout, sys.stderr = self.stdout, self.stderr
        on_publish = self._note_shown_figures if self.options.figures else None
        self.displays = DisplayRecorder(self.shell.display_pub, on_publish,
                                        self.shell.displayhook).__enter__()
        if self.options.figures:
            self.shown = ShownFigures(self.shell).__enter__()
        self.files = FileWatcher([self.store.root]).__enter__()

    # -- after the cell --------------------------------------------------------------
    def stop_recording(self) -> None:
        if self.stdout is not None and sys.stdout is self.stdout:
            sys.stdout = self.stdout._stream
        if self.stderr is not None and sys.stderr is self.stderr:
            sys.stderr = self.stderr._stream
        if self.displays is not None:
            self.displays.__exit__()
        if self.files is not None:
            self.files.__exit__()
        if self.shown is not None:
            self.shown.__exit__()

    def _note_shown_figures(self) -> None:
        for fig, state in open_figures().values():
            self._figures_shown[id(fig)] = (fig, state)

    def catch_figures(self) -> None:
        """Called from ``post_execute`` before the inline backend closes the figures."""
        if self.options.figures and self.active is not None:
            self.figures = figures_drawn(self._figures_before, list(self._figures_shown.values()))

    def record_outputs(self) -> None:
        assert self.active is not None
        run_id, ns = self.active.id, self.shell.user_ns
        names = self.names or CellNames()
        skip = set(self.options.skip)
        candidates = set(names.stores) - names.loop_targets
        candidates |= {n for n in names.mutated if n in self._before}
        candidates |= set(self.options.save)
        # Figures by the variable bound to them: the Figure's own, else an Axes or grid of it.
        bound: dict[int, tuple[str, Any]] = {}
        axes_names: dict[int, tuple[str, Any]] = {}
        for name in sorted(candidates):
            if name.startswith("_") or name in skip or name not in ns:
                continue
            value = ns[name]
            forced = name in self.options.save
            if name not in names.stores and not forced and not self._changed(name, value):
                continue
            self._log_library_curves(name, value)
            if is_number(value) and name not in names.literal_stores and not forced:
                self.metrics[name] = to_float(value)
                self.namespace.wrote(name, {"metric": name})
                continue
            if name in names.literal_stores and is_param_value(value) and not forced:
                self.params[name] = value
                self.namespace.wrote(name, {"param": name})
                continue
            kind = artifact_kind(value)
            if kind is None and (fig := figure_of(value)) is not None:
                axes_names.setdefault(id(fig), (name, fig))  # `ax = sns.heatmap(...)`
            if kind is None and not forced:
                if name not in names.loop_targets:
                    self.namespace.wrote_other(name, value)
                continue
            if kind == "dataset" and name in names.in_loop and not forced:
                continue  # a loop's scratch arrays (batches, gradients), not results
            if kind == "figure":
                bound[id(value)] = (name, value)
                self.namespace.wrote(name, {"unstored": "a figure: stored as images, not as an object"})
                continue
            self.namespace.wrote(name, {"artifact": name})
            if kind == "metrics" and isinstance(value, dict):
                self.metrics.update({f"{name}.{k}": to_float(v) for k, v in value.items() if is_number(v)})
            self._save_output(value, name, run_id, kind)
        # Metrics and params first: they are small and the run's core, so a failure while
        # storing a figure, a file or the streams below cannot cost them.
        for key, value in self.metrics.items():
            last = self.loop_points.get(key)
            if last is not None and last[1] == value:
                continue  # the last point of its loop's curve
            try:
                self.active.log_metric(key, value, step=0 if last is None else last[0] + 1)
            except InvalidValueError as exc:  # e.g. a metrics dict with an unusable key
                self.warn("metric not recorded", exc)
        literal_params = {k: v for k, v in self.params.items() if k in names.literal_stores}
        if literal_params:
            self.active.log_params(literal_params, strict=False)
        self._record_figures({**axes_names, **bound}, run_id)
        self._record_files(run_id)
        self._guard(lambda: self._record_streams(run_id), "printed and displayed output")

    def _log_library_curves(self, name: str, value: Any) -> None:
        """Series the value's library kept (a Keras History, an MLP's loss curve...)."""
        assert self.active is not None
        for key, points in library_curves(value).items():
            metric = f"{name}.{key}"
            try:
                for step, number in points:
                    self.active.log_metric(metric, number, step=step)
            except InvalidValueError as exc:
                self.warn(f"curve {metric} not recorded", exc)
                continue
            self.metrics[metric] = points[-1][1]
            self.loop_points[metric] = points[-1]  # logged: not again as a final value

    def _changed(self, name: str, value: Any) -> bool:
        """For names only mutated through methods: did the value really change?"""
        if name in self._signatures and background.can_defer(value):
            # scikit-learn replaces fitted attributes on fit: a cheap, reliable signal.
            return signature(value) != self._signatures[name]
        return True  # the rest (torch trains in place): content comparison by oid decides

    def _save_output(self, value: Any, name: str, run_id: str, kind: str | None) -> None:
        start = time.perf_counter()
        with background.collecting() as jobs:
            self._store_output(value, name, run_id, kind)
        self.background += jobs
        self.capture_s[name] = self.capture_s.get(name, 0.0) + time.perf_counter() - start

    def _store_output(self, value: Any, name: str, run_id: str, kind: str | None) -> None:
        if name not in self.options.save and (notice := over_budget(name, estimated_size(value))):
            self.warnings.append(notice)
            self.namespace.wrote(name, {"unstored": notice})
            return
        if kind == "model" and self.defer_models and background.can_defer(value):
            self._to_defer.append((name, self.linker.deferred_output_version(value, name, run_id, kind)))
            return
        try:
            version, created = self.linker.output_version(value, name, run_id, kind,
                                                          forced=name in self.options.save)
        except UnsupportedObjectError as exc:
            if name in self.options.save:  # asked for by name: say why it is missing
                self.warn(f"skipped {name} ({type(value).__name__})", exc)
            self.namespace.wrote(name, {"unstored": str(exc)})
            return  # a kind we recognise whose codec is not installed or not written yet
        except (ArtifactsError, OSError, ValueError, TypeError) as exc:
            self.warn(f"skipped {name} ({type(value).__name__})", exc)
            self.namespace.wrote(name, {"unstored": f"{type(exc).__name__}: {exc}"})
            return
        rebound = self.names is not None and name in self.names.stores
        if self._input_oids.get(name) == version.oid and not rebound:
            return  # read and handed back unchanged: an input, not an output
        self.outputs.append((version, created))

    def _record_figures(self, bound: dict[int, tuple[str, Any]], run_id: str) -> None:
        base = slug(self.active.run.name) if self.active else "cell"
        drawn = list(self.figures)
        drawn += [fig for fig_id, (_, fig) in bound.items() if all(id(f) != fig_id for f in drawn)]
        names = figure_names(drawn, {fig_id: name for fig_id, (name, _) in bound.items()}, base)
        with snapshots_in_background():  # the session waits for them before the next cell
            for fig, name in zip(drawn, names, strict=True):
                self._save_output(fig, name, run_id, "figure")

    def _record_files(self, run_id: str) -> None:
        watched_reads = set(self.files.reads) if self.files else set()
        watched_writes = set(self.files.writes) if self.files else set()
        after = _existing_files(self.names.strings) if self.names else {}
        for path, before in self._files_before.items():
            now = after.get(path)
            if now is None:
                continue
            if before is None or before != now:
                watched_writes.add(path)
            else:
                watched_reads.add(path)
        cwd = os.getcwd()
        for path in sorted(watched_writes):
            if os.path.isfile(path):
                self._guard(lambda p=path: self.outputs.append(
                    self.linker.file_version(p, file_artifact_name(p, cwd), run_id)), f"file {path}")
        for path in sorted(watched_reads - watched_writes):
            if os.path.isfile(path):
                self._guard(lambda p=path: self._link_input_file(p, cwd, run_id), f"file {path}")

    def _link_input_file(self, path: str, cwd: str, run_id: str) -> None:
        version, _ = self.linker.file_version(path, file_artifact_name(path, cwd))
        self.store.record_event(run_id, version.id, "input")
        self.inputs.append(version)

    def _guard(self, action: Any, what: str) -> None:
        try:
            action()
        except (ArtifactsError, OSError, ValueError) as exc:
            self.warn(f"{what} not recorded", exc)

    def _record_streams(self, run_id: str) -> None:
        from ..codecs import save_object

        base = slug(self.active.run.name) if self.active else "cell"
        texts = {"stdout": self.stdout.getvalue() if self.stdout else "",
                 "stderr": self.stderr.getvalue() if self.stderr else ""}
        for stream, text in texts.items():
            if text:
                save_object(self.store, text, f"{base}/{stream}", kind="log", run_id=run_id)
        # Figures are stored as figures; their displayed PNGs would only be a second copy.
        bundles = [b for b in (self.displays.outputs if self.displays else [])
                   if not str(b["data"].get("text/plain", "")).startswith("<Figure size")]
        for i, bundle in enumerate(bundles, start=1):
            data = bundle["data"]
            if "text/html" in data and "image/png" not in data:
                html = data["text/html"]
                html = "".join(html) if isinstance(html, list) else html
                # The cell's result (Out[n]: df.head(), a Styler) or something it displayed.
                part = "result" if bundle.get("output_type") == "execute_result" else f"display{i}"
                save_object(self.store, html, f"{base}/{part}", kind="report", run_id=run_id,
                            metadata={"media_types": sorted(data)})
        if bundles:
            save_object(self.store, {"outputs": bundles}, f"{base}/outputs", kind="log", run_id=run_id)

    @property
    def pending_names(self) -> list[str]:
        return [name for name, _ in self._to_defer] + [name for name, _ in self.deferred]

    def start_deferred(self) -> Future[tuple[ArtifactVersion, bool]] | None:
        """Start the background saves (after the run is closed, so they compete with nothing);
        return the last one's future."""
        started = [(name, start()) for name, start in self._to_defer]
        self.deferred += started
        self.background += [future for _, future in started]
        self._to_defer = []
        return self.deferred[-1][1] if self.deferred else None

    def collect_deferred(self) -> None:
        """Move finished background saves into ``outputs`` (or ``warnings``)."""
        for name, future in self.deferred:
            try:
                self.outputs.append(future.result())
            except Exception as exc:
                self.warn(f"skipped {name}", exc)
        self.deferred = []

    def fix_execution_count(self, result: Any) -> None:
        """The count the cell shows (``In [n]``) is the result's; the guess made before the
        cell ran is corrected if the shell numbered it otherwise."""
        count = getattr(result, "execution_count", None)
        if (self.active is None or count is None or not getattr(result.info, "store_history", False)
                or self.active.run.execution_count == count):
            return
        try:
            self.store.update_run(self.active.id, execution_count=count)
        except (ArtifactsError, OSError) as exc:
            self.warn("execution count not recorded", exc)

    def finish(self, error: BaseException | None) -> None:
        if self.active is not None:
            tracking.end_run(self.active, error)
            self.active.run = self.store.get_run(self.active.id)
            self.warnings.extend(self.active.warnings)  # params skipped, points dropped
