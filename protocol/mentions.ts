// Mentions in a comment's plain text: "@" and a member's display name, in
// any case, ending at the end of the text or before anything but a letter
// or digit (so "@Ann" does not name Anna), the "@" not inside a word (an
// email address names nobody). The server lists who a comment names
// (Comment.mentions) by this rule and clients mark the same words with it.

const WORD_START = /^[\p{L}\p{N}]/u;
const WORD_END = /[\p{L}\p{N}]$/u;

/** Whether `body` names `name` with an "@" by the rule above. */
export function mentions(body: string, name: string): boolean {
  return mentionAt(body, name, 0) >= 0;
}

/** The first index at or after `from` where "@" + `name` is a mention in `body`, or -1. */
function mentionAt(body: string, name: string, from: number): number {
  if (name === '') return -1;
  const wanted = name.toLowerCase();
  for (let at = body.indexOf('@', from); at >= 0; at = body.indexOf('@', at + 1)) {
    const end = at + 1 + name.length;
    if (body.slice(at + 1, end).toLowerCase() !== wanted) continue;
    // Two code units either side: a letter outside the BMP is a surrogate pair.
    if (WORD_START.test(body.slice(end, end + 2)) || WORD_END.test(body.slice(Math.max(0, at - 2), at))) continue;
    return at;
  }
  return -1;
}

export interface MentionRange {
  /** Where the "@" is, in UTF-16 code units. */
  index: number;
  /** The "@" and the name. */
  length: number;
  name: string;
}

/**
 * Every mention of `names` in `body`, in order, none overlapping: where
 * two names match at one "@" ("@Bob Smith" for Bob and for Bob Smith),
 * the longer one.
 */
export function mentionRanges(body: string, names: readonly string[]): MentionRange[] {
  if (!body.includes('@')) return [];
  const found: MentionRange[] = [];
  for (const name of names) {
    for (let at = mentionAt(body, name, 0); at >= 0; at = mentionAt(body, name, at + 1)) found.push({ index: at, length: name.length + 1, name });
  }
  found.sort((a, b) => a.index - b.index || b.length - a.length);
  const ranges: MentionRange[] = [];
  for (const range of found) {
    const last = ranges.at(-1);
    if (!last || range.index >= last.index + last.length) ranges.push(range);
  }
  return ranges;
}
