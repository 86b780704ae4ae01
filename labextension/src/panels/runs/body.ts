/**
 * The runs list view: a filter bar over a virtualised list (only visible rows are in the DOM).
 */
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { fetchKeys, IRunRow } from '../../api';
import {
  formatNumber,
  formatRunDuration,
  formatTime,
  STATUS_LABELS,
  statusTitle
} from '../../format';
import { RunsModel } from './model';

/**
 * Fixed row height in pixels: what makes the list virtualisable.
 */
export const ROW_HEIGHT = 46;
const OVERSCAN = 8;

/**
 * The body of the runs panel.
 */
export class RunsBody extends Widget {
  constructor(options: RunsBody.IOptions) {
    super();
    this._model = options.model;
    this._keyMetrics = options.keyMetrics ?? 3;
    this.addClass('jp-Artifacts-RunsBody');
    this.node.appendChild(Private.filterBar(this._model, () => this._scrollTop()));
    this._status = document.createElement('div');
    this._status.className = 'jp-Artifacts-RunsStatus';
    this.node.appendChild(this._status);
    this._groupHeader = document.createElement('div');
    this._groupHeader.className = 'jp-Artifacts-GroupHeader';
    this.node.appendChild(this._groupHeader);
    this._scroller = document.createElement('div');
    this._scroller.className = 'jp-Artifacts-RunsScroller';
    this._spacer = document.createElement('div');
    this._spacer.className = 'jp-Artifacts-RunsSpacer';
    this._scroller.appendChild(this._spacer);
    this.node.appendChild(this._scroller);
    this._scroller.addEventListener('scroll', () => this._schedule());
    this._scroller.addEventListener('click', event => this._onClick(event));
    this._scroller.tabIndex = 0;
    this._scroller.setAttribute('role', 'listbox');
    this._scroller.setAttribute('aria-label', 'Runs');
    this._scroller.addEventListener('keydown', event => this._onKeyDown(event));
    this._model.changed.connect(this._schedule, this);
    this._model.selectionChanged.connect(this._schedule, this);
    this._model.activeChanged.connect(this._schedule, this);
  }

  /**
   * How many metrics each row shows.
   */
  set keyMetrics(value: number) {
    this._keyMetrics = value;
    this._schedule();
  }

  protected onAfterShow(msg: Message): void {
    this._schedule();
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    this._schedule();
  }

  private _scrollTop(): void {
    this._scroller.scrollTop = 0;
    this._activeIndex = -1;
  }

  private _schedule(): void {
    if (this._frame === 0) {
      this._frame = requestAnimationFrame(() => {
        this._frame = 0;
        this._render();
      });
    }
  }

  private _render(): void {
    const model = this._model;
    const total = model.total;
    this._spacer.style.height = `${total * ROW_HEIGHT}px`;
    this._status.textContent =
      model.error ?? model.message ?? `${total.toLocaleString()} run${total === 1 ? '' : 's'}`;
    this._status.classList.toggle('jp-mod-error', model.error !== null);
    const height = this._scroller.clientHeight || 600;
    const top = this._scroller.scrollTop;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(total - 1, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    model.ensure(first, Math.max(first, last));
    const rows: HTMLElement[] = [];
    for (let index = first; index <= last; index++) {
      rows.push(
        Private.renderRow(model, index, model.row(index), model.row(index - 1), this._keyMetrics)
      );
    }
    this._spacer.replaceChildren(...rows);
    Private.addMetricSorts(this.node, rows.map(node => model.row(Number(node.dataset.index))));
    const topRow = model.row(Math.floor(top / ROW_HEIGHT));
    this._groupHeader.textContent = topRow ? Private.notebookLabel(topRow) : '';
    this._groupHeader.title = topRow?.notebook_path ?? '';
  }

  private _onClick(event: MouseEvent): void {
    const target = event.target as HTMLElement;
    const rowNode = target.closest('.jp-Artifacts-RunRow') as HTMLElement | null;
    if (!rowNode) {
      return;
    }
    const row = this._model.row(Number(rowNode.dataset.index));
    if (!row) {
      return;
    }
    if (target.classList.contains('jp-Artifacts-RunCheck')) {
      this._model.toggleSelected(row);
      return;
    }
    this._activeIndex = Number(rowNode.dataset.index);
    this._model.active = row;
  }

  /**
   * Up/Down (and Page Up/Down, Home/End) move the selection; Space checks the run.
   */
  private _onKeyDown(event: KeyboardEvent): void {
    const page = Math.max(1, Math.floor(this._scroller.clientHeight / ROW_HEIGHT));
    const steps: Record<string, number> = {
      ArrowDown: 1,
      ArrowUp: -1,
      PageDown: page,
      PageUp: -page,
      Home: -Infinity,
      End: Infinity
    };
    const active = this._model.active;
    if (event.key === ' ' && active) {
      this._model.toggleSelected(active);
    } else if (event.key in steps) {
      const last = this._model.total - 1;
      const index = Math.max(0, Math.min(last, this._activeIndex + steps[event.key]));
      this._activeIndex = index;
      const top = index * ROW_HEIGHT;
      if (top < this._scroller.scrollTop) {
        this._scroller.scrollTop = top;
      } else if (top + ROW_HEIGHT > this._scroller.scrollTop + this._scroller.clientHeight) {
        this._scroller.scrollTop = top + ROW_HEIGHT - this._scroller.clientHeight;
      }
      const row = this._model.row(index);
      if (row) {
        this._model.active = row;
      }
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }

  dispose(): void {
    if (this._frame !== 0) {
      cancelAnimationFrame(this._frame);
    }
    super.dispose();
  }

  private _model: RunsModel;
  private _keyMetrics: number;
  private _scroller: HTMLElement;
  private _spacer: HTMLElement;
  private _status: HTMLElement;
  private _groupHeader: HTMLElement;
  private _frame = 0;
  private _activeIndex = -1;
}

export namespace RunsBody {
  export interface IOptions {
    model: RunsModel;
    keyMetrics?: number;
  }
}

namespace Private {
  /**
   * Name search, tag, notebook and status filters; typing waits a moment before asking.
   */
  export function filterBar(model: RunsModel, onChange: () => void): HTMLElement {
    const bar = document.createElement('div');
    bar.className = 'jp-Artifacts-Filters';
    let timer = 0;
    const text = (key: 'name' | 'tag' | 'notebook' | 'filter', placeholder: string) => {
      const input = document.createElement('input');
      input.className = `jp-Artifacts-Filter jp-Artifacts-Filter-${key} jp-mod-styled`;
      input.type = 'search';
      input.placeholder = placeholder;
      input.setAttribute('aria-label', placeholder);
      input.addEventListener('input', () => {
        window.clearTimeout(timer);
        timer = window.setTimeout(() => {
          onChange();
          model.setFilters({ [key]: input.value.trim() });
        }, 250);
      });
      bar.appendChild(input);
      return input;
    };
    text('name', 'Search runs by name');
    text('tag', 'Tag');
    text('notebook', 'Notebook');
    const filter = text('filter', "Filter: metrics.acc > 0.9 and params.model = 'rf'");
    offerKeys(bar, filter);
    const select = (key: 'status' | 'sort', label: string, options: [string, string][]) => {
      const node = document.createElement('select');
      node.className = `jp-Artifacts-Filter jp-Artifacts-Filter-${key} jp-mod-styled`;
      node.setAttribute('aria-label', label);
      for (const [value, text] of options) {
        const option = document.createElement('option');
        option.value = value;
        option.textContent = text;
        node.appendChild(option);
      }
      node.addEventListener('change', () => {
        onChange();
        model.setFilters({ [key]: node.value });
      });
      bar.appendChild(node);
    };
    select('status', 'Status', [
      ['', 'Any status'],
      ...(['ok', 'failed', 'running', 'interrupted', 'dead'] as const).map(
        (s): [string, string] => [s, STATUS_LABELS[s]]
      )
    ]);
    select('sort', 'Sort', [
      ['', 'Newest first'],
      ['started_at', 'Oldest first'],
      ['-duration', 'Longest'],
      ['name', 'Name']
    ]);
    return bar;
  }

  let keyLists = 0;

  /**
   * Complete the keys the store has (metrics.acc, params.lr, tags.baseline) in ``input``.
   */
  function offerKeys(bar: HTMLElement, input: HTMLInputElement): void {
    const list = document.createElement('datalist');
    list.id = `jp-Artifacts-FilterKeys-${++keyLists}`;
    input.setAttribute('list', list.id);
    bar.appendChild(list);
    fetchKeys()
      .then(keys => {
        const names = [
          ...keys.metrics.map(key => `metrics.${key}`),
          ...keys.params.map(key => `params.${key}`),
          ...keys.tags.map(key => `tags.${key}`)
        ];
        for (const name of names) {
          const option = document.createElement('option');
          option.value = name;
          list.appendChild(option);
        }
      })
      .catch(() => undefined); // completion is a convenience: the filter works without it
  }

  /**
   * Offer "by <metric>" sorts for the metric keys of the rows on screen, once each.
   */
  export function addMetricSorts(root: HTMLElement, rows: (IRunRow | undefined)[]): void {
    const select = root.querySelector('.jp-Artifacts-Filter-sort') as HTMLSelectElement | null;
    if (!select) {
      return;
    }
    const known = new Set([...select.options].map(option => option.value));
    for (const row of rows) {
      for (const key of Object.keys(row?.metrics ?? {})) {
        for (const [value, text] of [
          [`-metrics.${key}`, `${key}: high first`],
          [`metrics.${key}`, `${key}: low first`]
        ]) {
          if (!known.has(value)) {
            known.add(value);
            const option = document.createElement('option');
            option.value = value;
            option.textContent = text;
            select.appendChild(option);
          }
        }
      }
    }
  }

  export function notebookLabel(row: IRunRow): string {
    // Kernels record absolute paths; the folder and file name are what people recognise.
    const path = row.notebook_path;
    return path ? path.split('/').filter(Boolean).slice(-2).join('/') : 'No notebook';
  }

  export function renderRow(
    model: RunsModel,
    index: number,
    row: IRunRow | undefined,
    previous: IRunRow | undefined,
    keyMetrics: number
  ): HTMLElement {
    const node = document.createElement('div');
    node.className = 'jp-Artifacts-RunRow';
    node.style.top = `${index * ROW_HEIGHT}px`;
    node.style.height = `${ROW_HEIGHT}px`;
    node.dataset.index = String(index);
    if (!row) {
      node.classList.add('jp-mod-loading');
      node.textContent = '…';
      return node;
    }
    node.dataset.ref = row.ref;
    node.title = `${row.name} (${row.ref})\n${notebookLabel(row)}`;
    if (!previous || previous.notebook_path !== row.notebook_path) {
      node.classList.add('jp-mod-groupStart');
    }
    node.classList.toggle('jp-mod-active', model.active?.id === row.id);
    const check = document.createElement('input');
    check.type = 'checkbox';
    check.className = 'jp-Artifacts-RunCheck';
    check.checked = model.isSelected(row.id);
    check.setAttribute('aria-label', `Select ${row.ref} to compare`);
    const status = document.createElement('span');
    status.className = `jp-Artifacts-Status jp-Artifacts-Status-${row.status}`;
    status.title = statusTitle(row);
    const name = document.createElement('span');
    name.className = 'jp-Artifacts-RunName';
    name.textContent = row.name;
    const ref = document.createElement('span');
    ref.className = 'jp-Artifacts-RunRef';
    ref.textContent = row.ref;
    const duration = document.createElement('span');
    duration.className = 'jp-Artifacts-RunDuration';
    duration.textContent = formatRunDuration(row);
    const line1 = document.createElement('div');
    line1.className = 'jp-Artifacts-RunLine';
    line1.append(check, status, name, ref, duration);
    const metrics = document.createElement('span');
    metrics.className = 'jp-Artifacts-RunMetrics';
    metrics.textContent = Object.entries(row.metrics)
      .slice(0, keyMetrics)
      .map(([key, value]) => `${key} ${formatNumber(value)}`)
      .join('  ·  ');
    const when = document.createElement('span');
    when.className = 'jp-Artifacts-RunWhen';
    when.textContent = formatTime(row.started_at);
    const line2 = document.createElement('div');
    line2.className = 'jp-Artifacts-RunLine jp-Artifacts-RunLine2';
    line2.append(metrics, when);
    node.append(line1, line2);
    return node;
  }
}
