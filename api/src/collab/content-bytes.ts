// How big content is, in bytes: what limits count and what a reply of it
// costs (MAX_DOCUMENT_BYTES, MAX_RESPONSE_BYTES). An op counts the UTF-8
// bytes of its text (or the JSON bytes of its embed) plus the JSON bytes
// of its attributes: an embed or a format is no longer "one character"
// whatever its size. Close to the op's JSON size, without building it.
import { insertBytes } from '../../../protocol/delta-validation.ts';
import type { DeltaOp } from './types.ts';

// Ops are never changed in place (quill-delta and ChunkedDocument copy), so
// an op's size can be remembered: a document's head measures the region
// each change rewrites, mostly ops it has measured before.
const sizes = new WeakMap<DeltaOp, number>();

export function opBytes(op: DeltaOp): number {
  let size = sizes.get(op);
  if (size === undefined) {
    size = insertBytes(op) + (op.attributes ? Buffer.byteLength(JSON.stringify(op.attributes), 'utf8') : 0);
    sizes.set(op, size);
  }
  return size;
}

/** Bytes of a list of ops (a document's content, or a change). */
export function opsBytes(ops: readonly DeltaOp[]): number {
  let n = 0;
  for (const op of ops) n += opBytes(op);
  return n;
}
