"""HTML for the comparison sections (params, metrics, artifacts, code)."""

from __future__ import annotations

from typing import Any

from .html import ADD_BG, BEST_BG, DEL_BG, DIFF_BG, FG2, MONO, box, esc, fmt, img, table


def params(data: dict[str, Any]) -> str:
    """Params per run; differing rows tinted. Says how many equal ones are hidden."""
    rows = [[esc(r["key"]), *(fmt(v) for v in r["values"])] for r in data["rows"]]
    styles = [f"background:{DIFF_BG}" if r["differs"] else "" for r in data["rows"]]
    note = ""
    if data["hidden"]:
        note = f'<div style="color:{FG2};font-size:11px">{data["hidden"]} equal params hidden</div>'
    if not rows:
        return box(f'<div style="color:{FG2}">No differing params.</div>' + note)
    return box(table(["param", *map(esc, data["runs"])], rows, styles) + note)


def metrics(data: dict[str, Any]) -> str:
    """last/min/max per run and metric; the best run's cell is highlighted."""
    rows = []
    for r in data["rows"]:
        arrow = "lower is better" if r["lower_is_better"] else "higher is better"
        cells = [f'{esc(r["key"])}<br><span style="color:{FG2};font-size:10px">{arrow}</span>']
        for run in data["runs"]:
            c = r["cells"].get(run)
            if c is None:
                cells.append("—")
                continue
            text = f'{fmt(c["last"])}<br><span style="color:{FG2};font-size:10px">min {fmt(c["min"])} · ' \
                   f'max {fmt(c["max"])}</span>'
            if run == r["best_run"]:
                text = f'<div class="jp-Artifacts-best" style="background:{BEST_BG};padding:2px 4px;' \
                       f'border-radius:3px">★ {text}</div>'
            cells.append(text)
        rows.append(cells)
    if not rows:
        return box(f'<div style="color:{FG2}">No metrics.</div>')
    return box(table(["metric (last)", *map(esc, data["runs"])], rows))


def artifacts(items: list[dict[str, Any]], runs: list[str]) -> str:
    """Outputs matched by name: figures side by side, DataFrame and model diffs."""
    if not items:
        return box(f'<div style="color:{FG2}">The runs produced no artifacts.</div>')
    parts = []
    for a in items:
        same = ' <span style="font-size:11px">(identical content)</span>' if a["same_content"] else ""
        head = (f'<div style="font-weight:600;margin:10px 0 4px">{esc(a["name"])} · '
                f'{esc(a["kind"])}{same}</div>')
        if a["type"] == "figure":
            cells = "".join(
                f'<div style="flex:1;min-width:200px"><div style="font-size:11px;color:{FG2}">{esc(run)} '
                f'{esc(ref)}</div>{img(b64, ref or "", "100%") if ref else "—"}</div>'
                for run, ref, b64 in zip(runs, a["refs"], a["images"], strict=False))
            parts.append(head + f'<div style="display:flex;gap:8px">{cells}</div>')
        elif a["type"] == "dataframe":
            parts.append(head + _frames(a, runs))
        elif a["type"] == "model":
            # Only differing hyper-parameters: a scikit-learn model has ~15 mostly equal ones.
            differing = [p for p in a["params"] if p["differs"]]
            rows = [[esc(p["key"]), *(fmt(v) for v in p["values"])] for p in differing]
            hidden = len(a["params"]) - len(differing)
            note = (f'<div style="color:{FG2};font-size:11px">{hidden} equal params hidden</div>'
                    if hidden else "")
            parts.append(head + table(["", *map(esc, runs)], [["class", *map(esc, a["classes"])], *rows],
                                      ["", *(f"background:{DIFF_BG}" for _ in rows)]) + note)
        else:
            parts.append(head + table(map_list(runs), [[esc(r) for r in a["refs"]]]))
    return box("".join(parts))


def map_list(values: list[str]) -> list[str]:
    return [esc(v) for v in values]


def _frames(a: dict[str, Any], runs: list[str]) -> str:
    rows = []
    for run, ref, f in zip(runs, a["refs"], a["frames"], strict=False):
        if f is None:
            rows.append([esc(run), "—", "", "", ""])
            continue
        shape = f["shape"] or ["?", "?"]
        schema = "; ".join(
            [*(f'<span style="background:{ADD_BG}">+{esc(c)}</span>' for c in f["added"]),
             *(f'<span style="background:{DEL_BG}">−{esc(c)}</span>' for c in f["removed"]),
             *(f'<span style="background:{DIFF_BG}">~{esc(c)}</span>' for c in f["retyped"])]) or "same"
        stats = "<br>".join(f'{esc(c)}: {fmt(s["min"])} … {fmt(s["max"])}'
                            + (f' ({s["nulls"]} null)' if s["nulls"] else "")
                            for c, s in list(f["stats"].items())[:8])
        rows.append([f"{esc(run)}<br>{esc(ref)}", f"{shape[0]:,}", esc(shape[1]), schema, stats])
    return table(["run", "rows", "cols", "schema vs first", "min … max"], rows)


def code(diffs: list[dict[str, Any]]) -> str:
    """Unified diffs of the runs' cell sources, added and removed lines tinted."""
    parts = []
    for d in diffs:
        if d["missing"]:
            parts.append(f'<div style="color:{FG2}">{esc(d["from"])} and {esc(d["to"])}: no cell code '
                         "recorded (runs made with ja.run() in a script)</div>")
            continue
        if d["identical"]:
            parts.append(f'<div style="color:{FG2}">{esc(d["from"])} and {esc(d["to"])}: same code</div>')
            continue
        lines = []
        for line in d["lines"]:
            bg = ADD_BG if line.startswith("+") else DEL_BG if line.startswith("-") else "transparent"
            if line.startswith(("+++", "---", "@@")):
                bg = BEST_BG if line.startswith("@@") else "transparent"
            lines.append(f'<div style="background:{bg}">{esc(line) or "&nbsp;"}</div>')
        parts.append(f'<pre style="font-family:{MONO};font-size:12px;margin:4px 0;white-space:pre">'
                     f'{"".join(lines)}</pre>')
    return box("".join(parts) or f'<div style="color:{FG2}">No code recorded.</div>')
