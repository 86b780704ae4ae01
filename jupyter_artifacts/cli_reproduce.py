"""The reproduce commands of the command line: ``show REF --env`` and ``replay REF``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from .store import Store

Command = Callable[[str, str], argparse.ArgumentParser]


def _show_env(store: Store, args: argparse.Namespace) -> int | None:
    from .reproduce.envexport import environment_yml, requirements_txt, run_environment, write_environment

    env = run_environment(store, args.ref)
    if args.output:
        paths = write_environment(env, args.output)
        text = "\n".join(f"wrote {p}" for p in paths)
        data: dict[str, Any] = {"files": [str(p) for p in paths]}
    else:
        text = ("# requirements.txt\n" + requirements_txt(env) + "\n# environment.yml\n"
                + environment_yml(env))
        data = env
    print(json.dumps(data, indent=2, default=str) if args.json else text.rstrip("\n"))
    return 0


def cmd_replay(store: Store, args: argparse.Namespace) -> int:
    """Write (and with --execute run and compare) the notebook that makes REF again."""
    from .reproduce.replay import replay

    result = replay(args.ref, args.output, store=store, execute=args.execute,
                    shortest=args.shortest, rtol=args.rtol, pixel_tolerance=args.pixel_tolerance,
                    timeout=args.timeout)
    print(json.dumps(result.to_dict(), indent=2, default=str) if args.json else result.text())
    return result.exit_code


def register(sub: Any, command: Command) -> None:
    """Add ``--env``/``-o`` to ``show`` and the ``replay`` command to the parser."""
    show = sub.choices["show"]
    plain_show = show.get_default("func")
    show.add_argument("--env", action="store_true",
                      help="export the run's recorded environment: requirements.txt and environment.yml")
    show.add_argument("-o", "--output", metavar="DIR", help="with --env: write the two files into DIR")

    def show_or_env(store: Store, args: argparse.Namespace) -> Any:
        return _show_env(store, args) if args.env else plain_show(store, args)

    show.set_defaults(func=show_or_env)
    p = command("replay", "write the notebook of the recorded cells that made REF (and run it)")
    p.add_argument("ref")
    p.add_argument("-o", "--output", default="replay.ipynb", metavar="PATH")
    p.add_argument("--execute", action="store_true",
                   help="run it in a fresh kernel against a scratch store and compare with "
                        "the record; exit 0 exact, 1 within tolerance, 3 differs, 4 failed to run")
    p.add_argument("--shortest", action="store_true",
                   help="load stored intermediates instead of replaying the cells that made them")
    p.add_argument("--rtol", type=float, default=1e-6,
                   help="relative tolerance for metrics, arrays and DataFrames (default 1e-6)")
    p.add_argument("--pixel-tolerance", type=float, default=0.01,
                   help="fraction of pixels a figure may differ by (default 0.01)")
    p.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    p.set_defaults(func=cmd_replay)
