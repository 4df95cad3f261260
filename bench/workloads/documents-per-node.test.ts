// The search for the largest N, against probes whose answer is known.
import { describe, expect, it } from 'vitest';
import { searchLargest, type DocumentsResult } from './documents-per-node.ts';

/** A probe that meets the targets up to `limit` documents and misses them above. */
function probeUpTo(limit: number) {
  const tried: number[] = [];
  const probe = async (documents: number): Promise<DocumentsResult> => {
    tried.push(documents);
    const ms = documents <= limit ? 50 : 500;
    return { window: { startUs: 0, endUs: 1 }, documents, keystrokes: 10, ack: { p50: ms, p99: ms }, remote: { p50: ms, p99: ms }, opsPerSec: 1, cpuPerOpUs: 1, serverCores: 0.1, clientLoopDelayP99: 1, unacked: 0, undelivered: 0 };
  };
  return { probe, tried };
}

describe('searchLargest', () => {
  it('doubles while probes pass, then bisects to within the precision', async () => {
    const { probe, tried } = probeUpTo(300);
    const out = await searchLargest(probe, { startAt: 50, probes: 10 });
    expect(tried.slice(0, 4)).toEqual([50, 100, 200, 400]);
    expect(out.largest).toBeLessThanOrEqual(300);
    expect(out.largest).toBeGreaterThanOrEqual(Math.floor(300 / 1.15));
    expect(out.atLargest?.documents).toBe(out.largest);
  });

  it('halves when the first probe misses, and reports 0 when even one document misses', async () => {
    const small = probeUpTo(7);
    expect((await searchLargest(small.probe, { startAt: 50, probes: 10, precision: 1 })).largest).toBe(7);
    expect(small.tried.slice(0, 4)).toEqual([50, 25, 12, 6]);
    const none = probeUpTo(0);
    const out = await searchLargest(none.probe, { startAt: 4, probes: 10 });
    expect(out).toMatchObject({ largest: 0, atLargest: null });
    expect(none.tried).toEqual([4, 2, 1]);
  });

  it('stops at the probe budget', async () => {
    const { probe, tried } = probeUpTo(1_000_000);
    expect((await searchLargest(probe, { startAt: 10, probes: 3 })).largest).toBe(40);
    expect(tried).toEqual([10, 20, 40]);
  });

  it('counts a probe with undelivered keystrokes as a miss, however fast the rest', async () => {
    const out = await searchLargest(
      async (documents) => ({ ...(await probeUpTo(100).probe(documents)), undelivered: documents > 20 ? 1 : 0 }),
      { startAt: 10, probes: 10, precision: 1 },
    );
    expect(out.largest).toBe(20);
  });
});
