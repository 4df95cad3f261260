// How big content is, in bytes: what limits count and what a reply of it
// costs (MAX_DOCUMENT_BYTES, MAX_RESPONSE_BYTES). An op counts the UTF-8
// bytes of its text (or the JSON bytes of its embed) plus the JSON bytes
// of its attributes: an embed or a format is no longer "one character"
// whatever its size. Close to the op's JSON size, without building it.
import { insertBytes } from '../../../protocol/delta-validation.ts';
import type { DeltaOp } from './types.ts';

// Not remembered per op: a document's head measures only the ops a change
// rewrote (ChunkedDocument), and a table of every op in memory cost more in
// lookups and in the collector's weak-table work than measuring again.
export function opBytes(op: DeltaOp): number {
  return insertBytes(op) + (op.attributes ? Buffer.byteLength(JSON.stringify(op.attributes), 'utf8') : 0);
}

/** Bytes of a list of ops (a document's content, or a change). */
export function opsBytes(ops: readonly DeltaOp[]): number {
  let n = 0;
  for (const op of ops) n += opBytes(op);
  return n;
}
