/**
 * The compare model: several runs' details and the metric curves they share.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { IMetricSeries, IRunDetail, fetchRun, fetchSeries } from '../api';

export class CompareModel {
  constructor(options: CompareModel.IOptions) {
    this._refs = options.refs;
    this._fetchRun = options.fetchRun ?? fetchRun;
    this._fetchSeries = options.fetchSeries ?? fetchSeries;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get runs(): readonly IRunDetail[] {
    return this._runs;
  }

  /**
   * Per metric key with more than one point in some run: each run's series (or null).
   */
  get curves(): ReadonlyMap<string, (IMetricSeries | null)[]> {
    return this._curves;
  }

  get error(): string | null {
    return this._error;
  }

  /**
   * Param keys whose values differ between the runs (or are missing in some).
   */
  get differingParams(): Set<string> {
    const keys = new Set(this._runs.flatMap(d => Object.keys(d.run.params)));
    const differing = new Set<string>();
    for (const key of keys) {
      const values = new Set(this._runs.map(d => JSON.stringify(d.run.params[key])));
      if (values.size > 1) {
        differing.add(key);
      }
    }
    return differing;
  }

  async load(): Promise<void> {
    try {
      this._runs = await Promise.all(this._refs.map(ref => this._fetchRun(ref)));
      this._changed.emit();
      const keys = new Set<string>();
      for (const detail of this._runs) {
        for (const [key, summary] of Object.entries(detail.metrics)) {
          if (summary.count > 1) {
            keys.add(key);
          }
        }
      }
      for (const key of [...keys].sort()) {
        const series = await Promise.all(
          this._runs.map(d =>
            key in d.metrics ? this._fetchSeries(d.run.id, key, 1000) : Promise.resolve(null)
          )
        );
        this._curves.set(key, series);
      }
    } catch (error) {
      this._error = (error as Error).message;
    }
    this._changed.emit();
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private _changed = new Signal<this, void>(this);
  private _refs: string[];
  private _runs: IRunDetail[] = [];
  private _curves = new Map<string, (IMetricSeries | null)[]>();
  private _error: string | null = null;
  private _fetchRun: typeof fetchRun;
  private _fetchSeries: typeof fetchSeries;
}

export namespace CompareModel {
  export interface IOptions {
    refs: string[];
    fetchRun?: typeof fetchRun;
    fetchSeries?: typeof fetchSeries;
  }
}
