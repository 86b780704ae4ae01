/**
 * The artifacts model: artifact names filtered by kind and search, and one expanded name.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { IArtifactRow, IVersion, fetchArtifacts, fetchVersions } from '../../api';

/**
 * Artifact kinds offered by the kind filter (others found in the store are added).
 */
export const KNOWN_KINDS = ['dataset', 'model', 'figure', 'metrics', 'table', 'report', 'text', 'file'];

export class ArtifactsModel {
  constructor(options: ArtifactsModel.IOptions = {}) {
    this._fetchArtifacts = options.fetchArtifacts ?? fetchArtifacts;
    this._fetchVersions = options.fetchVersions ?? fetchVersions;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get rows(): readonly IArtifactRow[] {
    return this._rows;
  }

  /**
   * Every kind seen so far plus the usual ones, sorted.
   */
  get kinds(): string[] {
    return [...this._kinds].sort();
  }

  get kind(): string {
    return this._kind;
  }

  get search(): string {
    return this._search;
  }

  get error(): string | null {
    return this._error;
  }

  /**
   * The expanded artifact and its versions, newest first.
   */
  get expanded(): { name: string; versions: IVersion[] } | null {
    return this._expanded;
  }

  setFilters(filters: { kind?: string; search?: string }): void {
    this._kind = filters.kind ?? this._kind;
    this._search = filters.search ?? this._search;
    void this.refresh();
  }

  async toggle(name: string): Promise<void> {
    if (this._expanded?.name === name) {
      this._expanded = null;
      this._changed.emit();
      return;
    }
    this._expanded = { name, versions: [] };
    await this._loadVersions();
  }

  async refresh(): Promise<void> {
    const generation = ++this._generation;
    try {
      const { artifacts } = await this._fetchArtifacts(this._kind, this._search);
      if (generation !== this._generation) {
        return;
      }
      this._rows = artifacts;
      this._error = null;
      for (const row of artifacts) {
        this._kinds.add(row.kind);
      }
      if (this._expanded) {
        await this._loadVersions();
        return;
      }
    } catch (error) {
      this._error = (error as Error).message;
    }
    this._changed.emit();
  }

  dispose(): void {
    Signal.clearData(this);
  }

  private async _loadVersions(): Promise<void> {
    const name = this._expanded?.name;
    if (!name) {
      return;
    }
    try {
      const { versions } = await this._fetchVersions(name);
      if (this._expanded?.name === name) {
        this._expanded = { name, versions: [...versions].reverse() };
      }
    } catch (error) {
      this._error = (error as Error).message;
    }
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
  private _rows: IArtifactRow[] = [];
  private _kinds = new Set<string>(KNOWN_KINDS);
  private _kind = '';
  private _search = '';
  private _error: string | null = null;
  private _expanded: { name: string; versions: IVersion[] } | null = null;
  private _generation = 0;
  private _fetchArtifacts: typeof fetchArtifacts;
  private _fetchVersions: typeof fetchVersions;
}

export namespace ArtifactsModel {
  export interface IOptions {
    fetchArtifacts?: typeof fetchArtifacts;
    fetchVersions?: typeof fetchVersions;
  }
}
