// quill-delta, the one OT library of the project (DESIGN §3), typed the same
// under both of our compilers. It is CommonJS whose typings describe an ES
// module: under NodeNext (the api and tests) the default import types as
// the module, under bundler resolution (the web app) as the class. At run
// time the class carries itself as `.default`, so `.default` is right for
// Node and for the bundle alike; the conditional type picks the class.
import quill from 'quill-delta';
import type { Op } from 'quill-delta';

type Module = typeof quill;
type DeltaClass = Module extends { default: infer D } ? D : Module;

export const Delta = ((quill as unknown as { default?: DeltaClass }).default ?? quill) as DeltaClass;
export type Delta = InstanceType<DeltaClass>;
export type DeltaOp = Op;

/** A delta as it travels in GraphQL (the `Delta` scalar). */
export interface DeltaJSON {
  ops: DeltaOp[];
}

/** True when the delta changes nothing (only plain retains). */
export const isNoop = (delta: Delta): boolean => delta.ops.every((op) => typeof op.retain === 'number' && !op.attributes);

/**
 * Length of a document op (inserts only): characters, or 1 for an embed.
 * Delta.Op.length says the same for any op, but on the scan below, which
 * reads every document op, its extra branches cost ~45 % (measured).
 */
const insertLength = (op: DeltaOp): number => (typeof op.insert === 'string' ? op.insert.length : 1);

/**
 * `doc.compose(change)`, for a document (inserts only) and a change that
 * touches a small part of it. compose() copies every document op one by one
 * and runs those after the change's first position through its general
 * loop (a deep copy of each op, attributes compared): for a long formatted
 * document that was most of a client's time following a busy stream. Here
 * only the ops the change spans are composed; the ones before and after are
 * joined back as array slices (concat merges the seams, so the result is
 * the same canonical delta: delta.test.ts compares them on random input).
 */
export function applyChange(doc: Delta, change: Delta): Delta {
  const ops = change.ops;
  const lead = ops[0];
  const start = lead && typeof lead.retain === 'number' && !lead.attributes ? lead.retain : 0;
  const first = start > 0 ? 1 : 0;
  let last = ops.length;
  const trail = ops[last - 1];
  if (last > first && trail && typeof trail.retain === 'number' && !trail.attributes) last -= 1;
  if (first >= last) return doc; // plain retains: nothing changes
  // The part of the document the change spans: its retains and deletes (inserts add, they span nothing).
  let end = start;
  for (let k = first; k < last; k++) if (ops[k]!.insert === undefined) end += Delta.Op.length(ops[k]!);

  // Document ops [from, to) cover [offset, end) of the document and contain [start, end).
  const docOps = doc.ops;
  let from = 0;
  let offset = 0;
  while (from < docOps.length && offset + insertLength(docOps[from]!) <= start) offset += insertLength(docOps[from++]!);
  let to = from;
  for (let covered = offset; to < docOps.length && covered < end; to++) covered += insertLength(docOps[to]!);
  const window = new Delta(docOps.slice(from, to)).compose(new Delta(start > offset ? [{ retain: start - offset }, ...ops.slice(first, last)] : ops.slice(first, last)));
  return new Delta(docOps.slice(0, from)).concat(window).concat(new Delta(docOps.slice(to)));
}
