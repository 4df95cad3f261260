// What the editor overlay draws for a suggestion, in positions of the
// content it applies to (the content the editor shows): the ranges it
// deletes (struck through), the ranges it formats (underlined) and the
// places it inserts at (a marker; the inserted text itself is shown in its
// margin card as a redline preview). Inserted text is not put into the
// editor: that would change every position after it, and the editor must
// show exactly the document's content for anchors, cursors and the other
// suggestions to land where they belong.
import type { Delta } from '../sync/index.ts';

export interface TextRange {
  index: number;
  length: number;
}

export interface SuggestionMarks {
  deletes: TextRange[];
  formats: TextRange[];
  /** Where each insert goes (before the character at `index`), and what it inserts (an embed is U+FFFC). */
  inserts: Array<{ index: number; text: string }>;
}

export function suggestionMarks(delta: Delta): SuggestionMarks {
  const marks: SuggestionMarks = { deletes: [], formats: [], inserts: [] };
  let at = 0;
  for (const op of delta.ops) {
    if (typeof op.delete === 'number') {
      marks.deletes.push({ index: at, length: op.delete });
      at += op.delete;
    } else if (typeof op.retain === 'number') {
      if (op.attributes && Object.keys(op.attributes).length > 0) marks.formats.push({ index: at, length: op.retain });
      at += op.retain;
    } else if (op.insert !== undefined) {
      const text = typeof op.insert === 'string' ? op.insert : '\uFFFC';
      const last = marks.inserts[marks.inserts.length - 1];
      // One marker per place: Delta keeps inserts whole, but an embed splits them.
      if (last && last.index === at) last.text += text;
      else marks.inserts.push({ index: at, text });
    }
  }
  return marks;
}

/** Where a suggestion starts: the first character it touches (its card lines up with it). */
export function firstIndex(marks: SuggestionMarks): number {
  const all = [...marks.deletes.map((r) => r.index), ...marks.formats.map((r) => r.index), ...marks.inserts.map((i) => i.index)];
  return all.length ? Math.min(...all) : 0;
}

/** The ranges a draft inserted, in positions of the content after it (what the editor shows while it is typed). */
export function insertedRanges(draft: Delta): TextRange[] {
  const ranges: TextRange[] = [];
  let at = 0;
  for (const op of draft.ops) {
    if (typeof op.retain === 'number') at += op.retain;
    else if (op.insert !== undefined) {
      const length = typeof op.insert === 'string' ? op.insert.length : 1;
      const last = ranges[ranges.length - 1];
      if (last && last.index + last.length === at) last.length += length;
      else ranges.push({ index: at, length });
      at += length;
    }
  }
  return ranges;
}

export type Segment = { kind: 'same' | 'ins' | 'del'; text: string };

/**
 * The redline preview of a suggestion in its card: the text it changes,
 * with what it inserts and deletes, and up to `context` characters of
 * unchanged text around each change (cut with "…").
 */
export function redlineSegments(content: Delta, change: Delta, context = 24): Segment[] {
  const plain = plainText(content);
  const out: Segment[] = [];
  let at = 0;
  const push = (kind: Segment['kind'], text: string) => {
    if (!text) return;
    const last = out[out.length - 1];
    if (last?.kind === kind) last.text += text;
    else out.push({ kind, text });
  };
  const ops = change.ops;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (typeof op.retain === 'number') {
      const text = plain.slice(at, at + op.retain);
      at += op.retain;
      if (op.attributes && Object.keys(op.attributes).length > 0) {
        push('same', text);
        continue;
      }
      // Unchanged: keep a little around the changes, and nothing at the very end.
      const isFirst = i === 0;
      const isLast = i === ops.length - 1;
      if (isLast) continue;
      if (isFirst) push('same', text.length > context ? `…${text.slice(-context)}` : text);
      else push('same', text.length > 2 * context ? `${text.slice(0, context)}…${text.slice(-context)}` : text);
    } else if (typeof op.delete === 'number') {
      push('del', plain.slice(at, at + op.delete));
      at += op.delete;
    } else if (op.insert !== undefined) {
      push('ins', typeof op.insert === 'string' ? op.insert : '\uFFFC');
    }
  }
  // What follows the last change, for context (a delta leaves a trailing retain out).
  const tail = plain.slice(at, at + context);
  if (tail) push('same', plain.length - at > context ? `${tail}…` : tail);
  return out;
}

/** The content as text, an embed as U+FFFC (one position each, as in Quill). */
function plainText(content: Delta): string {
  return content.ops.map((op) => (typeof op.insert === 'string' ? op.insert : op.insert !== undefined ? '\uFFFC' : '')).join('');
}
