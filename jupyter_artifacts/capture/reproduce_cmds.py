"""``%artifacts restore`` and ``%artifacts cell``: the reproduce commands of the line magic."""

from __future__ import annotations

import argparse
from typing import Any

from IPython.core.error import UsageError

RESTORE_USAGE = "%artifacts restore REF [--inputs] [--outputs] [--only NAMES] | restore REF as VAR"
CELL_USAGE = "%artifacts cell CELL_ID [--notebook PATH]"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:
        raise UsageError(f"{message}; usage: {self.usage}")


def _restore_parser() -> _Parser:
    parser = _Parser(prog="%artifacts restore", usage=RESTORE_USAGE, add_help=False)
    parser.add_argument("ref")
    parser.add_argument("--inputs", action="store_true")
    parser.add_argument("--outputs", action="store_true")
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--trust", action="store_true")
    return parser


def restore_command(args: list[str], namespace: dict[str, Any]) -> None:
    """Bind a run's variables (or one version ``as VAR``) and print what was bound."""
    from .. import api

    if len(args) >= 3 and args[1] == "as":
        if len(args) != 3:
            raise UsageError(RESTORE_USAGE)
        report = api.restore(args[0], name=args[2], namespace=namespace)
    else:
        opts = _restore_parser().parse_args(args)
        # Neither flag, or both: everything the run read and produced.
        both = opts.inputs == opts.outputs
        only = [n for part in opts.only for n in part.replace(",", " ").split()] or None
        report = api.restore(opts.ref, inputs=both or opts.inputs, outputs=both or opts.outputs,
                             only=only, namespace=namespace, trust=opts.trust)
    print(report)


def cell_command(args: list[str], default_notebook: str | None) -> Any:
    """The run of a notebook cell (by its id), as a card."""
    from .. import tracking
    from ..reproduce.cells import run_for_cell

    parser = _Parser(prog="%artifacts cell", usage=CELL_USAGE, add_help=False)
    parser.add_argument("cell_id")
    parser.add_argument("--notebook", default=default_notebook)
    opts = parser.parse_args(args)
    if not opts.notebook:
        raise UsageError("%artifacts cell: the kernel does not know its notebook; pass --notebook PATH")
    run = run_for_cell(opts.notebook, opts.cell_id, store=tracking.default_store())
    from ..widgets.cards import card

    return card(tracking.default_store(), run.ref)
