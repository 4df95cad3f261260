// Text fields (titles, names, emails) by the protocol's text rule
// (protocol/text.ts: well-formed, no NUL), checked where input enters (the
// GraphQL boundary, the delta parser, the domain functions), never left to
// the database.
import { isCleanText, utf8Bytes } from '../../../protocol/text.ts';
import { badInput } from '../errors.ts';

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
