"""Command-line side of :mod:`jupyter_artifacts.ship`: ``bundle``, ``export --to mlflow``,
``import --from mlflow`` and ``lineage --openlineage``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from .errors import InvalidReferenceError
from .store import Store

#: Commands here that write to the store (opened read-write, created when missing).
WRITING_COMMANDS = {"import"}

Command = Callable[[str, str], argparse.ArgumentParser]


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    print(json.dumps(data, indent=2, default=str) if args.json else text)


def cmd_bundle(store: Store, args: argparse.Namespace) -> None:
    from .ship.bundle import bundle

    report = bundle(store, args.ref, args.output, onnx=not args.no_onnx)
    lines = [f"bundled {report.ref} into {report.path}", *(f"  {f}" for f in report.files),
             report.onnx, *(f"note: {n}" for n in report.notes)]
    _emit(args, report.to_dict(), "\n".join(lines))


def export_command(plain: Callable[[Store, argparse.Namespace], Any]) -> Callable[..., Any]:
    """``export``: a version to a file as before, or with ``--to mlflow URI`` runs to MLflow."""

    def cmd_export(store: Store, args: argparse.Namespace) -> Any:
        if args.to is None:
            if args.output is None:
                raise InvalidReferenceError("export REF needs -o PATH (or --to mlflow URI)")
            return plain(store, args)
        from .ship.mlflow_common import DEFAULT_EXPERIMENT
        from .ship.mlflow_export import export_runs

        report = export_runs(store, args.ref, args.filter,
                             experiment=args.experiment or DEFAULT_EXPERIMENT)
        _emit(args, report.to_dict(), report.text())
        return None

    return cmd_export


def cmd_import(store: Store, args: argparse.Namespace) -> None:
    from .ship.mlflow_import import import_runs

    report = import_runs(store, args.tracking_uri, experiments=args.experiments)
    _emit(args, report.to_dict(), report.text())


def cmd_lineage(store: Store, args: argparse.Namespace) -> None:
    if args.openlineage:
        from .ship.openlineage import run_events_for

        events = run_events_for(store, args.ref)
        print("\n".join(json.dumps(e) for e in events))  # one RunEvent per line (JSON Lines)
        return
    graph = store.lineage(args.ref, depth=args.depth)
    refs = {n["id"]: n["ref"] for n in graph["nodes"]}
    text = "\n".join(f"{refs[e['source']]} -{e['type']}-> {refs[e['target']]}" for e in graph["edges"])
    _emit(args, graph, text or "no lineage recorded")


def register(command: Command, export: argparse.ArgumentParser,
             plain_export: Callable[[Store, argparse.Namespace], Any]) -> None:
    """Add the ship commands, and ``--to``/``--filter`` to the existing ``export``."""
    p = command("bundle", "write a model's deployment bundle (MLflow model, Dockerfile, ...)")
    p.add_argument("ref", help="a model version (NAME:vN) or a run that made one model")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="a new or empty folder")
    p.add_argument("--no-onnx", action="store_true", help="skip the ONNX copy")
    p.set_defaults(func=cmd_bundle)
    export.add_argument("--to", choices=["mlflow"],
                        help="with REF as an MLflow tracking URI: write runs there")
    export.add_argument("--filter", help="with --to: only runs matching this filter")
    export.add_argument("--experiment", help="with --to: the MLflow experiment "
                                             "(default: jupyter-artifacts)")
    export.set_defaults(func=export_command(plain_export))
    p = command("import", "bring runs from another tracker into this store")
    p.add_argument("--from", dest="source", choices=["mlflow"], required=True)
    p.add_argument("tracking_uri", metavar="TRACKING_URI")
    p.add_argument("--experiment", action="append", dest="experiments",
                   help="only this MLflow experiment (repeatable; default: all)")
    p.set_defaults(func=cmd_import)
    p = command("lineage", "the lineage around a version or run")
    p.add_argument("ref")
    p.add_argument("--depth", type=int, default=3)
    p.add_argument("--openlineage", action="store_true",
                   help="OpenLineage RunEvents (JSON Lines) for the runs that made it")
    p.set_defaults(func=cmd_lineage)
