"""``jupyter-artifacts remote add|list|remove``, ``push`` and ``pull``: local-first sync."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from .store import Store
from .store import remotes as _remotes

Command = Callable[[str, str], argparse.ArgumentParser]

#: Commands that write to the local store (opened writable by the CLI).
WRITING = {"pull", "remote"}


def _emit(args: argparse.Namespace, data: Any, lines: list[str]) -> None:
    print(json.dumps(data, indent=2, default=str) if args.json else "\n".join(lines))


def cmd_remote(store: Store, args: argparse.Namespace) -> None:
    if args.action == "add":
        remote = _remotes.add_remote(store.root, args.name, args.catalog, args.objects)
        _emit(args, _remotes.as_dict(remote),
              [f"added remote {remote.name}: catalog {remote.catalog}, objects {remote.objects}"])
    elif args.action == "remove":
        _remotes.remove_remote(store.root, args.name)
        _emit(args, {"removed": args.name}, [f"removed remote {args.name}"])
    else:
        found = _remotes.list_remotes(store.root)
        lines = [f"{r.name}  {r.catalog}  {r.objects}" + ("  (lazy)" if r.lazy else "")
                 for r in found]
        _emit(args, [_remotes.as_dict(r) for r in found], lines or ["no remotes"])


def cmd_push(store: Store, args: argparse.Namespace) -> None:
    report = store.push(args.remote, everything=args.all)
    _emit(args, report.to_dict(), report.summary())


def cmd_pull(store: Store, args: argparse.Namespace) -> None:
    report = store.pull(args.remote, lazy=args.lazy, everything=args.all)
    _emit(args, report.to_dict(), report.summary())


def register(command: Command) -> None:
    """Add the sync commands through the CLI's ``command(name, help)`` factory."""
    from .cli import _global_flags  # --store and --json after the action too

    common = [_global_flags(defaults=False)]
    p = command("remote", "team stores to push to and pull from: add, list, remove")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="name a team store (makes the local store if there is "
                                         "none yet)", parents=common)
    add.set_defaults(create_store=True)
    add.add_argument("name")
    add.add_argument("--catalog", required=True, metavar="URL",
                     help="the team store's catalog: a store folder (or postgresql://...)")
    add.add_argument("--objects", metavar="URL",
                     help="its objects (s3://bucket/prefix); default: the folder's objects/")
    remove = actions.add_parser("remove", help="forget a remote (the team store is untouched)",
                                parents=common)
    remove.add_argument("name")
    actions.add_parser("list", help="the remotes of this store", parents=common)
    p.set_defaults(func=cmd_remote)
    for name, help in (("push", "send finished runs and new versions to a team store"),
                       ("pull", "take the runs and versions a team store has and this one lacks")):
        p = command(name, help)
        p.add_argument("remote", nargs="?", help="a remote's name or a store folder "
                                                 "(default: the only remote)")
        p.add_argument("--all", action="store_true",
                       help="also runs still running (sent as they stand now)")
        if name == "pull":
            p.add_argument("--lazy", action="store_true",
                           help="the catalog now; each object from the remote on first load")
        p.set_defaults(func=cmd_push if name == "push" else cmd_pull)
