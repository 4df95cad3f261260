// Strict validation of Quill Deltas arriving from clients. quill-delta itself
// trusts its input (a retain of -1 or an insert of {} silently corrupts a
// document), so nothing reaches it unchecked.
import { Delta } from './quill-delta.js';
import { badInput } from '../errors.js';
import type { DeltaOp } from './types.js';

export interface DeltaLimits {
  /** Most ops in one delta. */
  maxOps: number;
  /** Most characters a delta may insert. */
  maxInsertLength: number;
}

export const DEFAULT_DELTA_LIMITS: DeltaLimits = { maxOps: 10_000, maxInsertLength: 1_000_000 };

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

function checkAttributes(value: unknown, at: string): Record<string, unknown> {
  if (!isPlainObject(value)) throw badInput(`${at}.attributes must be an object`);
  for (const [key, attr] of Object.entries(value)) {
    // Formats are scalars (bold: true, header: 1, link: "…"); null removes one.
    const ok = attr === null || ['string', 'number', 'boolean'].includes(typeof attr);
    if (!ok || key.length === 0) throw badInput(`${at}.attributes.${key} must be a string, number, boolean or null`);
  }
  return value;
}

/**
 * Parses untrusted JSON into a Delta: `{ ops: [...] }` where every op has
 * exactly one of insert (non-empty string, or an embed object with one key),
 * retain or delete (positive integers), and optional attributes (not on
 * delete). Throws BAD_USER_INPUT naming the first offending op.
 */
export function parseDelta(input: unknown, limits: DeltaLimits = DEFAULT_DELTA_LIMITS): Delta {
  if (!isPlainObject(input) || !Array.isArray(input.ops)) throw badInput('Delta must be an object { ops: [...] }');
  const extra = Object.keys(input).filter((k) => k !== 'ops');
  if (extra.length > 0) throw badInput(`Delta has unknown field "${extra[0]}"`);
  const ops: unknown[] = input.ops;
  if (ops.length > limits.maxOps) throw badInput(`Delta has more than ${limits.maxOps} ops`, { limit: 'deltaOps', max: limits.maxOps });

  let inserted = 0;
  const out: DeltaOp[] = [];
  ops.forEach((raw, i) => {
    const at = `ops[${i}]`;
    if (!isPlainObject(raw)) throw badInput(`${at} must be an object`);
    const kinds = ['insert', 'retain', 'delete'].filter((k) => k in raw);
    if (kinds.length !== 1) throw badInput(`${at} must have exactly one of insert, retain, delete`);
    const unknown = Object.keys(raw).filter((k) => k !== kinds[0] && k !== 'attributes');
    if (unknown.length > 0) throw badInput(`${at} has unknown field "${unknown[0]}"`);
    const attributes = 'attributes' in raw ? checkAttributes(raw.attributes, at) : undefined;

    if ('insert' in raw) {
      const insert = raw.insert;
      if (typeof insert === 'string') {
        if (insert.length === 0) throw badInput(`${at}.insert must not be empty`);
        inserted += insert.length;
      } else if (isPlainObject(insert) && Object.keys(insert).length === 1) {
        inserted += 1; // an embed counts as one character
      } else {
        throw badInput(`${at}.insert must be a non-empty string or an embed object with one key`);
      }
      out.push(attributes ? { insert: insert as string | Record<string, unknown>, attributes } : { insert: insert as string | Record<string, unknown> });
    } else if ('retain' in raw) {
      if (!isCount(raw.retain)) throw badInput(`${at}.retain must be a positive integer`);
      out.push(attributes ? { retain: raw.retain, attributes } : { retain: raw.retain });
    } else {
      if (!isCount(raw.delete)) throw badInput(`${at}.delete must be a positive integer`);
      if (attributes) throw badInput(`${at}: delete takes no attributes`);
      out.push({ delete: raw.delete });
    }
  });
  if (inserted > limits.maxInsertLength) {
    throw badInput(`Delta inserts more than ${limits.maxInsertLength} characters`, { limit: 'deltaInsert', max: limits.maxInsertLength });
  }
  // Re-pushing canonicalises (merges neighbours, orders insert before delete).
  const delta = new Delta();
  for (const op of out) delta.push(op);
  return delta;
}

export function isDocument(delta: Delta): boolean {
  return delta.ops.every((op) => op.insert !== undefined);
}

/** How many characters a change consumes from the document it applies to. */
export function baseLength(delta: Delta): number {
  let n = 0;
  for (const op of delta.ops) {
    if (typeof op.retain === 'number') n += op.retain;
    else if (op.delete !== undefined) n += op.delete;
  }
  return n;
}

