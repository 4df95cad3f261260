import { describe, expect, it } from 'vitest';
import { transformAnchor } from '../../../protocol/anchor.ts';
import { Delta } from '../../../protocol/delta.ts';
import { transformOverCommitted } from '../../../protocol/rebase.ts';
import { Placements } from './placements.ts';

function setup(version: number, onTop: Array<Delta | null> = []) {
  const editor = { version, onTop };
  let stale = 0;
  const placements = new Placements({ version: () => editor.version, onTop: () => editor.onTop }, () => stale++);
  return { editor, placements, stale: () => stale };
}

describe('Placements', () => {
  it('places an answer at the editor version over the edits on top of it, as the server will once they commit', () => {
    const pending = new Delta().insert('ab');
    const draft = new Delta().retain(8).insert('!');
    const { placements } = setup(3, [pending, draft]);
    const suggestion = new Delta().retain(4).delete(2).insert('x');
    placements.setThreads([{ id: 't', anchor: { version: 3, index: 4, length: 3 } }]);
    placements.setSuggestions([{ id: 's', version: 3, delta: { ops: suggestion.ops as never } }]);
    expect(placements.threads.get('t')).toEqual(transformAnchor(transformAnchor({ index: 4, length: 3 }, pending), draft));
    expect(placements.suggestions.get('s')).toEqual(transformOverCommitted(draft, transformOverCommitted(pending, suggestion)));
  });

  it('holds an answer ahead of the editor until it gets there, and asks again for one behind it', () => {
    const { editor, placements, stale } = setup(3);
    placements.setThreads([
      { id: 'ahead', anchor: { version: 4, index: 0, length: 2 } },
      { id: 'behind', anchor: { version: 2, index: 0, length: 2 } },
      { id: 'detached', anchor: null },
    ]);
    expect([...placements.threads]).toEqual([['detached', null]]);
    expect(stale()).toBe(1);
    editor.version = 4;
    expect(placements.place()).toBe(true);
    expect(placements.threads.get('ahead')).toEqual({ index: 0, length: 2 });
  });

  it('moves placed items with every change the editor shows, and drops a suggestion whose text is gone', () => {
    const { placements } = setup(1);
    placements.setThreads([{ id: 't', anchor: { version: 1, index: 2, length: 3 } }]);
    placements.setSuggestions([
      { id: 'del', version: 1, delta: { ops: [{ retain: 2 }, { delete: 2 }] } },
      { id: 'ins', version: 1, delta: { ops: [{ retain: 2 }, { insert: 'x' }] } },
    ]);
    // Someone types at the very places: before the range, and before the suggested insert.
    placements.moved(new Delta().retain(2).insert('ab'));
    expect(placements.threads.get('t')).toEqual({ index: 4, length: 3 });
    expect(placements.suggestions.get('ins')!.ops).toEqual([{ retain: 4 }, { insert: 'x' }]);
    placements.moved(new Delta().retain(4).delete(2));
    expect(placements.suggestions.has('del')).toBe(false);
    expect(placements.threads.get('t')).toEqual({ index: 4, length: 1 });
  });

  it('forgets what a new answer no longer lists, and keeps an old place until the new one lands', () => {
    const { editor, placements } = setup(1);
    placements.setThreads([
      { id: 'a', anchor: { version: 1, index: 0, length: 1 } },
      { id: 'b', anchor: { version: 1, index: 1, length: 1 } },
    ]);
    placements.setThreads([{ id: 'a', anchor: { version: 2, index: 5, length: 1 } }]);
    expect([...placements.threads]).toEqual([['a', { index: 0, length: 1 }]]);
    editor.version = 2;
    placements.place();
    expect(placements.threads.get('a')).toEqual({ index: 5, length: 1 });
  });
});
