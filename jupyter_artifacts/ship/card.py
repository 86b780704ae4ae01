"""The model card of a bundle (``README.md``): what the model is and the evidence behind it."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..store import ArtifactVersion, Run, Store
    from .training import TrainingData


@dataclass
class CardFacts:
    """What the card shows besides the store's own records."""

    files: list[str]
    onnx_note: str
    figures: list[tuple[str, str]] = field(default_factory=list)  # (ref, relative path)
    unrecorded: list[str] = field(default_factory=list)


def _when(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if ts else "-"


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text.replace("|", "\\|").replace("\n", " ")


def _section(title: str, header: list[str], rows: list[list[str]]) -> list[str]:
    if not rows:
        return [f"## {title}", "", "None recorded.", ""]
    return [f"## {title}", "", "| " + " | ".join(header) + " |", "|---" * len(header) + "|",
            *("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows), ""]


def _data_lines(store: Store, training: TrainingData) -> list[str]:
    lines = ["| version | kind | shape | content id | made by |", "|---|---|---|---|---|"]
    for version in training.inputs:
        maker = "-"
        if version.run_id:
            run = store.get_run(version.run_id)
            maker = f"{run.ref} ({_cell(run.name)})"
        used = " (training data)" if training.source and version.id == training.source.id else ""
        shape = version.summary.get("shape", "-")
        lines.append(f"| {version.ref}{used} | {version.kind} | {_cell(shape)} | "
                     f"`{version.oid[:16]}` | {maker} |")
    return lines if training.inputs else ["No input dataset is recorded for the run."]


def model_card(store: Store, version: ArtifactVersion, run: Run | None, training: TrainingData,
               facts: CardFacts) -> str:
    """The card as Markdown: metrics, params, data with lineage, figures and the cell's code."""
    out = [f"# {version.ref}", "",
           f"A `{version.summary.get('class', version.kind)}` model from the jupyter-artifacts "
           f"store, version id `{version.id}`, content id `{version.oid}`, saved "
           f"{_when(version.created_at)}.", ""]
    if run is not None:
        out += [f"Trained by {run.ref} `{run.name}` ({run.status}, started {_when(run.started_at)}"
                + (f", notebook `{run.notebook_path}`" if run.notebook_path else "")
                + (f", git `{run.git_commit[:12]}`" if run.git_commit else "") + ").", ""]
        summary = store.metric_summary(run.id)
        out += _section("Metrics", ["metric", "last", "steps"],
                        [[k, f"{s['last']:.6g}", str(s.get("count", 1))] for k, s in summary.items()])
        out += _section("Parameters", ["param", "value"],
                        [[k, _cell(v)] for k, v in run.params.items()])
    out += ["## Data", "", *_data_lines(store, training), ""]
    out += ["## Input", "", "| column | dtype |", "|---|---|"]
    out += [f"| {_cell(c['name'])} | {c['dtype']} |" for c in training.schema]
    if training.note:
        out += ["", f"Note: {training.note}."]
    out += ["", "## Files", "", *(f"- `{f}`" for f in facts.files), "", facts.onnx_note + ".", ""]
    if facts.unrecorded:
        out += [f"Not recorded by the run, pinned to the bundling environment: "
                f"{', '.join(facts.unrecorded)}.", ""]
    out += ["## Use", "", "```", "pip install -r requirements.txt",
            "python -m ja_model input_example.csv      # predictions as CSV",
            "python -m ja_model serve --port 8080      # POST /invocations (CSV or JSON)",
            "mlflow models predict -m . -i input_example.csv -t csv --env-manager local",
            "docker build -t model . && docker run -p 8080:8080 model", "```", ""]
    if facts.figures:
        out += ["## Figures", ""] + [f"![{ref}]({path})" for ref, path in facts.figures] + [""]
    if run is not None and run.code:
        out += ["## Code", "", "The cell that trained it:", "", "```python", run.code.rstrip(), "```", ""]
    return "\n".join(out)
