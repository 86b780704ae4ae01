/**
 * The compare view: params side by side (differences marked), metrics, overlaid curves.
 */
import { Widget } from '@lumino/widgets';

import * as dom from '../dom';
import { formatNumber } from '../format';
import { legend, lineChart } from '../svg';
import { CompareModel } from './model';

export class CompareBody extends Widget {
  constructor(model: CompareModel) {
    super();
    this._model = model;
    this.addClass('jp-Artifacts-CompareBody');
    model.changed.connect(this._render, this);
    this._render();
  }

  private _render(): void {
    const model = this._model;
    const children: HTMLElement[] = [];
    if (model.error) {
      children.push(dom.note(model.error, 'jp-mod-error'));
    }
    const runs = model.runs;
    if (runs.length === 0) {
      children.push(dom.note(model.error ? '' : 'Loading…'));
      this.node.replaceChildren(...children);
      return;
    }
    const headers = ['', ...runs.map(d => `${d.run.name} (${d.run.ref})`)];
    const differing = model.differingParams;
    const paramKeys = [...new Set(runs.flatMap(d => Object.keys(d.run.params)))].sort();
    const params = dom.table(
      headers,
      paramKeys.map(key => [key, ...runs.map(d => formatNumber(d.run.params[key]))]),
      paramKeys.map(key => differing.has(key))
    );
    children.push(dom.heading('Params'), params);
    const metricKeys = [...new Set(runs.flatMap(d => Object.keys(d.metrics)))].sort();
    children.push(
      dom.heading('Metrics (last)'),
      dom.table(
        headers,
        metricKeys.map(key => [key, ...runs.map(d => formatNumber(d.metrics[key]?.last ?? null))]),
        metricKeys.map(() => false)
      )
    );
    if (model.curves.size) {
      children.push(dom.heading('Curves'));
      const labels = runs.map(d => d.run.ref);
      children.push(legend(labels));
      const grid = document.createElement('div');
      grid.className = 'jp-Artifacts-Charts';
      for (const [key, seriesList] of model.curves) {
        const series = seriesList.map((s, i) => ({
          label: labels[i],
          points: (s?.points ?? []).map(
            ([step, value], j) => [step ?? j, value] as [number, number | null]
          )
        }));
        grid.appendChild(lineChart(series, { title: key, width: 360, height: 200 }));
      }
      children.push(grid);
    }
    this.node.replaceChildren(...children);
  }

  private _model: CompareModel;
}
