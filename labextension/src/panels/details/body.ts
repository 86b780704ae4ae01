/**
 * The details view of one run: params, metrics with sparklines, inputs and outputs
 * (figures, tables, sandboxed HTML reports), environment, code and error.
 */
import { Widget } from '@lumino/widgets';

import { ILineage, IRunDetail, IVersion, fetchLineage, fetchSeries, loadSnippet } from '../../api';
import { IArtifactsActions } from '../../actions';
import {
  formatNumber,
  formatRunDuration,
  formatSize,
  formatTime,
  statusTitle
} from '../../format';
import * as dom from '../../dom';
import { requestContent } from '../../request';
import { lineChart } from '../../svg';
import { DetailsModel } from './model';

export class DetailsBody extends Widget {
  constructor(options: DetailsBody.IOptions) {
    super();
    this._model = options.model;
    this._actions = options.actions;
    this.addClass('jp-Artifacts-DetailsBody');
    this._model.changed.connect(this._render, this);
    this._render();
  }

  dispose(): void {
    this._revokeURLs();
    super.dispose();
  }

  private _render(): void {
    const { detail, error, loading, ref } = this._model;
    if (detail && detail.run.id === this._renderedId && this._renderedAt === detail) {
      return;
    }
    this._revokeURLs();
    const children: HTMLElement[] = [];
    if (ref === null) {
      children.push(dom.note('Select a run to see its details.'));
    } else if (error) {
      children.push(dom.note(error, 'jp-mod-error'));
    } else if (!detail) {
      children.push(dom.note(loading ? 'Loading…' : ''));
    } else {
      children.push(...this._sections(detail));
    }
    this._renderedId = detail?.run.id ?? null;
    this._renderedAt = detail;
    this.node.replaceChildren(...children);
  }

  private _sections(detail: IRunDetail): HTMLElement[] {
    const run = detail.run;
    const header = document.createElement('div');
    header.className = 'jp-Artifacts-DetailsHeader';
    const title = document.createElement('div');
    title.className = 'jp-Artifacts-DetailsTitle';
    const status = document.createElement('span');
    status.className = `jp-Artifacts-Status jp-Artifacts-Status-${run.status}`;
    status.title = statusTitle(run);
    const name = document.createElement('span');
    name.textContent = `${run.name} (${run.ref})`;
    title.append(status, name);
    const meta = document.createElement('div');
    meta.className = 'jp-Artifacts-DetailsMeta';
    meta.textContent = [
      run.status === 'dead' ? statusTitle(run) : run.status,
      formatRunDuration(run),
      formatTime(run.started_at),
      run.notebook_path ?? '',
      run.tags.map(t => `#${t}`).join(' ')
    ]
      .filter(Boolean)
      .join(' · ');
    const buttons = document.createElement('div');
    buttons.className = 'jp-Artifacts-Actions';
    buttons.append(
      dom.button('Copy ref', () => this._actions.copy(run.ref)),
      dom.button('Compare with checked', () => this._actions.compare([run.id]))
    );
    const notebook = detail.notebook;
    if (notebook) {
      buttons.append(
        dom.button('Open notebook', () => this._actions.openNotebook(notebook, run.cell_id))
      );
    }
    header.append(title, meta, buttons);
    const sections: HTMLElement[] = [header];
    if (run.error) {
      sections.push(dom.section('Error', dom.pre(run.error, 'jp-mod-error')));
    }
    const params = Object.entries(run.params);
    if (params.length) {
      sections.push(
        dom.section('Params', dom.table(['param', 'value'], params.map(([k, v]) => [k, formatNumber(v)])))
      );
    }
    const metrics = Object.entries(detail.metrics);
    if (metrics.length) {
      sections.push(dom.section('Metrics', this._metricsTable(run.id, detail)));
    }
    if (detail.outputs.length) {
      sections.push(dom.section('Outputs', ...detail.outputs.map(v => this._version(v))));
    }
    if (detail.inputs.length) {
      sections.push(dom.section('Inputs', ...detail.inputs.map(v => this._version(v))));
    }
    if (detail.inputs.length || detail.outputs.length) {
      const lineage = document.createElement('div');
      lineage.className = 'jp-Artifacts-Lineage';
      void fetchLineage(run.id).then(graph => lineage.replaceChildren(...this._lineage(graph)));
      sections.push(dom.section('Lineage', lineage));
    }
    if (run.code) {
      sections.push(dom.section('Code', dom.pre(run.code)));
    }
    if (detail.environment) {
      const env = detail.environment;
      const count = Object.keys(env.packages).length;
      sections.push(
        dom.section('Environment', dom.note(`Python ${env.python} on ${env.platform}, ${count} packages`))
      );
    }
    return sections;
  }

  private _metricsTable(runId: string, detail: IRunDetail): HTMLElement {
    const rows = Object.entries(detail.metrics).map(([key, s]) => [
      key,
      formatNumber(s.last),
      formatNumber(s.min),
      formatNumber(s.max),
      String(s.count)
    ]);
    const table = dom.table(['metric', 'last', 'min', 'max', 'n', ''], rows.map(r => [...r, '']));
    const bodyRows = table.querySelectorAll('tbody tr');
    Object.entries(detail.metrics).forEach(([key, summary], i) => {
      if (summary.count > 1) {
        const cell = bodyRows[i].lastElementChild as HTMLElement;
        void fetchSeries(runId, key, 120).then(series => {
          const points = series.points.map(
            ([step, value], j) => [step ?? j, value] as [number, number | null]
          );
          cell.appendChild(lineChart([{ label: key, points }], { width: 80, height: 20, sparkline: true }));
        });
      }
    });
    return table;
  }

  /**
   * One line per edge (`features:v1 → train (run-3)`); stale versions are marked, runs open.
   */
  private _lineage(graph: ILineage): HTMLElement[] {
    const nodes = new Map(graph.nodes.map(n => [n.id, n]));
    const label = (id: string): HTMLElement => {
      const node = nodes.get(id);
      const span = document.createElement('span');
      span.className = 'jp-Artifacts-LineageNode';
      span.textContent = node?.label ?? id;
      if (node?.stale) {
        span.classList.add('jp-mod-stale');
        span.title = 'Stale: an input it was made from has a newer version';
      }
      if (node?.type === 'run' && id !== graph.root) {
        span.classList.add('jp-mod-link');
        span.addEventListener('click', () => void this._model.show(node.ref));
      }
      return span;
    };
    return graph.edges.map(edge => {
      const line = document.createElement('div');
      line.className = 'jp-Artifacts-LineageEdge';
      line.append(label(edge.source), ' → ', label(edge.target));
      return line;
    });
  }

  private _version(version: IVersion): HTMLElement {
    const node = document.createElement('div');
    node.className = 'jp-Artifacts-Version';
    node.dataset.ref = version.ref;
    const line = dom.versionLine(
      version,
      version.ref,
      `${version.kind} · ${formatSize(version.size)}`,
      this._actions,
      loadSnippet(version.ref)
    );
    node.appendChild(line);
    const preview = this._preview(version);
    if (preview) {
      node.appendChild(preview);
    }
    return node;
  }

  private _preview(version: IVersion): HTMLElement | null {
    const summary = version.summary ?? {};
    if (version.media_type.startsWith('image/')) {
      const img = document.createElement('img');
      img.className = 'jp-Artifacts-Figure';
      img.alt = version.ref;
      void requestContent(version.ref).then(blob => {
        const url = URL.createObjectURL(blob);
        this._urls.push(url);
        img.src = url;
      });
      return img;
    }
    if (version.media_type === 'text/html') {
      const frame = document.createElement('iframe');
      frame.className = 'jp-Artifacts-Report';
      // Scripts may run (SHAP plots need them) but in an opaque origin: no session access.
      frame.setAttribute('sandbox', 'allow-scripts');
      frame.title = version.ref;
      void requestContent(version.ref)
        .then(blob => blob.text())
        .then(html => {
          frame.srcdoc = html;
        });
      return frame;
    }
    if (Array.isArray(summary.columns) && Array.isArray(summary.head)) {
      const shape = Array.isArray(summary.shape) ? `${summary.shape[0]} × ${summary.shape[1]}` : '';
      const wrap = document.createElement('div');
      wrap.className = 'jp-Artifacts-Frame';
      if (shape) {
        wrap.appendChild(dom.note(shape));
      }
      wrap.appendChild(
        dom.table(
          summary.columns.map(String),
          (summary.head as unknown[][]).map(row => row.map(formatNumber))
        )
      );
      return wrap;
    }
    if (version.kind === 'model' && typeof summary.class === 'string') {
      return Private.modelCard(summary);
    }
    if (summary.values && typeof summary.values === 'object' && !Array.isArray(summary.values)) {
      const entries = Object.entries(summary.values as Record<string, unknown>).slice(0, 30);
      return dom.table(['metric', 'value'], entries.map(([k, v]) => [k, formatNumber(v)]));
    }
    if (typeof summary.preview === 'string') {
      return dom.pre(summary.preview.slice(0, 500));
    }
    return null;
  }

  private _revokeURLs(): void {
    for (const url of this._urls) {
      URL.revokeObjectURL(url);
    }
    this._urls = [];
  }

  private _model: DetailsModel;
  private _actions: IArtifactsActions;
  private _urls: string[] = [];
  private _renderedId: string | null = null;
  private _renderedAt: IRunDetail | null = null;
}

export namespace DetailsBody {
  export interface IOptions {
    model: DetailsModel;
    actions: IArtifactsActions;
  }
}

namespace Private {
  /**
   * A model card: the estimator's class, what it was fitted on, and its parameters.
   */
  export function modelCard(summary: Record<string, any>): HTMLElement {
    const card = document.createElement('div');
    card.className = 'jp-Artifacts-ModelCard';
    const name = document.createElement('div');
    name.className = 'jp-Artifacts-ModelClass';
    name.textContent = String(summary.class).split('.').pop() ?? String(summary.class);
    name.title = String(summary.class);
    card.appendChild(name);
    const facts: string[] = [];
    if (summary.fitted === false) {
      facts.push('not fitted');
    }
    if (typeof summary.n_features_in === 'number') {
      facts.push(`${summary.n_features_in} features`);
    }
    if (Array.isArray(summary.classes)) {
      facts.push(`classes ${summary.classes.slice(0, 10).join(', ')}`);
    }
    if (typeof summary.parameters === 'number') {
      facts.push(`${summary.parameters.toLocaleString()} parameters`);
    }
    if (facts.length) {
      card.appendChild(dom.note(facts.join(' · ')));
    }
    const params = summary.params && typeof summary.params === 'object' ? summary.params : {};
    const rows = Object.entries(params as Record<string, unknown>).map(([k, v]) => [
      k,
      typeof v === 'object' && v !== null ? JSON.stringify(v) : formatNumber(v)
    ]);
    if (rows.length) {
      card.appendChild(dom.table(['param', 'value'], rows));
    }
    return card;
  }
}
