"""The ``jupyter-artifacts`` command line (also ``jupyter artifacts``)."""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import sqlite3
import sys
import warnings
from collections.abc import Sequence
from typing import Any, NoReturn

from . import cli_ship, cli_sync
from .errors import ArtifactsError, NotFoundError
from .store import Store
from .store.catalog import NewerSchemaWarning
from .store.records import human_size as _size
from .store.store import DERIVED_STATUSES, RUN_STATUSES


def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else "-"


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=False)).rstrip()
             for r in [header, *rows]]
    return "\n".join(lines)


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2, default=str) if args.json else text)


def cmd_ls(store: Store, args: argparse.Namespace) -> None:
    if args.name:
        versions = store.versions(args.name)
        rows = [[v.ref, v.kind, _size(v.size), ",".join(v.aliases), _when(v.created_at),
                 (v.run_id or "-")[:8]] for v in versions]
        _emit(args, [v.to_dict() for v in versions],
              _table(rows, ["VERSION", "KIND", "SIZE", "ALIASES", "CREATED", "RUN"]))
        return
    items = store.list_artifacts(kind=args.kind)
    rows = [[a["name"], a["kind"], f"v{a['latest']}", str(a["versions"]), ",".join(a["aliases"]),
             _when(a["updated_at"])] for a in items]
    _emit(args, items, _table(rows, ["NAME", "KIND", "LATEST", "VERSIONS", "ALIASES", "UPDATED"]))


def _runs_columns(r: Any) -> list[str]:
    metrics = " ".join(f"{k}={v:.4g}" for k, v in list(r.metrics.items())[:4])
    return [r.ref, r.name[:40], r.status, _when(r.started_at),
            f"{r.duration:.2f}s" if r.duration is not None else "-", r.made_by, metrics]


def cmd_runs(store: Store, args: argparse.Namespace) -> None:
    if args.filter is not None or args.order_by:
        from .store.filters import combine, simple_filter

        page = store.search_runs(combine(simple_filter(args.name, args.tag, args.status),
                                         args.filter),
                                 order_by=args.order_by or args.sort, descending=not args.asc,
                                 limit=args.limit)
    else:
        page = store.query_runs(name=args.name, tag=args.tag, status=args.status,
                                order_by=args.sort, descending=not args.asc, limit=args.limit)
    rows = [_runs_columns(r) for r in page.runs]
    _emit(args, {"total": page.total, "runs": [r.to_dict() for r in page.runs]},
          _table(rows, ["RUN", "NAME", "STATUS", "STARTED", "DURATION", "BY", "METRICS"])
          + f"\n({len(page.runs)} of {page.total})")


def _writer(run: Any) -> str:
    if run.host is None:
        return "-"
    beat = f", last heartbeat {_when(run.heartbeat_at)}" if run.heartbeat_at else ""
    return f"{run.made_by}, pid {run.pid}{beat}"


def show_run(store: Store, args: argparse.Namespace, ref: str) -> None:
    run = store.get_run(ref)
    data = run.to_dict()
    data["metrics"] = store.metric_summary(run.id)
    data["events"] = [{"type": t, "ref": v.ref} for t, v in store.run_events(run.id)]
    text = "\n".join([f"{run.ref}  {run.name}  [{run.status}]", f"started  {_when(run.started_at)}",
                      f"writer   {_writer(run)}",
                      f"params   {json.dumps(run.params)}",
                      *(f"metric   {k} = {s['last']:.6g}" for k, s in data["metrics"].items()),
                      *(f"{e['type']:<8} {e['ref']}" for e in data["events"]),
                      *(f"warning  {w}" for w in run.warnings)])
    _emit(args, data, text)


def cmd_show(store: Store, args: argparse.Namespace) -> None:
    try:
        version = store.resolve(args.ref)
    except NotFoundError:
        if ":" in args.ref:
            raise  # NAME:vN or NAME:ALIAS names a version: its own message says what is missing
        try:  # maybe a run (ambiguity still reports its candidates)
            show_run(store, args, args.ref)
        except NotFoundError:
            raise NotFoundError(f"no artifact, version or run matches {args.ref!r}") from None
        return
    data = version.to_dict()
    data["stale"] = store.is_stale(version.id)
    text = "\n".join([f"{version.ref}  ({version.kind}, {version.media_type}, {_size(version.size)})",
                      f"id       {version.id}", f"oid      {version.oid}",
                      f"aliases  {', '.join(version.aliases) or '-'}",
                      f"created  {_when(version.created_at)}  by run {version.run_id or '-'}",
                      f"stale    {data['stale']}",
                      f"summary  {json.dumps(version.summary, default=str)[:800]}"])
    _emit(args, data, text)


def cmd_export(store: Store, args: argparse.Namespace) -> None:
    from .codecs import export_version

    version = store.resolve(args.ref)
    path = export_version(store, version, args.output)
    _emit(args, {"ref": version.ref, "path": str(path)}, f"exported {version.ref} to {path}")


def cmd_alias(store: Store, args: argparse.Namespace) -> None:
    if args.remove:
        version = store.remove_alias(args.ref)
        _emit(args, version.to_dict(), f"{args.ref} removed (was {version.ref})")
        return
    if args.alias is None:
        raise ArtifactsError("alias needs REF ALIAS, or --remove NAME:ALIAS")
    version = store.set_alias(args.ref, args.alias)
    _emit(args, version.to_dict(), f"{version.name}:{args.alias} -> {version.ref}")


def cmd_gc(store: Store, args: argparse.Namespace) -> None:
    report = store.gc(dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    _emit(args, vars(report), f"{verb} {len(report.removed_objects)} objects "
          f"({_size(report.freed_bytes)}) and {report.removed_tmp} temp files")


def cmd_verify(store: Store, args: argparse.Namespace) -> int:
    report = store.verify(deep=True if args.deep else None)
    unreferenced = (f"{len(report.unreferenced)} objects nothing references (gc removes them)"
                    if report.unreferenced else None)
    unfetched = (f"{len(report.unfetched)} objects pulled lazily, not fetched yet (they load "
                 "from the remote on first use)" if report.unfetched else None)
    how = "" if report.deep else " by size (--deep re-hashes their bytes)"
    text = "\n".join([f"checked {report.checked_objects} objects{how}: "
                      + ("ok" if report.ok else f"{len(report.problems)} problems"),
                      *report.problems, *(line for line in (unreferenced, unfetched) if line)])
    _emit(args, {"ok": report.ok, "checked_objects": report.checked_objects,
                 "problems": report.problems, "unreferenced": report.unreferenced,
                 "unfetched": report.unfetched, "deep": report.deep}, text)
    return 0 if report.ok else 1


DESCRIPTION = "Browse and maintain a jupyter-artifacts store: artifacts, their versions, and runs."
EPILOG = """examples:
  jupyter-artifacts ls                        artifacts, last updated first
  jupyter-artifacts runs --sort metrics.acc   runs, best accuracy first
  jupyter-artifacts show model:v3             one version (or: show run-17)
  jupyter-artifacts verify --store PATH       --store and --json go before or after the command

statuses: running, ok, failed, interrupted, and dead (still marked running, but the process
that ran it is gone: killed, or a crashed kernel)."""


DEBUG_ENV = "JUPYTER_ARTIFACTS_DEBUG"


class _UsageError(Exception):
    """A command line argparse refused, reported as one line by :func:`main`."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message} (see '{self.prog} --help')")


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 1_000_000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 1 to 1000000")
    return value


def _global_flags(defaults: bool) -> _Parser:
    """--store and --json, accepted before and after the command.

    The copy on each command has no defaults (SUPPRESS), so it never overwrites a value
    given before the command.
    """
    flags = _Parser(add_help=False)
    unset: dict[str, Any] = {} if defaults else {"default": argparse.SUPPRESS}
    flags.add_argument("--store", metavar="PATH",
                       help="store folder (default: $JUPYTER_ARTIFACTS_DIR, else the nearest "
                            ".artifacts folder up from here)", **unset)
    flags.add_argument("--json", action="store_true", help="machine-readable output", **unset)
    return flags


_WRITING_COMMANDS = {"alias", "gc", *cli_ship.WRITING_COMMANDS, *cli_sync.WRITING}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="jupyter-artifacts", description=DESCRIPTION, epilog=EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter,
                     parents=[_global_flags(defaults=True)])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = [_global_flags(defaults=False)]

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=help, parents=common)

    p = command("ls", "artifacts, or the versions of one")
    p.add_argument("name", nargs="?")
    p.add_argument("--kind")
    p.set_defaults(func=cmd_ls)
    p = command("runs", "runs, newest first")
    p.add_argument("--name", help="runs whose name contains this")
    p.add_argument("--tag")
    p.add_argument("--status", choices=[*RUN_STATUSES, *DERIVED_STATUSES])
    p.add_argument("--sort", default="started_at", help="a column, metrics.KEY or params.KEY")
    p.add_argument("--asc", action="store_true", help="ascending (default: descending)")
    p.add_argument("--limit", type=_count, default=50, help="at most this many (default: 50)")
    p.add_argument("--filter", help="e.g. \"metrics.acc > 0.9 and params.model = 'rf'\"")
    p.add_argument("--order-by", action="append", metavar="KEY [ASC|DESC]",
                   help="e.g. 'metrics.acc DESC'; repeat for tie-breakers")
    p.set_defaults(func=cmd_runs)
    p = command("show", "one version (NAME:vN, NAME:ALIAS) or run (run-N)")
    p.add_argument("ref")
    p.set_defaults(func=cmd_show)
    p = command("export", "copy a version's content out (or runs: --to mlflow URI)")
    p.add_argument("ref")
    p.add_argument("-o", "--output")
    p.set_defaults(func=cmd_export)
    cli_ship.register(command, export=p, plain_export=cmd_export)
    p = command("alias", "point NAME:ALIAS at a version (REF ALIAS), or remove one "
                         "(--remove NAME:ALIAS)")
    p.add_argument("ref")
    p.add_argument("alias", nargs="?")
    p.add_argument("--remove", action="store_true", help="remove the alias REF (NAME:ALIAS)")
    p.set_defaults(func=cmd_alias)
    p = command("gc", "remove unreferenced objects and abandoned temp files")
    p.add_argument("--dry-run", action="store_true")
    p.set_defaults(func=cmd_gc)
    p = command("verify", "check objects and catalog references")
    p.add_argument("--deep", action="store_true",
                   help="re-hash every object (the default on a local folder; on S3 it "
                        "downloads the whole store, else sizes are checked)")
    p.set_defaults(func=cmd_verify)
    cli_sync.register(command)
    from .cli_reproduce import register as register_reproduce

    register_reproduce(sub, command)
    return parser


def _fail(message: object) -> int:
    # One line, whatever the message holds: scripts read the first line of stderr.
    print("jupyter-artifacts: " + " ".join(str(message).split()), file=sys.stderr)
    return 2


def _run(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except _UsageError as exc:
        return _fail(exc)
    except SystemExit as exc:  # --help: argparse printed it and "exits"
        return exc.code if isinstance(exc.code, int) else 0
    try:
        # Only import and `remote add` (a new machine's first step) create a store where there
        # is none; reading commands never write to it.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NewerSchemaWarning)  # said below, in one line
            store = Store.open(args.store, create=args.command in cli_ship.WRITING_COMMANDS
                               or getattr(args, "create_store", False),
                               readonly=args.command not in _WRITING_COMMANDS)
        if store.catalog.notice:
            print(f"jupyter-artifacts: warning: {store.catalog.notice}", file=sys.stderr)
        return int(args.func(store, args) or 0)
    except ArtifactsError as exc:
        return _fail(exc)
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        return _fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
    except sqlite3.Error as exc:  # a damaged catalog read mid-command
        return _fail(f"the catalog cannot be read: {exc}")
    except Exception as exc:  # a bug of ours: still one line, with a way to see more
        if os.environ.get(DEBUG_ENV):
            raise
        return _fail(f"unexpected error ({type(exc).__name__}: {exc}); "
                     f"set {DEBUG_ENV}=1 to see the traceback")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 verify found problems, 2 error)."""
    try:
        code = _run(argv)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
    except BrokenPipeError:
        # The reader left (`... | head -1`): as the Python docs advise for SIGPIPE, point
        # stdout at devnull so the exit flush does not report the broken pipe either.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError, io.UnsupportedOperation):
            pass  # not a real file (captured in tests): nothing to flush at exit
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
