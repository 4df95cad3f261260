// Smoke test of the benchmark harness on tiny inputs: it starts both
// servers as real processes, runs the hot-document, typing and cold-open
// workloads end to end (the typed text must equal the trace's, the opened
// document the seeded one), and prints a table ending with the ratio line.
// It checks that the harness works, never how fast anything is.
import { describe, expect, it } from 'vitest';
import { runBench } from './run.ts';

describe('bench harness', () => {
  it('runs every system through the hot-document, typing and cold-open workloads and reports a ratio', async () => {
    const lines: string[] = [];
    const out = await runBench({ quick: true, tiny: true, only: ['hot', 'trace', 'cold'], modes: ['embedded'], log: (line) => lines.push(line) });
    expect(out.failures, lines.join('\n')).toEqual([]);
    const metrics = out.rows.map((r) => `${r.workload.split(' (')[0]}: ${r.metric}`);
    expect(metrics).toEqual(
      expect.arrayContaining([
        'hot document, 2 writers + 3 watchers: committed',
        'hot document, 2 writers + 3 watchers: fan-out p99',
        'typing automerge-paper: wall time',
        'open a document with 500 ops of history: cold open p50',
      ]),
    );
    for (const row of out.rows) {
      expect(Number.isFinite(row.ours), `${row.workload} ${row.metric}`).toBe(true);
      expect(Number.isFinite(row.sharedb), `${row.workload} ${row.metric}`).toBe(true);
    }
    expect(out.text).toMatch(/^\| workload \| metric \| ours \| ShareDB \|/m);
    expect(out.ratio).toBeGreaterThan(0);
  }, 300_000);
});
