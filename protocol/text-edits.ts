// Text-level edits (editDocument's TextEdit) turned into one Quill delta.
// Agents and backends think in "insert this at 12", "replace every 'colour'
// with 'color'", not in deltas; the server turns their edits into the one
// delta it then submits like any other (rebased to the head by the
// sequencer). Pure: no I/O, no settings but the limits passed in.
//
// Semantics (docs/protocol.md, "Writing agents and backends"):
// - edits apply in order, each to the text as the edits before it left it;
//   so they cannot overlap, and positions of later edits count the earlier
//   ones' changes;
// - positions and lengths are in UTF-16 code units, as Quill counts them;
//   an embed (an image, …) counts as one character, U+FFFC in searches;
// - replaceText searches the plain text (formats ignored) left to right,
//   matches do not overlap; `all` replaces every match, otherwise the first;
//   the replacement takes the formats of the first character it replaces;
// - an edit that cannot apply is refused whole: BAD_USER_INPUT with `reason`
//   and `edit` (its index in the list); nothing is applied.
import { applyChange, Delta, type DeltaOp } from './delta.ts';
import { badInput } from './protocol-error.ts';

/** Formats as Quill keeps them: { bold: true, header: 1, link: "…" }; null removes one (formatText). */
export type TextAttributes = Record<string, unknown>;

export interface InsertText {
  index: number;
  text: string;
  attributes?: TextAttributes | null;
}

export interface TextRange {
  index: number;
  length: number;
}

export interface FormatText extends TextRange {
  attributes: TextAttributes;
}

export interface ReplaceText {
  find: string;
  replace: string;
  all?: boolean | null;
}

/** Exactly one of the four. */
export interface TextEdit {
  insertText?: InsertText | null;
  deleteText?: TextRange | null;
  formatText?: FormatText | null;
  replaceText?: ReplaceText | null;
}

export interface TextEditLimits {
  /** Most edits in one request. */
  maxEdits: number;
  /** Most ops the resulting delta may have (a replace-all of a common word makes many). */
  maxOps: number;
  /**
   * Most characters the replaceText edits of one request may search
   * together (each searches the whole text): bounds the time one request
   * holds the node's thread on a large document. @default 33554432 (32 Mi)
   */
  maxSearchChars?: number;
}

export const DEFAULT_TEXT_EDIT_LIMITS: TextEditLimits = { maxEdits: 200, maxOps: 10_000 };
const MAX_SEARCH_CHARS = 32 * 1024 * 1024;

/** What an embed is in the plain text that replaceText searches. */
export const EMBED_CHARACTER = '\uFFFC';

/** Why an edit was refused (extensions.reason). */
export type TextEditRefusal = 'EDIT_SHAPE' | 'OUT_OF_RANGE' | 'EMPTY_EDIT' | 'NO_MATCH';

const refuse = (reason: TextEditRefusal, edit: number, message: string) => badInput(`edits[${edit}]: ${message}`, { reason, edit });

/** The plain text of a document (inserts only): its text, each embed as U+FFFC. */
export function plainText(doc: Delta): string {
  let text = '';
  for (const op of doc.ops) text += typeof op.insert === 'string' ? op.insert : EMBED_CHARACTER;
  return text;
}

/**
 * The one delta that makes `doc` (a document: inserts only) what applying
 * `edits` one by one would make it. Throws BAD_USER_INPUT (with `reason`
 * and `edit`) for the first edit that cannot apply, or `limit` when over
 * `limits`.
 */
export function editsToDelta(doc: Delta, edits: readonly TextEdit[], limits: TextEditLimits = DEFAULT_TEXT_EDIT_LIMITS): Delta {
  if (edits.length === 0) throw badInput('edits must hold at least one edit', { reason: 'EMPTY_EDIT' });
  if (edits.length > limits.maxEdits) throw badInput(`At most ${limits.maxEdits} edits in one request`, { limit: 'textEdits', max: limits.maxEdits });
  // The document's length as the edits so far left it; the document itself
  // (applyChange of the change so far: only the ops it spans are rebuilt)
  // only when a replaceText needs it, and its plain text then within the
  // search budget. Positional edits need the length alone: rebuilding a
  // large document after each of them was most of an agent's 400 KB edit.
  let current: Delta | null = doc;
  let length = doc.length();
  let change = new Delta();
  let searched = 0;
  const maxSearch = limits.maxSearchChars ?? MAX_SEARCH_CHARS;
  const document = () => (current ??= applyChange(doc, change));
  const search = () => {
    searched += length;
    if (searched > maxSearch) throw badInput(`The replaceText edits would search more than ${maxSearch} characters in all`, { limit: 'searchChars', max: maxSearch });
    return plainText(document());
  };
  edits.forEach((edit, i) => {
    const step = editDelta(document, length, search, edit, i, limits);
    change = change.compose(step);
    if (change.ops.length > limits.maxOps) throw badInput(`The edits make a delta of more than ${limits.maxOps} ops`, { limit: 'deltaOps', max: limits.maxOps });
    current = null;
    length += step.changeLength();
  });
  return change;
}

/** One edit's delta against the document (of `length` characters; `doc()` makes it, for replaceText). */
function editDelta(doc: () => Delta, length: number, text: () => string, edit: TextEdit, i: number, limits: TextEditLimits): Delta {
  const given = (['insertText', 'deleteText', 'formatText', 'replaceText'] as const).filter((k) => edit[k] !== undefined && edit[k] !== null);
  if (given.length !== 1) throw refuse('EDIT_SHAPE', i, 'give exactly one of insertText, deleteText, formatText, replaceText');
  if (edit.insertText) {
    const { index, text: inserted, attributes } = edit.insertText;
    checkPosition(index, length, i);
    if (inserted.length === 0) throw refuse('EMPTY_EDIT', i, 'insertText.text must not be empty');
    return new Delta().retain(index).insert(inserted, withoutNulls(attributes));
  }
  if (edit.deleteText) {
    const { index, length: count } = edit.deleteText;
    checkRange(index, count, length, i);
    return new Delta().retain(index).delete(count);
  }
  if (edit.formatText) {
    const { index, length: count, attributes } = edit.formatText;
    checkRange(index, count, length, i);
    if (Object.keys(attributes).length === 0) throw refuse('EMPTY_EDIT', i, 'formatText.attributes must name at least one format');
    return new Delta().retain(index).retain(count, attributes);
  }
  const { find, replace, all } = edit.replaceText!;
  if (find.length === 0) throw refuse('EMPTY_EDIT', i, 'replaceText.find must not be empty');
  const haystack = text();
  const formats = formatsAt(doc());
  const out = new Delta();
  let from = 0;
  let matches = 0;
  for (let at = haystack.indexOf(find); at !== -1; at = all ? haystack.indexOf(find, at + find.length) : -1) {
    matches++;
    out.retain(at - from);
    if (replace.length > 0) out.insert(replace, formats(at));
    out.delete(find.length);
    from = at + find.length;
    if (out.ops.length > limits.maxOps) throw badInput(`The edits make a delta of more than ${limits.maxOps} ops`, { limit: 'deltaOps', max: limits.maxOps });
  }
  if (matches === 0) throw refuse('NO_MATCH', i, 'replaceText.find does not occur in the text');
  return out;
}

function checkPosition(index: number, length: number, i: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index > length) {
    throw refuse('OUT_OF_RANGE', i, `index ${index} is outside the text (0 to ${length})`);
  }
}

function checkRange(index: number, count: number, length: number, i: number): void {
  if (!Number.isSafeInteger(count) || count < 1) throw refuse('EMPTY_EDIT', i, 'length must be at least 1');
  checkPosition(index, length, i);
  if (index + count > length) throw refuse('OUT_OF_RANGE', i, `the range ${index} to ${index + count} runs past the end of the text (${length})`);
}

/** Insert attributes: a null (remove a format) means nothing on new text. */
function withoutNulls(attributes: TextAttributes | null | undefined): TextAttributes | undefined {
  if (!attributes) return undefined;
  const kept = Object.entries(attributes).filter(([, v]) => v !== null && v !== undefined);
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/**
 * The formats of the text character at a position, for ascending positions
 * (one pass over the document's ops); undefined for an embed or plain text.
 */
function formatsAt(doc: Delta): (index: number) => TextAttributes | undefined {
  const ops: readonly DeltaOp[] = doc.ops;
  let op = 0;
  let start = 0;
  return (index) => {
    while (op < ops.length) {
      const size = typeof ops[op]!.insert === 'string' ? (ops[op]!.insert as string).length : 1;
      if (index < start + size) break;
      start += size;
      op++;
    }
    const found = ops[op];
    return found && typeof found.insert === 'string' && found.attributes ? { ...found.attributes } : undefined;
  };
}
