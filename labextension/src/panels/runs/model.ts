/**
 * The runs list model: filters, a sparse page cache over the server's paging, selection.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { IRunFilters, IRunRow, IRunsPage, fetchRuns } from '../../api';

/**
 * A model of every run that matches the filters, loaded page by page as rows are shown.
 *
 * Only the pages a view asks for are fetched, so 100,000 runs cost what one screen costs.
 */
export class RunsModel {
  constructor(options: RunsModel.IOptions = {}) {
    this._pageSize = options.pageSize ?? 200;
    this._fetch = options.fetch ?? fetchRuns;
  }

  /**
   * Emitted when rows, the total or the error change.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Emitted when the checked runs change.
   */
  get selectionChanged(): ISignal<this, void> {
    return this._selectionChanged;
  }

  /**
   * Emitted with the run whose details should show.
   */
  get activeChanged(): ISignal<this, IRunRow | null> {
    return this._activeChanged;
  }

  get total(): number {
    return this._total;
  }

  get error(): string | null {
    return this._error;
  }

  /**
   * The server's explanation when there is no store yet.
   */
  get message(): string | null {
    return this._message;
  }

  get filters(): Readonly<IRunFilters> {
    return this._filters;
  }

  get pageSize(): number {
    return this._pageSize;
  }

  set pageSize(value: number) {
    if (value !== this._pageSize && value > 0) {
      this._pageSize = value;
      this._pages.clear();
      void this.refresh();
    }
  }

  get active(): IRunRow | null {
    return this._active;
  }

  set active(row: IRunRow | null) {
    if (row?.id !== this._active?.id) {
      this._active = row;
      this._activeChanged.emit(row);
    }
  }

  /**
   * The ids of the runs checked for comparison, in the order they were checked.
   */
  get selected(): readonly IRunRow[] {
    return [...this._selected.values()];
  }

  isSelected(id: string): boolean {
    return this._selected.has(id);
  }

  toggleSelected(row: IRunRow): void {
    if (!this._selected.delete(row.id)) {
      this._selected.set(row.id, row);
    }
    this._selectionChanged.emit();
  }

  clearSelection(): void {
    this._selected.clear();
    this._selectionChanged.emit();
  }

  /**
   * The row at `index`, or undefined while its page is not loaded.
   */
  row(index: number): IRunRow | undefined {
    const page = this._pages.get(Math.floor(index / this._pageSize));
    return page?.[index % this._pageSize];
  }

  /**
   * Change some filters and reload from the first page.
   */
  setFilters(filters: Partial<IRunFilters>): void {
    this._filters = { ...this._filters, ...filters };
    this._pages.clear();
    this._total = 0;
    this._visible = [0, 0];
    void this.refresh();
  }

  /**
   * Make sure rows `first`..`last` are loaded (or loading).
   */
  ensure(first: number, last: number): void {
    const from = Math.max(0, Math.floor(first / this._pageSize));
    const to = Math.max(from, Math.floor(Math.max(first, last) / this._pageSize));
    for (let page = from; page <= to; page++) {
      if (!this._pages.has(page) && !this._loading.has(page)) {
        void this._load(page);
      }
    }
    this._visible = [from, to];
  }

  /**
   * Reload the visible pages (and the total) without clearing the list first.
   */
  async refresh(): Promise<void> {
    this._generation++;
    const [from, to] = this._visible;
    const keep = new Set<number>();
    for (let page = from; page <= to; page++) {
      keep.add(page);
    }
    for (const page of [...this._pages.keys()]) {
      if (!keep.has(page)) {
        this._pages.delete(page);
      }
    }
    this._loading.clear();
    await Promise.all([...keep].map(page => this._load(page)));
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private async _load(page: number): Promise<void> {
    const generation = this._generation;
    this._loading.add(page);
    let result: IRunsPage;
    try {
      result = await this._fetch(this._filters, page * this._pageSize, this._pageSize);
    } catch (error) {
      if (generation === this._generation) {
        this._error = (error as Error).message;
        this._loading.delete(page);
        this._changed.emit();
      }
      return;
    }
    if (generation !== this._generation) {
      return; // Filters changed while this page was in flight.
    }
    this._loading.delete(page);
    this._error = null;
    this._message = result.store === null ? (result.message ?? null) : null;
    this._total = result.total;
    this._pages.set(page, result.runs);
    if (this._active) {
      const fresh = result.runs.find(run => run.id === this._active?.id);
      if (fresh) {
        this._active = fresh;
      }
    }
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
  private _selectionChanged = new Signal<this, void>(this);
  private _activeChanged = new Signal<this, IRunRow | null>(this);
  private _filters: IRunFilters = {
    name: '',
    tag: '',
    status: '',
    notebook: '',
    sort: '',
    filter: ''
  };
  private _pages = new Map<number, IRunRow[]>();
  private _loading = new Set<number>();
  private _visible: [number, number] = [0, 0];
  private _generation = 0;
  private _total = 0;
  private _error: string | null = null;
  private _message: string | null = null;
  private _pageSize: number;
  private _active: IRunRow | null = null;
  private _selected = new Map<string, IRunRow>();
  private _fetch: typeof fetchRuns;
}

export namespace RunsModel {
  export interface IOptions {
    /**
     * Runs per request.
     */
    pageSize?: number;
    /**
     * The call that fetches a page (the API by default; a seam for tests).
     */
    fetch?: typeof fetchRuns;
  }
}
