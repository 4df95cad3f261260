// Strict validation of Quill Deltas arriving from clients. quill-delta itself
// trusts its input (a retain of -1 or an insert of {} silently corrupts a
// document), so nothing reaches it unchecked.
//
// Two steps. parseDelta() (the Delta scalar, no settings at hand) checks the
// shape and what is unsafe whatever the settings: ill-formed text or NUL
// anywhere (text, attribute keys and values, embeds at any depth), embeds
// nested deeper than MAX_EMBED_DEPTH (checked iteratively, before anything
// recursive such as JSON.stringify or quill-delta's isEqual sees them),
// dangerous URLs in links and image/video embeds, and the parser's own caps.
// checkDelta() then applies the node's settings (api/src/config.ts -> Documents):
// the formats the product supports and the byte limits.
import { Delta, type DeltaOp } from './delta.ts';
import { badInput } from './protocol-error.ts';
import { isSafeUrl } from './safe-url.ts';
import { isCleanText, utf8Bytes } from './text.ts';

export interface DeltaLimits {
  /** Most ops in one delta. */
  maxOps: number;
  /** Most bytes a delta may insert: UTF-8 bytes of its text plus JSON bytes of its embeds. */
  maxInsertBytes: number;
  /** Largest single embed, JSON bytes. */
  maxEmbedBytes: number;
}

/** The parser's caps: settings may only tighten them. */
export const DEFAULT_DELTA_LIMITS: DeltaLimits = { maxOps: 10_000, maxInsertBytes: 1_048_576, maxEmbedBytes: 1_048_576 };

/** Deepest nesting of objects and arrays inside an embed's value ({ image: "…" } is depth 1). */
export const MAX_EMBED_DEPTH = 8;

/** Longest attribute value (a link URL, a colour …), UTF-8 bytes. */
export const MAX_ATTRIBUTE_BYTES = 4_096;

export interface DeltaPolicy extends DeltaLimits {
  /** Attribute names and embed types a delta may use (config ALLOWED_FORMATS). */
  formats: ReadonlySet<string>;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

const tooDeep = (at: string) => badInput(`${at} is nested deeper than ${MAX_EMBED_DEPTH} levels`, { limit: 'embedDepth', max: MAX_EMBED_DEPTH });

/** The URL-valued formats and embeds, and what each may point to. */
const URL_FORMATS: Record<string, 'link' | 'image' | 'frame'> = { link: 'link', image: 'image', video: 'frame' };

function checkAttributes(value: unknown, at: string): Record<string, unknown> {
  if (!isPlainObject(value)) throw badInput(`${at}.attributes must be an object`);
  for (const [key, attr] of Object.entries(value)) {
    // Formats are scalars (bold: true, header: 1, link: "…"); null removes one.
    const ok = attr === null || typeof attr === 'boolean' || (typeof attr === 'number' && Number.isFinite(attr)) || typeof attr === 'string';
    if (!ok || key.length === 0 || !isCleanText(key)) throw badInput(`${at}.attributes: each must be a named string, number, boolean or null`);
    if (typeof attr !== 'string') continue;
    if (!isCleanText(attr)) throw badInput(`${at}.attributes.${key} must be well-formed text without NUL characters`);
    if (utf8Bytes(attr) > MAX_ATTRIBUTE_BYTES) {
      throw badInput(`${at}.attributes.${key} is longer than ${MAX_ATTRIBUTE_BYTES} bytes`, { limit: 'attributeBytes', max: MAX_ATTRIBUTE_BYTES });
    }
    const kind = URL_FORMATS[key];
    if (kind && !isSafeUrl(attr, kind)) throw badInput(`${at}.attributes.${key}: this URL scheme is not allowed`, { field: key });
  }
  return value;
}

/**
 * Checks an embed's value without recursion: JSON values only (finite
 * numbers, plain objects, arrays), clean text in every key and string, at
 * most MAX_EMBED_DEPTH levels. Returns its JSON size in bytes.
 */
function checkEmbed(embed: Record<string, unknown>, at: string): number {
  const [type, value] = Object.entries(embed)[0]!;
  if (type.length === 0 || !isCleanText(type)) throw badInput(`${at}.insert: the embed type must be well-formed text`);
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v === 'boolean') continue;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw badInput(`${at}.insert: embed numbers must be finite`);
    } else if (typeof v === 'string') {
      if (!isCleanText(v)) throw badInput(`${at}.insert: embed text must be well-formed without NUL characters`);
    } else if (Array.isArray(v) || isPlainObject(v)) {
      if (depth > MAX_EMBED_DEPTH) throw tooDeep(`${at}.insert`);
      const entries = Array.isArray(v) ? v : Object.entries(v);
      for (const entry of entries) {
        if (Array.isArray(v)) stack.push([entry, depth + 1]);
        else {
          const [key, inner] = entry as [string, unknown];
          if (!isCleanText(key)) throw badInput(`${at}.insert: embed keys must be well-formed text without NUL characters`);
          stack.push([inner, depth + 1]);
        }
      }
    } else {
      throw badInput(`${at}.insert: an embed holds JSON values only`);
    }
  }
  const kind = URL_FORMATS[type];
  if (kind && typeof value === 'string' && !isSafeUrl(value, kind)) throw badInput(`${at}.insert.${type}: this URL scheme is not allowed`, { field: type });
  if (kind && typeof value !== 'string') throw badInput(`${at}.insert.${type} must be a URL`, { field: type });
  // Safe now: bounded depth.
  return utf8Bytes(JSON.stringify(embed));
}

/** Bytes an op inserts: UTF-8 bytes of its text, or JSON bytes of its embed; 0 for retain and delete. */
export function insertBytes(op: DeltaOp): number {
  if (typeof op.insert === 'string') return utf8Bytes(op.insert);
  if (op.insert === undefined) return 0;
  return utf8Bytes(JSON.stringify(op.insert));
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
        if (!isCleanText(insert)) throw badInput(`${at}.insert must be well-formed text without NUL characters`);
        inserted += utf8Bytes(insert);
      } else if (isPlainObject(insert) && Object.keys(insert).length === 1) {
        const bytes = checkEmbed(insert, at);
        if (bytes > limits.maxEmbedBytes) throw badInput(`${at}: an embed is larger than ${limits.maxEmbedBytes} bytes`, { limit: 'embedBytes', max: limits.maxEmbedBytes });
        inserted += bytes;
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
  if (inserted > limits.maxInsertBytes) {
    throw badInput(`Delta inserts more than ${limits.maxInsertBytes} bytes`, { limit: 'deltaInsertBytes', max: limits.maxInsertBytes });
  }
  // Re-pushing canonicalises (merges neighbours, orders insert before delete).
  const delta = new Delta();
  for (const op of out) delta.push(op);
  return delta;
}

/**
 * The node's settings on a parsed delta: only supported formats (attribute
 * names and embed types), at most `maxOps` ops, `maxInsertBytes` inserted
 * and `maxEmbedBytes` per embed. BAD_USER_INPUT (with `limit` and `max`
 * for the limits, `field` for a format) otherwise.
 */
export function checkDelta(delta: Delta, policy: DeltaPolicy): void {
  if (delta.ops.length > policy.maxOps) throw badInput(`Delta has more than ${policy.maxOps} ops`, { limit: 'deltaOps', max: policy.maxOps });
  let inserted = 0;
  for (const op of delta.ops) {
    for (const name of Object.keys(op.attributes ?? {})) {
      if (!policy.formats.has(name)) throw badInput(`The format "${name}" is not supported`, { field: name });
    }
    if (op.insert === undefined) continue;
    if (typeof op.insert !== 'string') {
      const type = Object.keys(op.insert)[0]!;
      if (!policy.formats.has(type)) throw badInput(`The embed "${type}" is not supported`, { field: type });
      const bytes = insertBytes(op);
      if (bytes > policy.maxEmbedBytes) throw badInput(`An embed is larger than ${policy.maxEmbedBytes} bytes`, { limit: 'embedBytes', max: policy.maxEmbedBytes });
      inserted += bytes;
    } else {
      inserted += utf8Bytes(op.insert);
    }
  }
  if (inserted > policy.maxInsertBytes) {
    throw badInput(`Delta inserts more than ${policy.maxInsertBytes} bytes`, { limit: 'deltaInsertBytes', max: policy.maxInsertBytes });
  }
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
