// One version's change drawn over the text before it: insertions
// highlighted, deletions struck through, for the history preview.
import { Delta } from '../../../protocol/delta.ts';

export const INSERTED = { background: '#fdecb2' };
export const DELETED = { strike: true, color: '#b42318' };

export function redline(before: Delta, change: Delta): Delta {
  let out = new Delta();
  let at = 0;
  for (const op of change.ops) {
    if (typeof op.retain === 'number') {
      const part = before.slice(at, at + op.retain);
      at += op.retain;
      out = out.concat(op.attributes ? part.compose(new Delta().retain(op.retain, op.attributes)) : part);
    } else if (typeof op.delete === 'number') {
      const part = before.slice(at, at + op.delete);
      at += op.delete;
      out = out.concat(part.compose(new Delta().retain(op.delete, DELETED)));
    } else if (op.insert !== undefined) {
      out.insert(op.insert as string, { ...op.attributes, ...INSERTED });
    }
  }
  return out.concat(before.slice(at));
}
