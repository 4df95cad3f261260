// The result table: one row per (workload, metric), ours next to ShareDB,
// and how many times better ours is (>1: ours is better, whichever way the
// metric points).
import os from 'node:os';
import type { Services } from './services.ts';

export interface Row {
  workload: string;
  metric: string;
  /** Which way is better. */
  better: 'higher' | 'lower';
  unit: 'ops/s' | 'edits/s' | 'ms' | 's' | 'µs' | 'KiB' | 'MiB' | 'count' | '%';
  ours: number;
  sharedb: number;
  /** Marks the row the closing ratio is taken from. */
  key?: string;
}

/** How many times better ours is; NaN when a side is not positive (e.g. memory that shrank: no meaningful ratio). */
export function advantage(row: Row): number {
  if (!(row.ours > 0 && row.sharedb > 0)) return NaN;
  return row.better === 'higher' ? row.ours / row.sharedb : row.sharedb / row.ours;
}

function format(value: number, unit: Row['unit']): string {
  if (!Number.isFinite(value)) return '–';
  switch (unit) {
    case 'ops/s':
    case 'edits/s':
    case 'µs':
    case 'count':
      return Math.round(value).toLocaleString('en-US');
    case 'ms':
      return value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US');
    case 's':
      return value.toFixed(2);
    case 'KiB':
    case 'MiB':
    case '%':
      return value.toFixed(1);
  }
}

export function table(rows: Row[]): string {
  const lines = ['| workload | metric | ours | ShareDB | ours vs ShareDB (×, >1 = ours better) |', '|---|---|---:|---:|---:|'];
  for (const row of rows) {
    const adv = advantage(row);
    const arrow = row.better === 'higher' ? '↑' : '↓';
    lines.push(
      `| ${row.workload} | ${row.metric} (${row.unit}) ${arrow} | ${format(row.ours, row.unit)} | ${format(row.sharedb, row.unit)} | ${Number.isFinite(adv) ? adv.toFixed(2) : '–'} |`,
    );
  }
  return lines.join('\n');
}

export interface Machine {
  cores: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  postgres: string;
  redis: string;
  loadBefore: string;
  loadAfter?: string;
}

export function machine(services: Services | null): Machine {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpu: cpus[0]?.model.trim() ?? '?',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    postgres: services?.postgresVersion ?? 'not reachable',
    redis: services?.redisVersion ?? 'not reachable',
    loadBefore: loadAverage(),
  };
}

export const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');

export function machineLine(m: Machine): string {
  return `machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, PostgreSQL ${m.postgres}, Redis ${m.redis}; load average (1, 5, 15 min) before ${m.loadBefore}${m.loadAfter ? `, after ${m.loadAfter}` : ''}`;
}
