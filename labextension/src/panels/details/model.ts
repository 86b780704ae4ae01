/**
 * The details model: the run whose details show, loaded from the API.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { IRunDetail, fetchRun } from '../../api';

export class DetailsModel {
  constructor(options: DetailsModel.IOptions = {}) {
    this._fetch = options.fetch ?? fetchRun;
  }

  /**
   * Emitted when the detail, the loading state or the error change.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get ref(): string | null {
    return this._ref;
  }

  get detail(): IRunDetail | null {
    return this._detail;
  }

  get loading(): boolean {
    return this._loading;
  }

  get error(): string | null {
    return this._error;
  }

  /**
   * Show run `ref` (a run id or `run-N`); `null` clears the view.
   */
  async show(ref: string | null): Promise<void> {
    this._ref = ref;
    if (ref === null) {
      this._detail = null;
      this._error = null;
      this._changed.emit();
      return;
    }
    await this.reload();
  }

  /**
   * Fetch the current run again (after the store changed).
   */
  async reload(): Promise<void> {
    const ref = this._ref;
    if (ref === null) {
      return;
    }
    this._loading = true;
    this._changed.emit();
    try {
      const detail = await this._fetch(ref);
      if (ref === this._ref) {
        this._detail = detail;
        this._error = null;
      }
    } catch (error) {
      if (ref === this._ref) {
        this._error = (error as Error).message;
      }
    } finally {
      this._loading = false;
      this._changed.emit();
    }
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _changed = new Signal<this, void>(this);
  private _ref: string | null = null;
  private _detail: IRunDetail | null = null;
  private _loading = false;
  private _error: string | null = null;
  private _fetch: typeof fetchRun;
}

export namespace DetailsModel {
  export interface IOptions {
    fetch?: typeof fetchRun;
  }
}
