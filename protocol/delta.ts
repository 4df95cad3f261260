// quill-delta, the one OT library of the project, typed the same
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

/** Appends `op` to `out`, merged where Delta.push would merge it (false: undecided, see sameAttributes). */
export function pushOp(out: DeltaOp[], op: DeltaOp): boolean {
  let index = out.length;
  let last = out[index - 1];
  if (last) {
    if (typeof op.delete === 'number' && typeof last.delete === 'number') {
      out[index - 1] = { delete: last.delete + op.delete };
      return true;
    }
    // An insert next to a delete goes before it (the order does not matter; this is the canonical one).
    if (typeof last.delete === 'number' && op.insert !== undefined) {
      index -= 1;
      last = out[index - 1];
      if (!last) {
        out.unshift(op);
        return true;
      }
    }
    const same = sameAttributes(op.attributes, last.attributes);
    if (same === null) return false;
    if (same && typeof op.insert === 'string' && typeof last.insert === 'string') {
      out[index - 1] = op.attributes ? { insert: last.insert + op.insert, attributes: op.attributes } : { insert: last.insert + op.insert };
      return true;
    }
    if (same && typeof op.retain === 'number' && typeof last.retain === 'number') {
      out[index - 1] = op.attributes ? { retain: last.retain + op.retain, attributes: op.attributes } : { retain: last.retain + op.retain };
      return true;
    }
  }
  if (index === out.length) out.push(op);
  else out.splice(index, 0, op);
  return true;
}

/**
 * `new Delta(docOps.slice(from, to)).compose(new Delta([{ retain: lead },
 * ...change.slice(first, last)]))` appended to `out`, for document ops that
 * the change spans exactly; false where it would have to guess (embed
 * retains, object attributes, a change longer than the span), and then
 * `out` is garbage. Ops are values (never changed
 * in place), so the untouched ones are kept by reference: quill-delta's
 * compose deep-copies each op it passes, which was most of its cost here.
 */
function composeSpan(out: DeltaOp[], docOps: readonly DeltaOp[], from: number, to: number, lead: number, change: readonly DeltaOp[], first: number, last: number): boolean {
  let i = from;
  let offset = 0; // into docOps[i]
  // The leading plain retain keeps document ops as they are.
  while (lead > 0) {
    const doc = docOps[i];
    if (!doc || i >= to) return false;
    const length = insertLength(doc);
    if (lead < length) {
      if (!pushOp(out, doc.attributes ? { insert: (doc.insert as string).substr(0, lead), attributes: doc.attributes } : { insert: (doc.insert as string).substr(0, lead) })) return false;
      offset = lead;
      break;
    }
    if (!pushOp(out, doc)) return false;
    lead -= length;
    i += 1;
  }
  for (let k = first; k < last; k++) {
    const op = change[k]!;
    if (op.insert !== undefined) {
      if (!pushOp(out, op)) return false;
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
        if (!pushOp(out, attributes ? { insert, attributes } : { insert })) return false;
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
    if (!pushOp(out, doc.attributes ? { insert: rest, attributes: doc.attributes } : { insert: rest })) return false;
    i += 1;
  }
  for (; i < to; i++) if (!pushOp(out, docOps[i]!)) return false;
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
  const ops = applyChangeOps(doc.ops, change.ops, 0);
  return ops === doc.ops ? doc : new Delta(ops);
}

/**
 * applyChange on op arrays, for a change whose positions are `shift`
 * characters ahead of `docOps` (the caller holds a part of a document that
 * starts there, and the change's leading retain reaches at least that far).
 * Returns `docOps` itself when the change changes nothing.
 */
export function applyChangeOps(docOps: DeltaOp[], ops: readonly DeltaOp[], shift: number): DeltaOp[] {
  const lead = ops[0];
  const leadRetain = lead && typeof lead.retain === 'number' && !lead.attributes ? lead.retain : 0;
  const first = leadRetain > 0 ? 1 : 0;
  const start = leadRetain - shift; // where the change acts, in docOps' positions
  let last = ops.length;
  const trail = ops[last - 1];
  if (last > first && trail && typeof trail.retain === 'number' && !trail.attributes) last -= 1;
  if (first >= last) return docOps; // plain retains: nothing changes
  // The part of the document the change spans: its retains and deletes (inserts add, they span nothing).
  let end = start;
  for (let k = first; k < last; k++) if (ops[k]!.insert === undefined) end += Delta.Op.length(ops[k]!);

  // Document ops [from, to) cover [offset, end) of the document and contain [start, end).
  let from = 0;
  let offset = 0;
  while (from < docOps.length && offset + insertLength(docOps[from]!) <= start) offset += insertLength(docOps[from++]!);
  let to = from;
  for (let covered = offset; to < docOps.length && covered < end; to++) covered += insertLength(docOps[to]!);

  const out = docOps.slice(0, from);
  if (composeSpan(out, docOps, from, to, start - offset, ops, first, last) && (to === docOps.length || pushOp(out, docOps[to]!))) {
    for (let k = to + 1; k < docOps.length; k++) out.push(docOps[k]!);
    return out;
  }
  const local = start > offset ? [{ retain: start - offset }, ...ops.slice(first, last)] : ops.slice(first, last);
  const window = new Delta(docOps.slice(from, to)).compose(new Delta(local));
  return new Delta(docOps.slice(0, from)).concat(window).concat(new Delta(docOps.slice(to))).ops;
}

/** The length an op spans or inserts (an embed or an embed retain counts 1); a missing op is endless. */
export const opLength = (op: DeltaOp | undefined): number => (op === undefined ? Infinity : Delta.Op.length(op));

/**
 * quill-delta's transform loop over op arrays, with ops kept by reference
 * instead of deep-copied (ops are values); null where it would have to
 * guess (embed retains, object attribute values, empty ops).
 */
function transformOps(a: readonly DeltaOp[], b: readonly DeltaOp[], priority: boolean, flipAt: number | null): DeltaOp[] | null {
  const out: DeltaOp[] = [];
  /** Characters of the base document both sides have passed (inserts are not in it). */
  let position = 0;
  let ai = 0;
  let aOffset = 0;
  let bi = 0;
  let bOffset = 0;
  for (;;) {
    const x = a[ai];
    const y = b[bi];
    if (x === undefined && y === undefined) break;
    if ((x && typeof x.retain === 'object') || (y && typeof y.retain === 'object')) return null;
    const xInsert = x !== undefined && x.insert !== undefined;
    const yInsert = y !== undefined && y.insert !== undefined;
    if (xInsert && (!yInsert || (position === flipAt ? !priority : priority))) {
      // Their side keeps our insert: retain it. (Inserts are never split here, so the offset is 0.)
      const length = opLength(x);
      if (!(length > 0) || !pushOp(out, { retain: length })) return null;
      ai += 1;
    } else if (yInsert) {
      if (!pushOp(out, y!)) return null;
      bi += 1;
    } else {
      const length = Math.min(opLength(x) - aOffset, opLength(y) - bOffset);
      if (!(length > 0)) return null;
      position += length;
      if (x && (aOffset += length) === opLength(x)) {
        ai += 1;
        aOffset = 0;
      }
      if (y && (bOffset += length) === opLength(y)) {
        bi += 1;
        bOffset = 0;
      }
      if (x && typeof x.delete === 'number') continue; // our delete makes theirs redundant, or removes their retain
      if (y && typeof y.delete === 'number') {
        if (!pushOp(out, { delete: length })) return null;
        continue;
      }
      const attributes = Delta.AttributeMap.transform(x?.attributes, y?.attributes, priority);
      if (!pushOp(out, attributes && Object.keys(attributes).length > 0 ? { retain: length, attributes } : { retain: length })) return null;
    }
  }
  const last = out[out.length - 1];
  if (last && typeof last.retain === 'number' && !last.attributes) out.pop();
  return out;
}

/** No embed retain and no object attribute value: transformOps never falls back on these. */
const plainOps = (ops: readonly DeltaOp[]): boolean =>
  ops.every((op) => typeof op.retain !== 'object' && (!op.attributes || Object.values(op.attributes).every((v) => typeof v !== 'object' || v === null)));

/**
 * `a.transform(b, priority)`: b rebased over a (`priority`: a's inserts
 * go first at equal positions). Each client transforms its pending ops
 * against every op it receives, and the server every submission against
 * the ops committed since its base; quill-delta's transform deep-copies
 * every op it emits (lodash.cloneDeep), which was most of its cost. The
 * same loop without the copies gives the same delta (delta.test.ts).
 * `flipAt`: a position of the base document where the tie between two
 * inserts goes the other way (rebase.ts, a writer's run). Only for deltas
 * the loop takes whole; with an embed retain or an object attribute value
 * on either side, quill-delta decides every tie and the flip is off.
 */
export function transform(a: Delta, b: Delta, priority: boolean, flipAt: number | null = null): Delta {
  // Decided from both deltas alike, so that the two calls of a pair (a over b, b over a) agree.
  if (flipAt !== null && !(plainOps(a.ops) && plainOps(b.ops))) flipAt = null;
  const ops = transformOps(a.ops, b.ops, priority, flipAt);
  return ops ? new Delta(ops) : a.transform(b, priority);
}
