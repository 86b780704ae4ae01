"""The ``jupyter-artifacts`` command line (also ``jupyter artifacts``)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from typing import Any

from .errors import ArtifactsError, NotFoundError
from .store import Store


def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts else "-"


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


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
    rows = []
    for r in page.runs:
        metrics = " ".join(f"{k}={v:.4g}" for k, v in list(r.metrics.items())[:4])
        rows.append([r.ref, r.name[:40], r.status, _when(r.started_at),
                     f"{r.duration:.2f}s" if r.duration is not None else "-", metrics])
    _emit(args, {"total": page.total, "runs": [r.to_dict() for r in page.runs]},
          _table(rows, ["RUN", "NAME", "STATUS", "STARTED", "DURATION", "METRICS"])
          + f"\n({len(page.runs)} of {page.total})")


def cmd_show(store: Store, args: argparse.Namespace) -> None:
    try:
        version = store.resolve(args.ref)
    except NotFoundError:  # not a version: maybe a run (ambiguity still reports its candidates)
        run = store.get_run(args.ref)
        data = run.to_dict()
        data["metrics"] = store.metric_summary(run.id)
        data["events"] = [{"type": t, "ref": v.ref} for t, v in store.run_events(run.id)]
        text = "\n".join([f"{run.ref}  {run.name}  [{run.status}]", f"started  {_when(run.started_at)}",
                          f"params   {json.dumps(run.params)}",
                          *(f"metric   {k} = {s['last']:.6g}" for k, s in data["metrics"].items()),
                          *(f"{e['type']:<8} {e['ref']}" for e in data["events"])])
        _emit(args, data, text)
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
    version = store.set_alias(args.ref, args.alias)
    _emit(args, version.to_dict(), f"{version.name}:{args.alias} -> {version.ref}")


def cmd_gc(store: Store, args: argparse.Namespace) -> None:
    report = store.gc(dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    _emit(args, vars(report), f"{verb} {len(report.removed_objects)} objects "
          f"({_size(report.freed_bytes)}) and {report.removed_tmp} temp files")


def cmd_verify(store: Store, args: argparse.Namespace) -> int:
    report = store.verify()
    text = "\n".join([f"checked {report.checked_objects} objects: "
                      + ("ok" if report.ok else f"{len(report.problems)} problems"),
                      *report.problems])
    _emit(args, {"ok": report.ok, "checked_objects": report.checked_objects,
                 "problems": report.problems}, text)
    return 0 if report.ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jupyter-artifacts", description=__doc__)
    parser.add_argument("--store", help="store folder (default: discovered like .git)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ls", help="artifacts, or the versions of one")
    p.add_argument("name", nargs="?")
    p.add_argument("--kind")
    p.set_defaults(func=cmd_ls)
    p = sub.add_parser("runs", help="runs, newest first")
    p.add_argument("--name")
    p.add_argument("--tag")
    p.add_argument("--status")
    p.add_argument("--sort", default="started_at", help="column, metrics.KEY or params.KEY")
    p.add_argument("--asc", action="store_true")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--filter", help="e.g. \"metrics.acc > 0.9 and params.model = 'rf'\"")
    p.add_argument("--order-by", action="append", metavar="KEY [ASC|DESC]",
                   help="e.g. 'metrics.acc DESC'; repeat for tie-breakers")
    p.set_defaults(func=cmd_runs)
    p = sub.add_parser("show", help="one version or run")
    p.add_argument("ref")
    p.set_defaults(func=cmd_show)
    p = sub.add_parser("export", help="copy a version's content out")
    p.add_argument("ref")
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(func=cmd_export)
    p = sub.add_parser("alias", help="point NAME:ALIAS at a version")
    p.add_argument("ref")
    p.add_argument("alias")
    p.set_defaults(func=cmd_alias)
    p = sub.add_parser("gc", help="remove unreferenced objects and abandoned temp files")
    p.add_argument("--dry-run", action="store_true")
    p.set_defaults(func=cmd_gc)
    p = sub.add_parser("verify", help="re-hash objects and check catalog references")
    p.set_defaults(func=cmd_verify)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        # Reading commands never create a store where there is none.
        store = Store.open(args.store, create=False)
        return int(args.func(store, args) or 0)
    except ArtifactsError as exc:
        print(f"jupyter-artifacts: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"jupyter-artifacts: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
