"""The kernel side of tracking: IPython event hooks that turn ``%%track`` cells into runs.

A ``%%track`` cell is not run by a magic function: the hooks see its first line in
``pre_run_cell``, a cleanup transformer blanks that line, and the body then runs as an
ordinary cell. Display of the last value, ``;``, top-level ``await``, tracebacks and
``KeyboardInterrupt`` therefore behave exactly as in an untracked cell. A cell magic
stacked below (``%%time``) runs the body as it would untracked (see ``header``).
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import uuid
from concurrent.futures import Future
from typing import Any

import IPython
from IPython.core.error import UsageError
from IPython.core.inputtransformer2 import leading_indent

from .. import tracking
from ..codecs.figures import wait_snapshots
from ..environment import environment_ready, git_state, python_environment
from . import background, costs
from .analysis import analyse
from .cellrun import CellRun, TrackOptions
from .header import (
    MAGIC,
    PYTHON_BODY_MAGICS,
    magic_above_track,
    python_of_body,
    split_header,
    stacked_magic,
    track_header,
)
from .linking import VersionLinker
from .loops import HOOK, LoopCurves, LoopRecorder, write_points
from .naming import default_run_name
from .notebook_doc import NotebookDocuments, output_marker, record_for_reproduction, show_marker
from .options import merge_options
from .summary import LiveCurve, summary_html, summary_text

# IPython 9 increments ``execution_count`` before ``pre_run_cell``, IPython 8 after the cell.
IPYTHON_COUNTS_BEFORE_HOOKS = IPython.version_info >= (9,)
GIT_TTL = 30.0
GitState = tuple[str | None, bool | None]


class TrackingSession:
    """Owns the hooks for one IPython shell; one per loaded extension."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.context_id = uuid.uuid4().hex
        self.current: CellRun | None = None
        self._linker: VersionLinker | None = None
        # By folder: when it was asked, and the answer (or its future while git runs).
        self._git: dict[str, tuple[float, GitState | Future[GitState]]] = {}
        self._contexts: set[str] = set()
        self._kernel_hooked: Any = None
        # Listing installed packages takes ~100 ms (seconds on a busy machine): never on a
        # cell's path. A run that starts before the listing is done gets it when it is.
        background.submit(python_environment, lane="environment")
        self._notebooks = NotebookDocuments()
        # What the first tracked cell needs, made ready while the notebook goes on to it:
        # the store (if it exists) and the git state of the notebook's folder.
        tracking.prepare_default_store()
        with contextlib.suppress(OSError):  # no working directory: the first cell says so
            folder = self._folder(self.notebook_path())
            self._git[folder] = (time.monotonic(),
                                 background.submit(git_state, folder, lane="git", hold=False))

    # -- registration ----------------------------------------------------------------
    def register(self) -> None:
        events = self.shell.events
        events.register("pre_run_cell", self.pre_run_cell)
        # Ahead of the inline backend's flush_figures, which closes the cell's figures.
        events.callbacks["post_execute"].insert(0, self.post_execute)
        events.register("post_run_cell", self.post_run_cell)
        # Last, so the blank line we leave is not removed by leading_empty_lines.
        self.shell.input_transformers_cleanup.append(self.strip_magic_line)
        self._hook_kernel_shutdown()

    def _hook_kernel_shutdown(self) -> None:
        """Finish background saves when the kernel is asked to stop, before it answers.

        nbclient and papermill stop the kernel right after the last cell, then terminate
        it (and its child processes) within seconds: ``atexit`` alone would run too late.
        """
        kernel = getattr(self.shell, "kernel", None)
        if kernel is None or "do_shutdown" in vars(kernel):
            return
        original = kernel.do_shutdown

        def do_shutdown(*args: Any, **kwargs: Any) -> Any:
            background.flush_at_exit()
            return original(*args, **kwargs)

        kernel.do_shutdown = do_shutdown
        self._kernel_hooked = kernel

    def _unhook_kernel_shutdown(self) -> None:
        kernel = getattr(self, "_kernel_hooked", None)
        if kernel is not None and "do_shutdown" in vars(kernel):
            del kernel.do_shutdown
        self._kernel_hooked = None

    def unregister(self) -> None:
        events = self.shell.events
        for name, callback in (("pre_run_cell", self.pre_run_cell), ("post_execute", self.post_execute),
                               ("post_run_cell", self.post_run_cell)):
            if callback in events.callbacks[name]:
                events.unregister(name, callback)
        if self.strip_magic_line in self.shell.input_transformers_cleanup:
            self.shell.input_transformers_cleanup.remove(self.strip_magic_line)
        self._unhook_kernel_shutdown()
        background.release()
        if self.current is not None:
            self._detach_loops(self.current)
            self.current.stop_recording()
            self.current = None

    # -- the transformer -------------------------------------------------------------
    def strip_magic_line(self, lines: list[str]) -> list[str]:
        """Blank the ``%%track`` lines (keeping line numbers) so the body runs as Python, or
        hand the body to the cell magic stacked below them."""
        header = track_header(lines)
        if header is None:
            return lines
        first, end = header
        # Pure: IPython may transform a cell several times, before or after pre_run_cell.
        try:
            merge_options([line.rstrip("\r\n")[len(MAGIC):] for line in lines[first:end]])
        except UsageError as exc:
            error = "__import__('IPython.core.error', fromlist=['UsageError']).UsageError"
            return [f"raise {error}({str(exc)!r})\n"]
        rest = lines[end:]
        below = next((i for i, line in enumerate(rest) if line.strip()), len(rest))
        if below < len(rest) and rest[below].startswith("%%"):
            # IPython's cell_magic transform, which follows, runs it when it is the first line.
            return rest[below:]
        # Blank, not removed: tracebacks keep the cell's line numbers. IPython dedents a cell
        # before this transformer sees it, but the %%track line was its unindented first line.
        return leading_indent([*lines[:first], *["\n"] * (end - first), *rest])

    # -- the hooks -------------------------------------------------------------------
    def _store(self) -> Any:
        store = tracking.default_store()
        if self._linker is None or self._linker.store is not store:
            from .progress import progress_for

            self._linker = VersionLinker(store, progress_for)
        return store

    def notebook_path(self) -> str | None:
        ns = self.shell.user_ns
        return ns.get("__vsc_ipynb_file__") or ns.get("__session__") or os.environ.get("JPY_SESSION_NAME")

    @staticmethod
    def _folder(notebook: str | None) -> str:
        return os.path.dirname(os.path.abspath(notebook or "x"))

    def _git_state(self, folder: str) -> GitState:
        now = time.monotonic()
        known = self._git.get(folder)
        if known is None or now - known[0] > GIT_TTL:
            known = self._git[folder] = (now, git_state(folder))
        state = known[1]
        if isinstance(state, Future):
            try:
                state = state.result()  # asked when the extension loaded: done by now, mostly
            except Exception:
                state = (None, None)
            self._git[folder] = (known[0], state)
        return state

    def pre_run_cell(self, info: Any) -> None:
        # Figures stored by the last tracked cell are pickled after it replied; no cell may
        # change them before that is done. What that wait costs this cell is tracking's.
        arrived = time.perf_counter()
        wait_snapshots()
        background.hold()  # any cell: background work waits for its end (see codecs.background)
        parts = split_header(info.raw_cell or "")
        if parts is None:
            if (magic := magic_above_track(info.raw_cell or "")) is not None:
                self._warn(f"%%track below %%{magic} is not tracked; put %%track on the first line")
            self._forget_changed(info.raw_cell or "")
            return
        lines, body = parts
        try:
            options = merge_options(lines)
        except UsageError:
            return  # the transformer turned the cell into a raise of this error
        if len(lines) > 1:
            self._warn("a nested %%track joins the outer one: one cell, one run")
        self.begin(options, body, getattr(info, "cell_id", None),
                   self.shown_count(getattr(info, "store_history", False)), since=arrived)

    def shown_count(self, store_history: bool = True) -> int:
        """The ``In [n]`` of the cell being run (IPython 9 has already moved the shell's
        counter on to the next cell's number when ``pre_run_cell`` fires)."""
        count: int = self.shell.execution_count
        return count - 1 if store_history and IPYTHON_COUNTS_BEFORE_HOOKS else count

    def begin(self, options: TrackOptions, body: str, cell_id: str | None,
              execution_count: int | None = None, since: float | None = None) -> None:
        """Start a run for a cell whose body is about to execute; its tracking cost counts
        from ``since`` (``perf_counter``), when the cell reached our hooks, if given."""
        start = time.perf_counter() if since is None else since
        cell: CellRun | None = None
        try:
            store = self._store()
            assert self._linker is not None
            names = analyse(self.shell.transform_cell(python_of_body(body)))
            cell = CellRun(self.shell, store, self._linker, options, body, names)
            cell.notebook = notebook = self.notebook_path()
            cell.note_inputs()
            self._forget_changed(body)  # after its inputs are linked: the body runs next
            commit, dirty = self._git_state(self._folder(notebook))
            if str(store.root) not in self._contexts:  # once per store, not once per cell
                store.ensure_context(self.context_id, "session", notebook_path=notebook)
                self._contexts.add(str(store.root))
            listed = environment_ready()
            cell.start(options.name or default_run_name(body, notebook), {
                "context_id": self.context_id, "notebook_path": notebook, "cell_id": cell_id,
                "execution_count": execution_count, "code": body,
                "environment_id": tracking.environment_id(store) if listed else None,
                "git_commit": commit, "git_dirty": dirty,
            })
            if not listed and cell.active is not None:
                background.submit(self._record_environment, store, cell.active.id,
                                  lane="environment")
            self._attach_live_curve(cell)
            # Not under %%timeit (it repeats the body), and not when the cell logs its own curves.
            if stacked_magic(body) in (None, *PYTHON_BODY_MAGICS) and "log_metric" not in body:
                self._attach_loops(cell)
            self.current = cell
            cell.critical_s += time.perf_counter() - start
        except BaseException as exc:  # tracking must never stop the user's cell
            self.current = None
            reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}"
            self._warn(f"this cell runs untracked ({reason})")
            if cell is not None:
                self._abandon(cell, exc)

    @staticmethod
    def _record_environment(store: Any, run_id: str) -> None:
        """Background: give a run that started before the package listing was done its
        environment (the listing runs on the same lane, so it is done or done now)."""
        store.update_run(run_id, environment_id=tracking.environment_id(store))

    def _forget_changed(self, code: str) -> None:
        """Every cell, tracked or not: drop memo entries of values it might change."""
        if self._linker is None or not len(self._linker.memo):
            return
        try:
            self._linker.memo.note_cell(self.shell.transform_cell(code), self.shell.user_ns)
        except Exception:  # never stop a cell; forgetting everything is always safe
            self._linker.memo.clear()

    @staticmethod
    def _abandon(cell: CellRun, exc: BaseException) -> None:
        """Undo a half-started or half-recorded capture: streams and publishers back, the run
        closed (``interrupted`` for a KeyboardInterrupt, else ``failed``) and off the stack."""
        active = cell.active
        try:
            TrackingSession._detach_loops(cell)
            cell.stop_recording()
            if cell.curve is not None:
                cell.curve.close()
        except BaseException:  # a second interrupt, or a broken stream: the run still closes
            pass
        finally:
            if active is not None and active in tracking._stack:
                try:
                    tracking.end_run(active, exc)
                except BaseException:  # the store itself may be what failed; the cell still runs
                    pass
                finally:
                    if active in tracking._stack:
                        tracking._stack.remove(active)

    def _attach_live_curve(self, cell: CellRun) -> None:
        if cell.options.quiet or cell.active is None:
            return
        from IPython.display import HTML, display

        meta = {"jupyter_artifacts": True}
        curve = LiveCurve(lambda svg: display(HTML(svg), display_id=True, metadata=meta),
                          lambda handle, svg: handle.update(HTML(svg), metadata=meta))
        cell.curve = curve
        cell.active.listeners.append(curve.on_metric)

    def _attach_loops(self, cell: CellRun) -> None:
        """Record a point per iteration of the cell's loops (see ``loops``) while it runs."""
        assert cell.active is not None
        recorder = LoopRecorder(self.shell.user_ns, cell.active)
        transformer = LoopCurves(recorder)
        cell.loops = (recorder, transformer)
        self.shell.user_ns[HOOK] = self.shell.user_ns_hidden[HOOK] = recorder.hooks
        self.shell.ast_transformers.append(transformer)

    @staticmethod
    def _detach_loops(cell: CellRun) -> None:
        if cell.loops is None:
            return
        recorder, transformer = cell.loops
        cell.loops = None
        shell = cell.shell
        if transformer in shell.ast_transformers:
            shell.ast_transformers.remove(transformer)
        shell.user_ns.pop(HOOK, None)
        shell.user_ns_hidden.pop(HOOK, None)
        rows = recorder.close()
        cell.loop_points = recorder.last
        if recorder.error is not None:
            cell.warn("loop curves stopped", recorder.error)
        if rows:
            background.submit(write_points, cell.store, rows)

    def post_execute(self) -> None:
        if self.current is not None:
            start = time.perf_counter()
            try:
                self.current.catch_figures()
            except BaseException as exc:  # an interrupt too: post_run_cell still closes the run
                self.current.warn("figures not captured", exc)
            self.current.critical_s += time.perf_counter() - start

    def post_run_cell(self, result: Any) -> None:
        cell, self.current = self.current, None
        try:
            if cell is not None:
                self._end(cell, result)
        finally:
            background.release_soon()

    def _end(self, cell: CellRun, result: Any) -> None:
        start = time.perf_counter()
        try:
            self._close(cell, result, start)
        except BaseException as exc:  # an interrupt while storing: the run must not stay active
            ref = cell.active.run.ref if cell.active is not None else "the run"
            if isinstance(exc, KeyboardInterrupt):
                self._abandon(cell, KeyboardInterrupt("interrupted while storing the cell's outputs"))
                self._warn(f"interrupted while storing the cell's outputs: {ref} is closed as interrupted")
                return
            self._abandon(cell, exc)
            if not isinstance(exc, Exception):
                raise  # SystemExit and the like are the process's business
            self._warn(f"{ref} could not be recorded ({type(exc).__name__}: {exc})")

    def _close(self, cell: CellRun, result: Any, start: float) -> None:
        self._detach_loops(cell)
        cell.stop_recording()
        if cell.curve is not None:
            cell.curve.close()
        error = result.error_in_exec or result.error_before_exec
        cell.fix_execution_count(result)
        objects = cell.store.objects
        # The fsyncs of the objects stored here are made right after, off the cell's path.
        with objects.deferred_sync():
            try:
                if error is None or cell.options.save:
                    cell.record_outputs()
            except Exception as exc:  # keep the run; report what could not be captured
                cell.warn("outputs not fully recorded", exc)
            try:
                cell.finish(error)
            except Exception as exc:
                self._warn(f"the run could not be closed ({exc})")
                return
            else:
                record_for_reproduction(cell, self._notebooks)  # saved with the cost, next
            finally:
                background.submit(objects.sync_deferred, lane="sync", hold=False)
        last = cell.start_deferred()
        self._record_cost(cell, start)
        if not cell.options.quiet and cell.active is not None:
            self._show_summary(cell, last)
            return
        if cell.active is not None:  # no summary: an empty output still links the cell to its run
            show_marker(cell.active.id)
        if last is not None:
            last.add_done_callback(lambda _: self._quiet_report(cell))
        elif cell.warnings:
            self._warn("; ".join(cell.warnings))

    def _quiet_report(self, cell: CellRun) -> None:
        cell.collect_deferred()
        if cell.warnings:
            self._warn("; ".join(cell.warnings))

    def _record_cost(self, cell: CellRun, start: float) -> None:
        """Put what tracking cost the cell on its run; the background part once it is known."""
        if cell.active is None:
            return
        store, run_id = cell.store, cell.active.id
        cell.critical_s += time.perf_counter() - start
        try:
            cell.active.run.metadata = costs.save_cost(
                store, run_id, costs.cost_record(cell.critical_s, cell.capture_s), cell.active.run.metadata)
        except Exception as exc:  # the cost is a nicety: never lose the run over it
            cell.warn("tracking cost not recorded", exc)
            return

        def background_done(seconds: float) -> None:
            with contextlib.suppress(Exception):
                costs.save_cost(store, run_id, {"background_ms": round(seconds * 1000, 1)})

        costs.when_background_done(cell.background, background_done)

    def _show_summary(self, cell: CellRun, last: Any) -> None:
        from IPython.display import display

        meta = output_marker(cell.active.id)  # type: ignore[union-attr]
        handle = display(self._summary_bundle(cell), raw=True, metadata=meta, display_id=True)
        if last is not None and handle is not None:
            # Models are being stored in the background: redraw the summary when they are.
            def redraw(_: object) -> None:
                cell.collect_deferred()
                handle.update(self._summary_bundle(cell), raw=True, metadata=meta)

            last.add_done_callback(redraw)

    @staticmethod
    def _summary_bundle(cell: CellRun) -> dict[str, str]:
        run = cell.active.run  # type: ignore[union-attr]
        pending = cell.pending_names
        return {
            "text/plain": summary_text(run, cell.outputs, cell.metrics, pending),
            "text/html": summary_html(run, cell.outputs, cell.inputs, cell.metrics, cell.params,
                                      cell.warnings, pending),
        }

    @staticmethod
    def _warn(message: str) -> None:
        print(f"jupyter-artifacts: {message}", file=sys.stderr)
