// The head's byte size (content-bytes.ts) is kept per op from the region
// each op rewrites, not recomputed from the whole content. Property: after
// any sequence of inserts (text, embeds), deletes and formats, it is the
// exact size of the content, give or take one copy of a run's attributes
// per chunk boundary (two ops only a boundary keeps apart count apart),
// and a head loaded from that content measures it exactly.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { opsBytes } from './content-bytes.ts';
import { DocumentHead } from './document-head.ts';
import { Delta } from '../../../protocol/delta.ts';

const edit = fc.record({
  kind: fc.constantFrom('insert', 'insert', 'embed', 'delete', 'format'),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  span: fc.integer({ min: 1, max: 30 }),
  text: fc.constantFrom('a', 'bc', 'déf', '😀', '\n', 'xyz '),
  attr: fc.constantFrom<Record<string, unknown> | undefined>(undefined, { bold: true }, { link: 'https://example.com/x' }, { bold: null }, { header: 1 }),
});

describe('DocumentHead.bytes', () => {
  it('stays the size of the content (within one attribute copy per chunk boundary) across any edits', () => {
    fc.assert(
      fc.property(fc.array(edit, { maxLength: 200 }), (edits) => {
        const head = new DocumentHead(0, new Delta(), [], 10);
        for (const e of edits) {
          const length = head.length;
          const pos = Math.min(length, Math.floor(e.at * (length + 1)));
          const span = Math.min(e.span, length - pos);
          const d = new Delta().retain(pos);
          if (e.kind === 'insert') d.insert(e.text, e.attr as never);
          else if (e.kind === 'embed') d.insert({ image: `https://example.com/${e.text.length}.png` }, e.attr as never);
          else if (span <= 0 || (e.kind === 'format' && !e.attr)) continue;
          else if (e.kind === 'delete') d.delete(span);
          else d.retain(span, e.attr as never);
          head.apply({ documentId: 'd', version: head.version + 1, delta: d, clientId: 'c', clientSeq: head.version, authorId: null, createdAt: new Date() });
        }
        const exact = opsBytes(head.content.ops);
        expect(head.bytes).toBeGreaterThanOrEqual(exact);
        // At most ~one op per 8 is a chunk boundary; each can keep one attribute copy (< 50 bytes here).
        expect(head.bytes - exact).toBeLessThanOrEqual(50 * Math.ceil(head.content.ops.length / 2));
        expect(new DocumentHead(head.version, head.content, [], 10).bytes).toBe(exact);
      }),
      { numRuns: 200, seed: 15 },
    );
  });
});
