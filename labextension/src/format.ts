/**
 * Formatting of numbers, durations, times and sizes shared by the views.
 */
import type { IRunRow, RunStatus } from './api';

/** How each run status reads in the sidebar. */
export const STATUS_LABELS: Record<RunStatus, string> = {
  ok: 'OK',
  failed: 'Failed',
  running: 'Running',
  interrupted: 'Interrupted',
  dead: 'Crashed'
};

/** A status badge's tooltip: a crashed run says why it is not running any more. */
export function statusTitle(row: Pick<IRunRow, 'status' | 'host' | 'pid'>): string {
  if (row.status !== 'dead') {
    return STATUS_LABELS[row.status] ?? row.status;
  }
  const writer = row.host ? ` (${row.host}, pid ${row.pid ?? '?'})` : '';
  return `Crashed: still marked running, but the process that ran it${writer} is gone`;
}

/** A run's duration, or what it is doing when it has none. */
export function formatRunDuration(row: Pick<IRunRow, 'status' | 'duration'>): string {
  if (row.duration === null && row.status === 'dead') {
    return 'crashed';
  }
  return formatDuration(row.duration);
}

export function formatNumber(value: unknown): string {
  if (value === null || value === undefined) {
    return '–';
  }
  if (typeof value !== 'number') {
    return typeof value === 'string' ? value : JSON.stringify(value);
  }
  if (Number.isInteger(value)) {
    return String(value);
  }
  return Math.abs(value) >= 1e4 || Math.abs(value) < 1e-3
    ? value.toExponential(2)
    : String(Number(value.toPrecision(4)));
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null) {
    return 'running';
  }
  if (seconds < 60) {
    return `${seconds.toFixed(1)} s`;
  }
  if (seconds < 3600) {
    return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  }
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function formatTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toLocaleString(undefined, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit'
  });
}

export function formatSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
