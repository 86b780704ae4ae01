"""Plain data -> HTML strings, shared by the live widgets and the static (nbconvert) fallbacks.

Colours come from JupyterLab's ``--jp-*`` CSS variables with light-theme fallbacks, so the
same markup reads in light and dark themes and in a plain HTML export.
"""

from __future__ import annotations

import html
import json
from typing import Any

FG = "var(--jp-ui-font-color1, #1f1f1f)"
FG2 = "var(--jp-ui-font-color2, #616161)"
BG = "var(--jp-layout-color1, #ffffff)"
BG2 = "var(--jp-layout-color2, #eeeeee)"
BORDER = "var(--jp-border-color2, #e0e0e0)"
ACCENT = "var(--jp-brand-color1, #1976d2)"
GOOD = "var(--jp-success-color1, #388e3c)"
WARN = "var(--jp-warn-color1, #f57c00)"
BAD = "var(--jp-error-color1, #d32f2f)"
FONT = "var(--jp-ui-font-family, system-ui, sans-serif)"
MONO = "var(--jp-code-font-family, monospace)"
# Translucent tints read on both light and dark backgrounds.
BEST_BG = "rgba(56, 142, 60, 0.22)"
ADD_BG = "rgba(56, 142, 60, 0.18)"
DEL_BG = "rgba(211, 47, 47, 0.18)"
DIFF_BG = "rgba(245, 124, 0, 0.16)"

TABLE = f"border-collapse:collapse;font-family:{FONT};font-size:12px;color:{FG};"
TH = f"text-align:left;padding:3px 8px;border-bottom:2px solid {BORDER};background:{BG2};white-space:nowrap;"
TD = f"padding:3px 8px;border-bottom:1px solid {BORDER};white-space:nowrap;"
STATUS_COLOURS = {"ok": GOOD, "failed": BAD, "running": ACCENT, "interrupted": WARN, "dead": BAD}


def esc(value: Any) -> str:
    """Escape any value for HTML text (None shows as an em dash)."""
    return "—" if value is None else html.escape(str(value))


def fmt(value: Any) -> str:
    """A compact, escaped rendering of a param or metric value."""
    if isinstance(value, float):
        return esc(f"{value:.4g}")
    if isinstance(value, dict | list):
        return esc(json.dumps(value, default=str)[:80])
    return esc(value)


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def box(inner: str, title: str | None = None) -> str:
    """A themed container (used as the root of every fallback)."""
    head = f'<div style="font-weight:600;margin:4px 0;color:{FG}">{esc(title)}</div>' if title else ""
    return (f'<div class="jp-Artifacts" style="font-family:{FONT};color:{FG};max-width:100%;'
            f'overflow-x:auto">{head}{inner}</div>')


def table(headers: list[str], rows: list[list[str]], row_styles: list[str] | None = None) -> str:
    """A table from already-escaped cell HTML."""
    head = "".join(f'<th style="{TH}">{h}</th>' for h in headers)
    body = []
    for i, row in enumerate(rows):
        style = row_styles[i] if row_styles else ""
        body.append(f'<tr style="{style}">' + "".join(f'<td style="{TD}">{c}</td>' for c in row) + "</tr>")
    return f'<table style="{TABLE}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def status_badge(status: str) -> str:
    colour = STATUS_COLOURS.get(status, FG2)
    return f'<span style="color:{colour};font-weight:600">{esc(status)}</span>'


def runs_table(page: dict[str, Any], selected: set[str] | frozenset[str] = frozenset()) -> str:
    """The runs table of one page (selected runs are tinted)."""
    pcols, mcols = page["param_columns"], page["metric_columns"]
    headers = ["", "run", "name", "status", "started", "duration", "tags",
               *(f"{esc(k)}" for k in pcols), *(f"<i>{esc(k)}</i>" for k in mcols)]
    rows, styles = [], []
    for r in page["rows"]:
        mark = "☑" if r["id"] in selected else "☐"
        rows.append([mark, esc(r["ref"]), esc(r["name"]), status_badge(r["status"]), esc(r["started"]),
                     fmt_duration(r["duration"]), esc(", ".join(r["tags"])),
                     *(fmt(r["params"].get(k)) for k in pcols), *(fmt(r["metrics"].get(k)) for k in mcols)])
        styles.append(f"background:{DIFF_BG}" if r["id"] in selected else "")
    if not rows:
        return box(f'<div style="color:{FG2};padding:8px">No runs match.</div>')
    footer = (f'<div style="color:{FG2};font-size:11px;margin-top:4px">page {page["page"] + 1} of '
              f'{page["pages"]} · {page["total"]:,} runs · sorted by {esc(page["order_by"])}'
              f'{" ↓" if page["descending"] else " ↑"}</div>')
    return box(table(headers, rows, styles) + footer)


def metric_table(data: dict[str, Any]) -> str:
    """Last/min/max/best step per run and metric; the best run per metric is highlighted."""
    rows, styles = [], []
    for r in data["rows"]:
        arrow = "↓" if r["lower_is_better"] else "↑"
        rows.append([esc(r["run"]), esc(r["key"]) + f' <span style="color:{FG2}">{arrow}</span>',
                     fmt(r["last"]), fmt(r["min"]), fmt(r["max"]), esc(r["best_step"]), esc(r["count"])])
        styles.append(f"background:{BEST_BG}" if r["is_best"] else "")
    if not rows:
        return box(f'<div style="color:{FG2}">No metrics logged by the selected runs.</div>')
    return box(table(["run", "metric", "last", "min", "max", "best step", "points"], rows, styles))


def artifact_list(items: list[dict[str, Any]]) -> str:
    rows = [[esc(a["name"]), esc(a["kind"]), f'v{a["latest"]}', esc(a["versions"]),
             esc(", ".join(a["aliases"]))] for a in items]
    if not rows:
        return box(f'<div style="color:{FG2}">No artifacts yet.</div>')
    return box(table(["name", "kind", "latest", "versions", "aliases"], rows))


def img(b64: str | None, alt: str, max_width: str = "100%") -> str:
    if not b64:
        return f'<div style="color:{FG2}">(image too large to inline)</div>'
    return (f'<img alt="{esc(alt)}" src="data:image/png;base64,{b64}" '
            f'style="max-width:{max_width};background:#fff;border:1px solid {BORDER}">')


def _kv(mapping: dict[str, Any]) -> str:
    return table(["key", "value"], [[esc(k), fmt(v)] for k, v in mapping.items()])


def _pre(text: str) -> str:
    return (f'<pre style="font-family:{MONO};font-size:12px;max-height:320px;overflow:auto;'
            f'background:{BG2};padding:6px">{esc(text)}</pre>')


def preview(p: dict[str, Any]) -> str:
    """The Artifacts tab's preview of one version, by type."""
    meta = (f'<div style="color:{FG2};font-size:12px;margin-bottom:6px">{esc(p["ref"])} · {esc(p["kind"])} · '
            f'{esc(p["media_type"])} · {p["size"]:,} bytes'
            + (f' · aliases: {esc(", ".join(p["aliases"]))}' if p["aliases"] else "") + "</div>")
    kind = p["type"]
    if kind == "figure":
        body = img(p.get("png_base64"), p["ref"], "640px")
    elif kind == "dataframe":
        shape = p.get("shape") or ["?", "?"]
        body = (f'<div style="margin:4px 0">{shape[0]:,} rows × {shape[1]} columns</div>'
                + table([esc(c) for c in p["columns"]], [[fmt(v) for v in row] for row in p["head"]])
                + '<div style="margin:8px 0 4px;font-weight:600">Schema</div>'
                + table(["column", "dtype"], [[esc(c), esc(t)] for c, t in p["dtypes"].items()]))
    elif kind == "model":
        body = (f'<div style="margin:4px 0"><b>{esc(p["class"])}</b></div>' + _kv(p["params"] or {}))
        if p["summary"].get("preview"):  # a statsmodels summary(), stored when saved
            body += _pre(p["summary"]["preview"])
    elif kind == "report":
        # srcdoc + sandbox without allow-same-origin: the report's scripts (SHAP plots need
        # them) run in an opaque origin and cannot reach the notebook page or its cookies.
        body = (f'<iframe sandbox="allow-scripts" srcdoc="{html.escape(p["html"], quote=True)}" '
                f'style="width:100%;height:420px;border:1px solid {BORDER};background:#fff"></iframe>'
                if p.get("html") is not None
                else f'<div style="color:{FG2}">(report too large to inline)</div>')
    elif kind == "metrics":
        body = _kv(p["values"])
    elif kind == "text":
        body = _pre(p["text"])
    else:
        body = _kv({k: v for k, v in p["summary"].items() if k != "type"})
    snippet = (f'<div style="margin-top:8px;font-size:12px">Load it: <code style="font-family:{MONO};'
               f'background:{BG2};padding:1px 4px">{esc(p["snippet"])}</code></div>')
    return box(meta + body + snippet)
