// What the clients type: seeded random edits for the synthetic workloads,
// and the real editing traces (../shared/data/traces).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Delta, type DeltaOp } from '../../web/src/sync/index.ts';
import { ROOT } from './processes.ts';

export const TRACES_DIR = process.env.BENCH_TRACES_DIR ?? path.resolve(ROOT, '../shared/data/traces');

/** A small deterministic PRNG (same seed, same edits, on both systems). */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

const WORDS = ['a', 'e', 'the ', 'x', 'ok', ' ', 'lorem', '\n'];

/**
 * One small edit of a document of `length` characters, as plain Quill ops
 * (both quill-delta copies accept them): insert 60 %, delete 30 %, format
 * 10 %. Inserts and deletes average 2 characters, so the document grows
 * ~0.6 per edit; below 1k characters inserts take 20 points from deletes,
 * above 3k deletes take 20 from inserts (it shrinks ~0.2 per edit), so the
 * document stays between ~1k and ~3k characters however long the run.
 */
export function randomEdit(length: number, rand: () => number): DeltaOp[] {
  const pos = Math.floor(rand() * (length + 1));
  const shift = length < 1_000 ? 0.2 : length > 3_000 ? -0.2 : 0;
  const roll = rand();
  const retain: DeltaOp[] = pos > 0 ? [{ retain: pos }] : [];
  if (roll < 0.6 + shift || pos >= length) return [...retain, { insert: WORDS[Math.floor(rand() * WORDS.length)]! }];
  const span = Math.min(length - pos, 1 + Math.floor(rand() * 3));
  if (roll < 0.9) return [...retain, { delete: span }];
  return [...retain, { retain: span, attributes: rand() < 0.5 ? { bold: true } : { italic: true } }];
}

/** Starting content for the synthetic documents: ~2k characters over 40 lines. */
export function initialContent(): DeltaOp[] {
  const line = 'The quick brown fox jumps over the lazy dog, again and again.\n';
  return [{ insert: line.repeat(32) }];
}

export interface Trace {
  name: string;
  /** One delta per transaction (plain ops). */
  edits: DeltaOp[][];
  /** The text after all of `edits`. */
  endContent: string;
  /** Edits in the full trace (the run may use a prefix). */
  totalEdits: number;
}

interface TraceFile {
  startContent: string;
  endContent: string;
  txns: Array<{ patches: Array<[number, number, string]> }>;
}

/**
 * Loads a trace as deltas. With `limit`, only the first `limit`
 * transactions, and the expected text is that prefix replayed here.
 */
export function loadTrace(file: string, limit?: number): Trace {
  const data = JSON.parse(gunzipSync(readFileSync(path.join(TRACES_DIR, file))).toString('utf8')) as TraceFile;
  if (data.startContent !== '') throw new Error(`${file}: expected an empty startContent`);
  // Trace positions count code points, Quill counts UTF-16 units: they agree only without astral characters.
  if (/[\uD800-\uDFFF]/.test(data.endContent)) throw new Error(`${file}: has characters above U+FFFF; convert positions first`);
  const txns = limit === undefined ? data.txns : data.txns.slice(0, limit);
  const edits: DeltaOp[][] = [];
  for (const { patches } of txns) {
    let delta: Delta | null = null;
    for (const [pos, del, ins] of patches) {
      if (/[\uD800-\uDFFF]/.test(ins)) throw new Error(`${file}: has characters above U+FFFF; convert positions first`);
      let d = new Delta();
      if (pos > 0) d = d.retain(pos);
      if (del > 0) d = d.delete(del);
      if (ins.length > 0) d = d.insert(ins);
      delta = delta ? delta.compose(d) : d;
    }
    if (delta && delta.ops.length > 0) edits.push(delta.ops);
  }
  let endContent = data.endContent;
  if (limit !== undefined && limit < data.txns.length) {
    // Replay the prefix on a plain string (splice semantics, as the README defines).
    let text = '';
    for (const { patches } of txns) for (const [pos, del, ins] of patches) text = text.slice(0, pos) + ins + text.slice(pos + del);
    endContent = text;
  }
  return { name: file.replace(/\.json\.gz$/, ''), edits, endContent, totalEdits: data.txns.length };
}

/** The plain text of a document delta. */
export const textOf = (ops: ReadonlyArray<{ insert?: unknown }>): string => ops.map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('');

/** Applies a delta of retains, deletes and inserts (attributes ignored) to plain text. */
export function applyToText(text: string, ops: readonly DeltaOp[]): string {
  let out = '';
  let at = 0;
  for (const op of ops) {
    if (typeof op.retain === 'number') {
      out += text.slice(at, at + op.retain);
      at += op.retain;
    } else if (typeof op.delete === 'number') {
      at += op.delete;
    } else if (typeof op.insert === 'string') {
      out += op.insert;
    }
  }
  return out + text.slice(at);
}

/** The text after every `every`-th edit, and after the last. */
export function replayTexts(edits: readonly DeltaOp[][], every: number): { at: Map<number, string>; final: string } {
  const at = new Map<number, string>();
  let text = '';
  edits.forEach((ops, i) => {
    text = applyToText(text, ops);
    if ((i + 1) % every === 0) at.set(i + 1, text);
  });
  return { at, final: text };
}
