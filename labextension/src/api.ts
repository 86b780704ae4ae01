/**
 * Typed calls to the REST API; the payload shapes mirror `jupyter_artifacts/server/schema`.
 */
import { requestAPI } from './request';

/**
 * `dead`: stored as running, but the process that wrote the run is gone (a killed script,
 * a crashed kernel); the server derives it when reading.
 */
export type RunStatus = 'running' | 'ok' | 'failed' | 'interrupted' | 'dead';

export interface IRunRow {
  id: string;
  number: number;
  ref: string;
  name: string;
  status: RunStatus;
  started_at: number;
  ended_at: number | null;
  duration: number | null;
  notebook_path: string | null;
  execution_count: number | null;
  tags: string[];
  params: Record<string, unknown>;
  metrics: Record<string, number | null>;
  has_error: boolean;
  /** The writing process: host name and pid (null for runs recorded before either was). */
  host?: string | null;
  pid?: number | null;
  heartbeat_at?: number | null;
}

export interface IRun extends IRunRow {
  code: string | null;
  error: string | null;
  cell_id: string | null;
}

export interface IVersion {
  id: string;
  name: string;
  version: number;
  ref: string;
  oid: string;
  kind: string;
  media_type: string;
  codec: string;
  size: number;
  summary: Record<string, any>;
  metadata: Record<string, any>;
  created_at: number;
  run_id: string | null;
  aliases: string[];
  tags: string[];
}

export interface IMetricSummary {
  last: number | null;
  min: number | null;
  max: number | null;
  count: number;
  last_step?: number | null;
}

export interface IRunDetail {
  run: IRun;
  /** The producing notebook relative to the server root; null when outside it. */
  notebook: string | null;
  metrics: Record<string, IMetricSummary>;
  inputs: IVersion[];
  outputs: IVersion[];
  environment: {
    python: string;
    platform: string;
    packages: Record<string, string>;
  } | null;
}

export interface IRunsPage {
  runs: IRunRow[];
  total: number;
  limit: number;
  offset: number;
  store: string | null;
  message?: string;
}

export interface IMetricSeries {
  key: string;
  count: number;
  downsampled: boolean;
  points: [number | null, number | null, number][];
}

export interface IArtifactRow {
  name: string;
  kind: string;
  latest: number;
  versions: number;
  aliases: string[];
  updated_at: number;
}

export interface IChanges {
  token: string | null;
  store: string | null;
}

/**
 * Filters of the runs list; empty strings mean "any".
 */
export interface IRunFilters {
  name: string;
  tag: string;
  status: string;
  notebook: string;
  sort: string;
  /**
   * A filter-language expression: `metrics.acc > 0.9 and params.model = 'rf'`.
   */
  filter: string;
}

/**
 * The metric, param and tag keys runs have: completion for filter expressions.
 */
export interface IKeys {
  metrics: string[];
  params: string[];
  tags: string[];
}

export function fetchKeys(): Promise<IKeys> {
  return requestAPI<IKeys>('keys');
}

export function fetchRuns(
  filters: IRunFilters,
  offset: number,
  limit: number
): Promise<IRunsPage> {
  const query = new URLSearchParams({
    offset: String(offset),
    limit: String(limit)
  });
  for (const [key, value] of Object.entries(filters)) {
    if (value) {
      query.set(key, value);
    }
  }
  return requestAPI<IRunsPage>(`runs?${query.toString()}`);
}

export function fetchRun(ref: string): Promise<IRunDetail> {
  return requestAPI<IRunDetail>(`runs/${encodeURIComponent(ref)}`);
}

export function fetchSeries(
  ref: string,
  key: string,
  maxPoints = 500
): Promise<IMetricSeries> {
  return requestAPI<IMetricSeries>(
    `runs/${encodeURIComponent(ref)}/metrics/${encodeURIComponent(key)}?max_points=${maxPoints}`
  );
}

export function fetchArtifacts(kind = '', search = ''): Promise<{ artifacts: IArtifactRow[] }> {
  const query = new URLSearchParams();
  if (kind) {
    query.set('kind', kind);
  }
  if (search) {
    query.set('search', search);
  }
  return requestAPI(`artifacts?${query.toString()}`);
}

export function fetchChanges(): Promise<IChanges> {
  return requestAPI<IChanges>('changes');
}

/**
 * The cell that loads a version in a notebook (the import makes it run on its own).
 */
export function loadSnippet(ref: string): string {
  return `import jupyter_artifacts as ja\n\nja.load(${JSON.stringify(ref)})`;
}

export function fetchVersions(name: string): Promise<{ name: string; versions: IVersion[] }> {
  return requestAPI(`artifacts/${encodeURIComponent(name)}`);
}

export interface ILineageNode {
  id: string;
  type: 'run' | 'version';
  label: string;
  ref: string;
  stale?: boolean;
  latest?: boolean;
}

export interface ILineage {
  root: string;
  nodes: ILineageNode[];
  edges: { source: string; target: string; type: 'input' | 'output' }[];
}

export function fetchLineage(ref: string, depth = 2): Promise<ILineage> {
  return requestAPI<ILineage>(`lineage/${encodeURIComponent(ref)}?depth=${depth}`);
}
