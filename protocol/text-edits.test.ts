// editsToDelta against a model that knows nothing of deltas: a document as
// an array of characters, each with its formats, edited one edit at a time.
// The one delta it produces, composed onto the document, must give exactly
// the model's result; an edit that cannot apply refuses the whole list.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Delta } from './delta.ts';
import { ProtocolError } from './protocol-error.ts';
import { EMBED_CHARACTER, editsToDelta, plainText, type TextAttributes, type TextEdit } from './text-edits.ts';

type Cell = { ch: string; embed?: Record<string, unknown>; attrs?: TextAttributes };

const cellsOf = (doc: Delta): Cell[] =>
  doc.ops.flatMap((op) =>
    typeof op.insert === 'string'
      ? [...op.insert.split('')].map((ch) => norm({ ch, attrs: op.attributes }))
      : [norm({ ch: EMBED_CHARACTER, embed: op.insert as Record<string, unknown>, attrs: op.attributes })],
  );

function norm(cell: Cell): Cell {
  const attrs = Object.fromEntries(Object.entries(cell.attrs ?? {}).filter(([, v]) => v !== null && v !== undefined));
  return { ch: cell.ch, ...(cell.embed && { embed: cell.embed }), ...(Object.keys(attrs).length > 0 && { attrs }) };
}

const textOf = (cells: Cell[]) => cells.map((c) => c.ch).join('');

/** The model: one edit on the cells, by hand. Returns false when the edit cannot apply. */
function applyModel(cells: Cell[], edit: TextEdit): boolean {
  if (edit.insertText) {
    const { index, text, attributes } = edit.insertText;
    cells.splice(index, 0, ...text.split('').map((ch) => norm({ ch, attrs: attributes ?? undefined })));
  } else if (edit.deleteText) {
    cells.splice(edit.deleteText.index, edit.deleteText.length);
  } else if (edit.formatText) {
    const { index, length, attributes } = edit.formatText;
    for (let i = index; i < index + length; i++) cells[i] = norm({ ...cells[i]!, attrs: { ...cells[i]!.attrs, ...attributes } });
  } else if (edit.replaceText) {
    const { find, replace, all } = edit.replaceText;
    const text = textOf(cells);
    const matches: number[] = [];
    for (let at = text.indexOf(find); at !== -1 && (all || matches.length === 0); at = text.indexOf(find, at + find.length)) matches.push(at);
    if (matches.length === 0) return false;
    for (const at of matches.reverse()) {
      const first = cells[at]!;
      const attrs = first.embed ? undefined : first.attrs;
      cells.splice(at, find.length, ...replace.split('').map((ch) => norm({ ch, attrs })));
    }
  }
  return true;
}

const attrsArb = fc.option(fc.constantFrom<TextAttributes>({ bold: true }, { color: 'red' }, { bold: true, color: 'blue' }), { nil: undefined });
const docArb = fc
  .array(fc.record({ piece: fc.constantFrom<string | Record<string, unknown>>('a', 'b', 'ab', 'ba\n', '\n', { image: 'x.png' }), attrs: attrsArb }), { maxLength: 10 })
  .map((ops) => {
    const doc = new Delta();
    for (const op of ops) doc.insert(op.piece, op.attrs);
    return doc;
  });

/** Seeds that become concrete edits once the text they meet is known. */
const seedArb = fc.record({
  kind: fc.integer({ min: 0, max: 3 }),
  a: fc.nat(),
  b: fc.nat(),
  text: fc.constantFrom('a', 'b', 'ab', 'xy', '\n', 'é'),
  find: fc.constantFrom('a', 'b', 'ab', 'ba', 'b\n', EMBED_CHARACTER),
  replace: fc.constantFrom('', 'z', 'ab', 'zz\n'),
  all: fc.boolean(),
  attrs: attrsArb,
  format: fc.constantFrom<TextAttributes>({ bold: true }, { bold: null }, { color: 'blue' }, { color: null, italic: true }),
});

/** Turns seeds into edits that apply, applying each to the model as it goes. */
type Seed = typeof seedArb extends fc.Arbitrary<infer T> ? T : never;

function concreteEdits(cells: Cell[], seeds: Seed[]): TextEdit[] {
  const edits: TextEdit[] = [];
  for (const s of seeds) {
    const length = cells.length;
    let edit: TextEdit;
    if (s.kind === 0 || length === 0) edit = { insertText: { index: s.a % (length + 1), text: s.text, attributes: s.attrs ?? null } };
    else if (s.kind === 1) {
      const index = s.a % length;
      edit = { deleteText: { index, length: 1 + (s.b % (length - index)) } };
    } else if (s.kind === 2) {
      const index = s.a % length;
      edit = { formatText: { index, length: 1 + (s.b % (length - index)), attributes: s.format } };
    } else edit = { replaceText: { find: s.find, replace: s.replace, all: s.all } };
    if (applyModel(cells, edit)) edits.push(edit);
  }
  return edits;
}

describe('editsToDelta', () => {
  it('gives the delta that does what the edits do one by one', () => {
    fc.assert(
      fc.property(docArb, fc.array(seedArb, { minLength: 1, maxLength: 8 }), (doc, seeds) => {
        const model = cellsOf(doc);
        const edits = concreteEdits(model, seeds);
        fc.pre(edits.length > 0);
        const delta = editsToDelta(doc, edits);
        expect(cellsOf(doc.compose(delta))).toEqual(model);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses the whole list when any edit cannot apply, naming the edit', () => {
    fc.assert(
      fc.property(docArb, fc.array(seedArb, { maxLength: 4 }), fc.integer({ min: 0, max: 3 }), fc.nat(5), (doc, seeds, kind, past) => {
        const model = cellsOf(doc);
        const edits = concreteEdits(model, seeds);
        const length = model.length;
        const bad: TextEdit = [
          { insertText: { index: length + 1 + past, text: 'x' } },
          { deleteText: { index: length - Math.min(length, past), length: Math.min(length, past) + 1 } },
          { formatText: { index: 0, length: 0, attributes: { bold: true } } },
          { replaceText: { find: 'not in the text', replace: 'x' } },
        ][kind]!;
        const reason = ['OUT_OF_RANGE', 'OUT_OF_RANGE', 'EMPTY_EDIT', 'NO_MATCH'][kind];
        const error = catchError(() => editsToDelta(doc, [...edits, bad]));
        expect(error).toBeInstanceOf(ProtocolError);
        expect((error as ProtocolError).code).toBe('BAD_USER_INPUT');
        expect((error as ProtocolError).details).toMatchObject({ reason, edit: edits.length });
      }),
      { numRuns: 300 },
    );
  });

  it('refuses an edit that gives none or several of the four kinds', () => {
    const doc = new Delta().insert('Hello\n');
    for (const edit of [{}, { insertText: { index: 0, text: 'x' }, deleteText: { index: 0, length: 1 } }] as TextEdit[]) {
      expect((catchError(() => editsToDelta(doc, [edit])) as ProtocolError).details).toMatchObject({ reason: 'EDIT_SHAPE', edit: 0 });
    }
  });

  it('refuses an empty list, too many edits, a delta over the op limit, and too much searching', () => {
    const doc = new Delta().insert('a a a a a a\n');
    expect((catchError(() => editsToDelta(doc, [])) as ProtocolError).details).toMatchObject({ reason: 'EMPTY_EDIT' });
    const many = Array.from({ length: 3 }, () => ({ insertText: { index: 0, text: 'x' } }));
    expect((catchError(() => editsToDelta(doc, many, { maxEdits: 2, maxOps: 100 })) as ProtocolError).details).toMatchObject({ limit: 'textEdits', max: 2 });
    const all = [{ replaceText: { find: 'a', replace: 'b', all: true } }];
    expect((catchError(() => editsToDelta(doc, all, { maxEdits: 2, maxOps: 5 })) as ProtocolError).details).toMatchObject({ limit: 'deltaOps', max: 5 });
    // Each search reads the whole text (12 characters here): two fit in 30, three do not.
    const searches = [{ replaceText: { find: 'a', replace: 'b' } }, { replaceText: { find: 'a', replace: 'c' } }, { replaceText: { find: 'a', replace: 'd' } }];
    expect(() => editsToDelta(doc, searches.slice(0, 2), { maxEdits: 5, maxOps: 100, maxSearchChars: 30 })).not.toThrow();
    expect((catchError(() => editsToDelta(doc, searches, { maxEdits: 5, maxOps: 100, maxSearchChars: 30 })) as ProtocolError).details).toMatchObject({ limit: 'searchChars', max: 30 });
  });

  it('keeps the formats of the replaced text and counts an embed as one character', () => {
    const doc = new Delta().insert('colour', { bold: true }).insert({ image: 'x.png' }).insert(' colour\n');
    expect(plainText(doc)).toBe(`colour${EMBED_CHARACTER} colour\n`);
    const delta = editsToDelta(doc, [{ replaceText: { find: 'colour', replace: 'color', all: true } }, { insertText: { index: 5, text: '!' } }]);
    expect(doc.compose(delta).ops).toEqual([{ insert: 'color', attributes: { bold: true } }, { insert: '!' }, { insert: { image: 'x.png' } }, { insert: ' color\n' }]);
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
}
