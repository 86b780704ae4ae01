"""Readable cards for one version or one run (``%artifacts show``): HTML in a notebook, text in
a terminal, never a raw record dump."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from ..store import ArtifactVersion, Run, Store
from . import html
from .preview import version_preview


@dataclass
class Card:
    """A display object: IPython shows ``_repr_html_`` in a notebook, ``repr`` elsewhere."""

    text: str
    body: str
    record: ArtifactVersion | Run  # the record itself, for code that wants the fields

    def _repr_html_(self) -> str:
        return self.body

    def __repr__(self) -> str:
        return self.text

    def __getattr__(self, name: str) -> Any:
        # card.ref, card.metrics...: the record's fields, as `%artifacts show` returned before.
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.record, name)


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts)) if ts else "-"


def version_card(store: Store, version: ArtifactVersion) -> Card:
    """What a version is, who made it, whether it is stale, and a preview of its content."""
    stale = store.is_stale(version.id)
    maker = store.get_run(version.run_id).ref if version.run_id else "-"
    text = "\n".join([
        f"{version.ref}  ({version.kind}, {version.media_type}, {version.size:,} bytes)",
        f"aliases  {', '.join(version.aliases) or '-'}",
        f"created  {_when(version.created_at)}  by {maker}",
        f"stale    {stale}",
        f"summary  {json.dumps(version.summary, default=str)[:400]}",
    ])
    body = html.preview(version_preview(store, version.id))
    if stale:
        body = html.box('<div style="color:#b26b00">stale: an input it was made from has a newer '
                        "version</div>" + body)
    return Card(text, body, version)


def run_card(store: Store, run: Run) -> Card:
    """A run's status, timing, params, metrics and the versions it read and wrote."""
    events = store.run_events(run.id)
    inputs = [v.ref for kind, v in events if kind == "input"]
    outputs = [v.ref for kind, v in events if kind == "output"]
    duration = run.ended_at - run.started_at if run.ended_at else None
    text = "\n".join([
        f"{run.ref}  {run.name}  [{run.status}]",
        f"started  {_when(run.started_at)}  duration {html.fmt_duration(duration)}",
        f"params   {json.dumps(run.params, default=str)[:400]}",
        f"metrics  {json.dumps(run.metrics, default=str)[:400]}",
        f"inputs   {', '.join(inputs) or '-'}",
        f"outputs  {', '.join(outputs) or '-'}",
    ])
    rows: list[list[str]] = [
        ["status", html.status_badge(run.status)],
        ["started", html.esc(_when(run.started_at))],
        ["duration", html.esc(html.fmt_duration(duration))],
        ["notebook", html.esc(run.notebook_path)],
        ["tags", html.esc(", ".join(run.tags) or None)],
        ["inputs", html.esc(", ".join(inputs) or None)],
        ["outputs", html.esc(", ".join(outputs) or None)],
    ]
    if run.error:
        rows.append(["error", html.esc(run.error.strip().splitlines()[-1])])
    parts = [html.table(["", ""], rows)]
    for title, mapping in (("Params", run.params), ("Metrics", run.metrics)):
        if mapping:
            parts.append(f'<div style="margin:8px 0 4px;font-weight:600">{title}</div>'
                         + html.table(["key", "value"],
                                      [[html.esc(k), html.fmt(v)] for k, v in mapping.items()]))
    return Card(text, html.box("".join(parts), f"{run.ref} · {run.name}"), run)


def card(store: Store, ref: str) -> Any:
    """The card of the version or run ``ref`` names (a version first, as the CLI does)."""
    from ..errors import NotFoundError

    try:
        return version_card(store, store.resolve(ref))
    except NotFoundError:
        if ":" in ref:
            raise
    return run_card(store, store.get_run(ref))
