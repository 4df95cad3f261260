// The rule every text input obeys before it is stored: well-formed UTF-16
// (no lone surrogate) and no NUL. PostgreSQL refuses both in text and jsonb
// (`unsupported Unicode escape sequence`, `invalid byte sequence`), so a
// string that breaks the rule fails whatever write carries it, or, once in
// a document's ops, every later snapshot of that document. Checked where
// input enters (the GraphQL boundary, the delta parser, the domain
// functions), never left to the database.
import { badInput } from '../errors.js';

declare global {
  interface String {
    /** ES2024, in Node since 20 (the lib setting stays at ES2023, what Node 20 has in full). */
    isWellFormed(): boolean;
  }
}

/** Whether `value` is well-formed UTF-16 without NUL. */
export const isCleanText = (value: string): boolean => value.isWellFormed() && !value.includes('\u0000');

/** Size of a string as stored and sent: its UTF-8 bytes. */
export const utf8Bytes = (value: string): number => Buffer.byteLength(value, 'utf8');

export interface TextRule {
  /** Most UTF-8 bytes (after trimming, if `trim`). */
  maxBytes?: number;
  /** Fewest characters (after trimming). @default 0 */
  minLength?: number;
  /** Trim surrounding white space first. @default false */
  trim?: boolean;
  /** The `limit` reported when maxBytes is exceeded. @default `${field}Bytes` */
  limit?: string;
}

/**
 * Returns `value` (trimmed if asked) or throws BAD_USER_INPUT naming the
 * `field`: ill-formed text or NUL, too short, or over `maxBytes` (then
 * with `limit` and `max`, like every other limit).
 */
export function checkText(value: string, field: string, rule: TextRule = {}): string {
  if (!isCleanText(value)) throw badInput(`${field} must be well-formed text without NUL characters`, { field });
  const text = rule.trim ? value.trim() : value;
  if (text.length < (rule.minLength ?? 0)) throw badInput(`${field} must not be empty`, { field });
  if (rule.maxBytes !== undefined && utf8Bytes(text) > rule.maxBytes) {
    throw badInput(`${field} is longer than ${rule.maxBytes} bytes`, { field, limit: rule.limit ?? `${field}Bytes`, max: rule.maxBytes });
  }
  return text;
}
