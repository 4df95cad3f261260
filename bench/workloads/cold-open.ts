// Cold open: a document with a long history (the first N transactions of
// the automerge-paper trace, one op each), written straight into the store
// the way the server writes it (ops, plus our snapshots every 100), then
// opened by a fresh client on a server that has not touched it since its
// start (ours: nothing of it in the head cache). Open = content in hand and
// the live subscription started. The server is warmed up on another
// document first, so the figure is the document's load, not the process's
// first request.
import type { DeltaOp } from '../../web/src/sync/index.ts';
import { replayTexts } from '../lib/edits.ts';
import { Samples } from '../lib/stats.ts';
import type { Target } from '../lib/targets.ts';

export interface History {
  ops: DeltaOp[][];
  /** Text after `version` ops (defined at multiples of 100 and at the end). */
  textAt(version: number): string | undefined;
}

export interface ColdOpenResult {
  cold: { p50: number; max: number };
  warm: { p50: number };
  version: number;
}

export async function coldOpen(target: Target, history: History, documents: number): Promise<ColdOpenResult> {
  const ids: string[] = [];
  for (let i = 0; i < documents; i++) ids.push(await target.seed(history.ops, history.textAt));
  await target.restart();
  const expected = history.textAt(history.ops.length);

  const warmup = await target.createDocument([{ insert: 'warm-up\n' }]);
  for (let i = 0; i < 30; i++) await (await target.open(warmup)).close();

  const cold = new Samples();
  const warm = new Samples();
  let version = 0;
  for (const id of ids) {
    const t0 = performance.now();
    const doc = await target.open(id);
    cold.push(performance.now() - t0);
    await doc.close();
    if (doc.text !== expected) throw new Error(`${target.system}: the seeded document opened with a different text`);
    version = doc.version;
    for (let i = 0; i < 5; i++) {
      const t1 = performance.now();
      const again = await target.open(id);
      warm.push(performance.now() - t1);
      await again.close();
    }
  }
  return { cold: { p50: cold.percentile(50), max: cold.percentile(100) }, warm: { p50: warm.percentile(50) }, version };
}

/** The first `count` transactions of a trace as a history (one op per transaction). */
export function historyOf(edits: DeltaOp[][], count: number): History {
  const ops = edits.slice(0, count);
  const { at, final } = replayTexts(ops, 100);
  return { ops, textAt: (v) => (v === ops.length ? final : at.get(v)) };
}
