// The history's grouping on synthetic logs (any times, authors and names):
// entries cover every version exactly once, newest first, split exactly
// where the rules say, and come out the same whatever the page size.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HISTORY_RULES, endsBetween, historyPage, type HistoryEntry, type HistoryRules } from './history.ts';
import type { OpStamp } from './types.ts';

const MINUTE = 60_000;
const rules: HistoryRules = { idleMs: 5 * MINUTE, windowMs: 30 * MINUTE, maxOps: 7 };

/** A log of `gaps.length` ops: op i + 1 comes gaps[i] ms after op i. */
function logOf(gaps: number[], authors: Array<string | null>): OpStamp[] {
  let t = Date.UTC(2026, 11, 6, 9, 0, 0);
  return gaps.map((gap, i) => ({ version: i + 1, authorId: authors[i % authors.length] ?? null, createdAt: new Date((t += gap)) }));
}

function reader(log: OpStamp[], reads: number[] = []) {
  return async (upTo: number, limit: number) => {
    reads.push(limit);
    return log.slice(0, Math.min(upTo, log.length)).reverse().slice(0, limit);
  };
}

async function everything(log: OpStamp[], names: Map<number, string>, first: number, pageBy: 'toVersion' | 'fromVersion', chunk = 3): Promise<HistoryEntry[]> {
  const all: HistoryEntry[] = [];
  let before = log.length + 1;
  for (;;) {
    const page = await historyPage({ head: log.length, beforeVersion: before, first, names, rules, readStamps: reader(log), chunk });
    expect(page.length).toBeLessThanOrEqual(first);
    if (page.length === 0) return all;
    all.push(...page);
    before = page.at(-1)![pageBy];
  }
}

const gapArb = fc.oneof(fc.integer({ min: 0, max: 2 * MINUTE }), fc.integer({ min: 0, max: 40 * MINUTE }));
const logArb = fc.record({
  gaps: fc.array(gapArb, { minLength: 0, maxLength: 60 }),
  authors: fc.array(fc.option(fc.constantFrom('ann', 'bob', 'cy'), { nil: null }), { minLength: 1, maxLength: 4 }),
  named: fc.array(fc.nat(70), { maxLength: 6 }),
  first: fc.integer({ min: 1, max: 8 }),
});

describe('history grouping', () => {
  it('covers every version exactly once, newest first, split exactly where the rules say (property)', async () => {
    await fc.assert(
      fc.asyncProperty(logArb, async ({ gaps, authors, named, first }) => {
        const log = logOf(gaps, authors);
        const names = new Map(named.filter((v) => v >= 1 && v <= log.length).map((v) => [v, `v${v}`]));
        const entries = await everything(log, names, first, 'toVersion');

        // Newest first, adjacent, from the head down to version 1.
        let expectedTo = log.length;
        for (const e of entries) {
          expect(e.toVersion).toBe(expectedTo);
          expect(e.fromVersion).toBeLessThanOrEqual(e.toVersion);
          expectedTo = e.fromVersion - 1;
        }
        expect(expectedTo).toBe(0);

        for (const e of entries) {
          const ops = log.slice(e.fromVersion - 1, e.toVersion);
          // A session ends after its last op and nowhere inside.
          for (let i = 0; i + 1 < ops.length; i++) expect(endsBetween(ops[i]!, ops[i + 1]!, names, rules)).toBe(false);
          const after = log[e.toVersion];
          if (after) expect(endsBetween(log[e.toVersion - 1]!, after, names, rules)).toBe(true);
          expect(e.startedAt).toEqual(ops[0]!.createdAt);
          expect(e.endedAt).toEqual(ops.at(-1)!.createdAt);
          expect(e.name).toBe(names.get(e.toVersion) ?? null);
          expect(new Set(e.authorIds)).toEqual(new Set(ops.map((o) => o.authorId).filter((a) => a !== null)));
          expect(e.toVersion - e.fromVersion).toBeLessThan(rules.maxOps);
        }
        // A named version is always the end of an entry.
        for (const v of names.keys()) expect(entries.some((e) => e.toVersion === v)).toBe(true);

        // Pages do not change the entries: page size, paging by fromVersion, one big page.
        expect(await everything(log, names, 1, 'fromVersion', 100)).toEqual(entries);
        expect(await historyPage({ head: log.length, beforeVersion: log.length + 1, first: 1000, names, rules, readStamps: reader(log) })).toEqual(entries);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves out the entry that straddles beforeVersion', async () => {
    // Two sessions: 1-3 (a minute apart), then 4-6 after a ten-minute pause.
    const log = logOf([0, MINUTE, MINUTE, 10 * MINUTE, MINUTE, MINUTE], ['ann']);
    const page = (before: number) => historyPage({ head: 6, beforeVersion: before, first: 10, names: new Map(), rules, readStamps: reader(log) });
    expect((await page(7)).map((e) => [e.fromVersion, e.toVersion])).toEqual([[4, 6], [1, 3]]);
    expect((await page(6)).map((e) => [e.fromVersion, e.toVersion])).toEqual([[1, 3]]);
    expect((await page(5)).map((e) => [e.fromVersion, e.toVersion])).toEqual([[1, 3]]);
    expect((await page(4)).map((e) => [e.fromVersion, e.toVersion])).toEqual([[1, 3]]);
    expect((await page(3)).map((e) => [e.fromVersion, e.toVersion])).toEqual([]);
    expect(await page(1)).toEqual([]);
  });

  it('ends a session at a named version, lists every author, and carries the name', async () => {
    const log = logOf([0, 1000, 1000, 1000], ['ann', 'bob', null, 'ann']);
    const entries = await historyPage({ head: 4, beforeVersion: 5, first: 10, names: new Map([[2, 'Draft']]), rules, readStamps: reader(log) });
    expect(entries.map(({ fromVersion, toVersion, authorIds, name }) => ({ fromVersion, toVersion, authorIds, name }))).toEqual([
      { fromVersion: 3, toVersion: 4, authorIds: ['ann'], name: null },
      { fromVersion: 1, toVersion: 2, authorIds: ['bob', 'ann'], name: 'Draft' },
    ]);
  });

  it('groups 200 keystrokes typed within a minute into one entry, reading only stamps in bounded chunks', async () => {
    const log = logOf(Array.from({ length: 200 }, () => 250), ['ann']);
    const reads: number[] = [];
    const entries = await historyPage({ head: 200, beforeVersion: 201, first: 20, names: new Map(), rules: DEFAULT_HISTORY_RULES, readStamps: reader(log, reads), chunk: 500 });
    expect(entries.map((e) => [e.fromVersion, e.toVersion])).toEqual([[1, 200]]);
    expect(reads).toEqual([500]);
  });
});
