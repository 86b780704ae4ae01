"""``%%track`` (when invoked directly) and ``%artifacts`` for quick work in a cell."""

from __future__ import annotations

import difflib
import json
import shlex
from keyword import iskeyword
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from .. import api, tracking
from ..errors import ArtifactsError, NotFoundError

if TYPE_CHECKING:
    from .session import TrackingSession

USAGE = ("%artifacts ls [NAME] | show REF | load REF [as VAR] | runs [NAME] | diff REF REF | "
         "panel | compare REF REF... | lineage REF | costs [N] | restore REF [--inputs] "
         "[--outputs] [--only NAMES] | restore REF as VAR | cell CELL_ID [--notebook PATH]")


@magics_class
class ArtifactsMagics(Magics):
    """Track cells as runs and browse the store."""

    def __init__(self, shell: Any, session: TrackingSession) -> None:
        super().__init__(shell)
        self.session = session

    @cell_magic
    def track(self, line: str, cell: str) -> None:
        """Record this cell as one run: ``%%track [NAME] [--tag T] [--save VAR] [--skip VAR]
        [--no-figures] [--quiet]``."""
        # Normally the session's hooks handle %%track before this runs; this path serves
        # callers of run_cell_magic, and nests the body as its own cell.
        from .options import parse_options

        self.session.begin(parse_options(line), cell, None, self.session.shown_count())
        assert self.shell is not None
        self.shell.run_cell(cell, store_history=False)

    @line_magic
    def artifacts(self, line: str) -> Any:
        """Browse the store: ``%artifacts ls | show REF | load REF [as VAR] | runs | diff A B | panel``."""
        try:
            words = shlex.split(line)
        except ValueError as exc:
            raise UsageError(f"%artifacts: {exc}") from None
        if not words:
            raise UsageError(USAGE)
        command, args = words[0], words[1:]
        handler = getattr(self, f"_cmd_{command}", None)
        if handler is None:
            raise UsageError(f"%artifacts: unknown command {command!r}. Usage: {USAGE}")
        try:
            return handler(args)
        except ArtifactsError as exc:
            raise UsageError(f"%artifacts {command}: {exc}") from None

    def _cmd_ls(self, args: list[str]) -> Any:
        if args:
            return api.versions(args[0])
        return api.artifacts()

    def _cmd_runs(self, args: list[str]) -> Any:
        return api.runs(name=args[0] if args else None, limit=50)

    def _cmd_show(self, args: list[str]) -> Any:
        if len(args) != 1:
            raise UsageError("%artifacts show REF")
        from ..widgets.cards import card

        return card(tracking.default_store(), args[0])

    def _cmd_load(self, args: list[str]) -> Any:
        # A keyword (`as class`, `as None`) is an identifier no cell can read back.
        if len(args) == 3 and args[1] == "as" and args[2].isidentifier() and not iskeyword(args[2]):
            assert self.shell is not None
            self.shell.user_ns[args[2]] = api.load(args[0])
            return None
        if len(args) != 1:
            raise UsageError("%artifacts load REF [as VAR]")
        return api.load(args[0])

    def _cmd_diff(self, args: list[str]) -> Any:
        if len(args) != 2:
            raise UsageError("%artifacts diff REF REF")
        store = tracking.default_store()
        texts = []
        for ref in args:
            try:
                v = store.resolve(ref)
                texts.append((v.ref, json.dumps(v.summary, indent=1, sort_keys=True, default=str)))
            except NotFoundError:
                run = store.get_run(ref)
                body = json.dumps({"params": run.params, "metrics": run.metrics}, indent=1, sort_keys=True)
                texts.append((run.ref, (run.code or "") + "\n" + body))
        (a_name, a), (b_name, b) = texts
        diff = difflib.unified_diff(a.splitlines(), b.splitlines(), a_name, b_name, lineterm="")
        print("\n".join(diff) or "no differences")
        return None

    def _cmd_panel(self, args: list[str]) -> Any:
        from ..widgets import panel

        return panel()

    def _cmd_compare(self, args: list[str]) -> Any:
        if len(args) < 2:
            raise UsageError("%artifacts compare REF REF...")
        from ..widgets import compare

        return compare(*args)

    def _cmd_lineage(self, args: list[str]) -> Any:
        if len(args) != 1:
            raise UsageError("%artifacts lineage REF")
        from ..graph import lineage

        return lineage(args[0])

    def _cmd_costs(self, args: list[str]) -> Any:
        """The runs whose tracking cost the cell most (``costs [N]``, ``slow`` for short)."""
        # isdigit() alone accepts '²' and other digits int() refuses.
        if len(args) > 1 or (args and not (args[0].isascii() and args[0].isdigit())):
            raise UsageError("%artifacts costs [N]")
        from .costs import slowest

        rows = slowest(tracking.default_store(), int(args[0]) if args else 10)
        if not rows:
            print("no tracked cells with a recorded cost yet")
            return None
        lines = [f"{'run':<10} {'on cell ms':>10} {'background ms':>13}  name / slowest capture"]
        for r in rows:
            bg = "" if r["background_ms"] is None else f"{r['background_ms']:.0f}"
            lines.append(f"{r['run']:<10} {r['critical_ms']:>10.0f} {bg:>13}  {r['name'][:40]}"
                         + (f" / {r['slowest_capture']}" if r["slowest_capture"] else ""))
        print("\n".join(lines))
        return None

    _cmd_slow = _cmd_costs

    def _cmd_restore(self, args: list[str]) -> Any:
        """Bind a run's variables at their recorded versions (see ``reproduce_cmds``)."""
        from .reproduce_cmds import restore_command

        assert self.shell is not None
        restore_command(args, self.shell.user_ns)

    def _cmd_cell(self, args: list[str]) -> Any:
        """The run a notebook cell (by id) was last recorded as."""
        from .reproduce_cmds import cell_command

        return cell_command(args, self.session.notebook_path())
