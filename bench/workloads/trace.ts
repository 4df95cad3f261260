// A real editing trace typed by one client through the whole stack at full
// speed: every transaction is one local edit, in its own event-loop turn
// (as keystrokes are), so the network interleaves; edits made while an op
// is in flight compose into the next one. Done when everything is
// acknowledged; the client's text and a fresh client's text must both
// equal the trace's endContent exactly.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { textOf, type Trace } from '../lib/edits.ts';
import type { Target } from '../lib/targets.ts';

export interface TraceResult {
  wallMs: number;
  /** Versions the document gained (= round trips). */
  versions: number;
  edits: number;
}

export async function typeTrace(target: Target, trace: Trace): Promise<TraceResult> {
  const id = await target.createDocument([]);
  const writer = await target.openWriter(id);
  const before = await target.open(id);
  await before.close();
  try {
    const t0 = performance.now();
    for (const edit of trace.edits) {
      writer.edit(edit);
      await nextTurn();
    }
    const version = await writer.synced();
    const wallMs = performance.now() - t0;
    const local = textOf(writer.content());
    if (local !== trace.endContent) throw new Error(`${target.system}: ${trace.name} typed to a different text (${local.length} chars, expected ${trace.endContent.length})`);
    const fresh = await target.open(id);
    await fresh.close();
    if (fresh.text !== trace.endContent) throw new Error(`${target.system}: the server's text of ${trace.name} differs from endContent (${fresh.text.length} chars, expected ${trace.endContent.length})`);
    return { wallMs, versions: version - before.version, edits: trace.edits.length };
  } finally {
    await writer.close();
  }
}
