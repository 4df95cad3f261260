// The client's buffer: what one keystroke costs the writer while an op is in
// flight (or while it waits out a rate limit), as the buffer grows.
//   node bench/client-buffer.ts [trace=automerge-paper] [from=100000]
// The trace's first `from` edits are the document as the server has it; the
// op in flight never comes back, so every later edit is composed into the
// buffer. Ours: OtClient (web/src/sync, its PendingBuffer). ShareDB's client
// composes each edit into its pending op with rich-text's compose (one
// quill-delta). Prints µs per edit by buffer size, and the totals.
import richText from 'rich-text';
import { Delta, type DeltaOp } from '../protocol/delta.ts';
import { OtClient } from '../web/src/sync/ot-client.ts';
import { loadTrace } from './lib/edits.ts';

const [file = 'automerge-paper', fromArg = '100000'] = process.argv.slice(2);
const trace = loadTrace(`${file}.json.gz`);
const buffered = trace.edits.slice(Number(fromArg));
const step = Math.max(1, Math.floor(buffered.length / 6));

function run(name: string, compose: (ops: DeltaOp[]) => void): number[] {
  const perWindow: number[] = [];
  const t0 = performance.now();
  let last = t0;
  buffered.forEach((ops, i) => {
    compose(ops);
    if ((i + 1) % step === 0) {
      const now = performance.now();
      perWindow.push(((now - last) * 1000) / step);
      last = now;
    }
  });
  console.log(`${name}: ${buffered.length} edits composed in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  return perWindow;
}

const ours = new OtClient('bench', 0);
ours.applyLocal(new Delta().retain(1)); // the op in flight
const oursWindows = run('ours (OtClient)', (ops) => void ours.applyLocal(new Delta(ops)));

let pending: unknown = null;
const sharedbWindows = run('ShareDB client (rich-text compose)', (ops) => void (pending = pending ? richText.type.compose(pending, new Delta(ops)) : new Delta(ops)));

console.log('\nµs per edit, by edits already buffered:');
console.log('| buffered | ours | ShareDB client | ratio |');
console.log('|---:|---:|---:|---:|');
oursWindows.forEach((o, k) => {
  const s = sharedbWindows[k]!;
  console.log(`| ${(k + 1) * step} | ${o.toFixed(1)} | ${s.toFixed(1)} | ${(s / o).toFixed(1)}x |`);
});
