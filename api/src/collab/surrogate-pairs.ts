// Quill positions count UTF-16 code units, so a well-formed delta can still
// cut a character outside the Basic Multilingual Plane (an emoji: a
// surrogate pair) in two: an insert between its halves, a delete or a
// format of one half. The content it leaves holds lone surrogates, which
// PostgreSQL refuses in jsonb: the next snapshot of the document failed,
// and with it every later commit. So a change is checked, once rebased,
// against the content it will meet, before anything is written.
//
// Most documents hold no surrogate at all; their heads say so
// (holdsSurrogates), and their changes skip the walk over the content.
import type { Delta, DeltaOp } from '../../../protocol/delta.ts';

const SURROGATE = /[\uD800-\uDFFF]/;
const isHigh = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLow = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/** Whether any text of `ops` holds a surrogate code unit (half of a pair, or a lone one). */
export function holdsSurrogates(ops: readonly DeltaOp[]): boolean {
  for (const op of ops) if (typeof op.insert === 'string' && SURROGATE.test(op.insert)) return true;
  return false;
}

/** Content that can say which UTF-16 unit is at a position (0 outside it or for an embed) without being built: ChunkedDocument. */
export interface UnitLookup {
  unitAt(index: number): number;
}

/**
 * Whether `change` (applying to `content`) starts or ends an insert, a
 * delete or a retain between the two halves of a surrogate pair of
 * `content`. Linear in the ops of both for a Delta; for a UnitLookup, two
 * lookups per place where the change's runs meet.
 */
export function splitsSurrogatePair(content: Delta | UnitLookup, change: Delta): boolean {
  // Every position in `content` where the change's runs meet, ascending.
  const cuts: number[] = [];
  let index = 0;
  for (const op of change.ops) {
    if (op.insert !== undefined) {
      cuts.push(index);
    } else {
      const length = typeof op.retain === 'number' ? op.retain : typeof op.delete === 'number' ? op.delete : 1;
      cuts.push(index);
      index += length;
      cuts.push(index);
    }
  }
  if ('unitAt' in content) {
    for (let k = 0; k < cuts.length; k++) {
      const p = cuts[k]!;
      if (p <= 0 || p === cuts[k - 1]) continue;
      if (isHigh(content.unitAt(p - 1)) && isLow(content.unitAt(p))) return true;
    }
    return false;
  }
  // One walk over the content: a cut at p splits a pair when p - 1 is a
  // high surrogate and p a low one (a pair may span two ops of different
  // formats, so the units are looked up across op boundaries).
  let c = 0;
  let start = 0; // content index where content.ops[c] starts
  const unitAt = (p: number): number => {
    // p never decreases between calls of one walk, except by one (p - 1 then p).
    while (c < content.ops.length) {
      const op = content.ops[c]!;
      const length = typeof op.insert === 'string' ? op.insert.length : 1;
      if (p < start + length) return typeof op.insert === 'string' ? op.insert.charCodeAt(p - start) : 0;
      start += length;
      c++;
    }
    return 0;
  };
  for (const p of cuts) {
    if (p <= 0) continue;
    // Step back if the previous lookup went past p - 1 (cuts repeat).
    while (c > 0 && start > p - 1) {
      c--;
      const op = content.ops[c]!;
      start -= typeof op.insert === 'string' ? op.insert.length : 1;
    }
    if (isHigh(unitAt(p - 1)) && isLow(unitAt(p))) return true;
  }
  return false;
}

/**
 * Whether every text of `content` can be stored as jsonb: well-formed (no
 * lone surrogate, as a split pair leaves) and free of NUL. Content that
 * older versions let in may fail this; its snapshot is then skipped.
 */
export function isStorable(content: Delta): boolean {
  for (const op of content.ops) {
    if (typeof op.insert === 'string' && (!isWellFormed(op.insert) || op.insert.includes('\u0000'))) return false;
  }
  return true;
}

// String.prototype.isWellFormed: ES2024, in Node since 20 (the lib setting is ES2023).
const isWellFormed = (text: string): boolean => (text as string & { isWellFormed(): boolean }).isWellFormed();
