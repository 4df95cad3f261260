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
export const insertLength = (op: DeltaOp): number => (typeof op.insert === 'string' ? op.insert.length : 1);

/**
 * Whether two attribute maps are equal, as quill-delta compares them when
 * it merges ops (lodash.isEqual); null when a value is an object, which
 * only isEqual itself should judge.
 */
function sameAttributes(a: DeltaOp['attributes'], b: DeltaOp['attributes']): boolean | null {
  if (a === b) return true;
  if (!a || !b) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  for (const key of keys) {
    const x = a[key];
    const y = b[key];
    if ((typeof x === 'object' && x !== null) || (typeof y === 'object' && y !== null)) return null;
    if (x !== y || !Object.hasOwn(b, key)) return false;
  }
  return true;
}

/** Appends a document op, merged into the last one where Delta.push would merge them (false: undecided, see sameAttributes). */
function pushInsert(ops: DeltaOp[], op: DeltaOp): boolean {
  const last = ops[ops.length - 1];
  if (last && typeof last.insert === 'string' && typeof op.insert === 'string') {
    const same = sameAttributes(last.attributes, op.attributes);
    if (same === null) return false;
    if (same) {
      ops[ops.length - 1] = op.attributes ? { insert: last.insert + op.insert, attributes: op.attributes } : { insert: last.insert + op.insert };
      return true;
    }
  }
  ops.push(op);
  return true;
}

/**
 * `new Delta(docOps.slice(from, to)).compose(new Delta(change))` appended
 * to `out`, for document ops that the change spans exactly; false where it
 * would have to guess (embed retains, object attributes, a change longer
 * than the span), and then `out` is garbage. Ops are values (never changed
 * in place), so the untouched ones are kept by reference: quill-delta's
 * compose deep-copies each op it passes, which was most of its cost here.
 */
function composeSpan(out: DeltaOp[], docOps: readonly DeltaOp[], from: number, to: number, change: readonly DeltaOp[]): boolean {
  let i = from;
  let offset = 0; // into docOps[i]
  for (const op of change) {
    if (op.insert !== undefined) {
      if (!pushInsert(out, op)) return false;
      continue;
    }
    const retain = op.retain;
    if (retain !== undefined && typeof retain !== 'number') return false;
    let left = retain ?? op.delete ?? 0;
    while (left > 0) {
      const doc = docOps[i];
      if (!doc || i >= to) return false;
      const length = insertLength(doc);
      const piece = Math.min(left, length - offset);
      if (retain !== undefined) {
        const insert = typeof doc.insert === 'string' && piece < length ? doc.insert.substr(offset, piece) : doc.insert;
        const attributes = op.attributes || doc.attributes ? Delta.AttributeMap.compose(doc.attributes, op.attributes, false) : undefined;
        if (!pushInsert(out, attributes ? { insert, attributes } : { insert })) return false;
      }
      left -= piece;
      offset += piece;
      if (offset === length) {
        i += 1;
        offset = 0;
      }
    }
  }
  if (offset > 0) {
    const doc = docOps[i]!;
    const rest = (doc.insert as string).substr(offset);
    if (!pushInsert(out, doc.attributes ? { insert: rest, attributes: doc.attributes } : { insert: rest })) return false;
    i += 1;
  }
  for (; i < to; i++) if (!pushInsert(out, docOps[i]!)) return false;
  return true;
}

/**
 * `doc.compose(change)`, for a document (inserts only) and a change that
 * touches a small part of it. compose() copies every document op one by one
 * and runs those after the change's first position through its general
 * loop (a deep copy of each op, attributes compared): for a long formatted
 * document that was most of a client's time following a busy stream. Here
 * only the ops the change spans are composed, and the ones before and after
 * are kept as they are, merged at the seams where compose would merge them
 * (so the result is the same canonical delta: delta.test.ts compares them
 * on random input).
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
  const local = start > offset ? [{ retain: start - offset }, ...ops.slice(first, last)] : ops.slice(first, last);

  const out = docOps.slice(0, from);
  if (composeSpan(out, docOps, from, to, local) && (to === docOps.length || pushInsert(out, docOps[to]!))) {
    for (let k = to + 1; k < docOps.length; k++) out.push(docOps[k]!);
    return new Delta(out);
  }
  const window = new Delta(docOps.slice(from, to)).compose(new Delta(local));
  return new Delta(docOps.slice(0, from)).concat(window).concat(new Delta(docOps.slice(to)));
}
