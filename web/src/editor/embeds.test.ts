import { describe, expect, it } from 'vitest';
import { Delta } from '../sync/index.ts';
import { describeEmbed, fromEditor, toEditor, UNKNOWN_EMBED } from './embeds.ts';

const PNG = 'data:image/png;base64,iVBORw0KGgo=';

describe('embeds on their way into Quill and back', () => {
  it('turns an embed Quill does not know into a placeholder that keeps it, and back', () => {
    const content = new Delta([{ insert: 'Hi ' }, { insert: { mention: 'bob' }, attributes: { bold: true } }, { insert: '!\n' }]);
    const shown = toEditor(content);
    expect(shown.ops[1]).toEqual({ insert: { [UNKNOWN_EMBED]: { mention: 'bob' } }, attributes: { bold: true } });
    expect(shown.length()).toBe(content.length());
    expect(fromEditor(shown).ops).toEqual(content.ops);
  });

  it('shows images with a safe address, and a placeholder for any other', () => {
    for (const src of ['https://example.com/a.png', '/files/a.png', PNG]) expect(toEditor(new Delta().insert({ image: src })).ops).toEqual([{ insert: { image: src } }]);
    for (const image of ['javascript:alert(1)', 'data:image/svg+xml;base64,PHN2Zz4=', 42]) {
      expect(toEditor(new Delta().insert({ image })).ops).toEqual([{ insert: { [UNKNOWN_EMBED]: { image } } }]);
    }
  });

  it('treats embeds Quill registers but cannot show here (video, formula) as unknown', () => {
    expect(toEditor(new Delta().insert({ video: 'https://example.com/v' })).ops[0]!.insert).toEqual({ [UNKNOWN_EMBED]: { video: 'https://example.com/v' } });
    expect(toEditor(new Delta().insert({ formula: 'e=mc^2' })).ops[0]!.insert).toEqual({ [UNKNOWN_EMBED]: { formula: 'e=mc^2' } });
  });

  it('leaves text, retains and deletes alone, and hands back the same delta when nothing changes', () => {
    const change = new Delta().retain(3).insert('x').delete(2);
    expect(toEditor(change)).toBe(change);
    expect(fromEditor(change)).toBe(change);
  });

  it('describes a placeholder by its kind, with a short text value', () => {
    expect(describeEmbed({ mention: 'bob' })).toBe('mention: bob');
    expect(describeEmbed({ chart: { series: [1, 2] } })).toBe('chart');
    expect(describeEmbed({ image: 'javascript:alert(1)' })).toBe('image (address not allowed)');
    expect(describeEmbed(null)).toBe('embedded content');
  });
});
