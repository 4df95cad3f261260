// The synthetic workload's documents must keep the size the bench reports
// them at (~1k-3k characters), however many edits a run makes: a document
// that kept growing would make long runs measure something else (and
// favour whichever system is less sensitive to document size).
import { describe, expect, it } from 'vitest';
import { ChunkedDocument } from '../../protocol/chunked-document.ts';
import { Delta } from '../../web/src/sync/index.ts';
import { initialContent, prng, randomEdit } from './edits.ts';

describe('randomEdit', () => {
  it('keeps a document between ~1k and ~3k characters over 60,000 edits', () => {
    for (const [seed, start] of [[1, initialContent()], [2, []], [3, [{ insert: 'x'.repeat(6_000) }]]] as const) {
      const doc = new ChunkedDocument(new Delta([...start]));
      const rand = prng(seed);
      const lengths: number[] = [];
      for (let i = 0; i < 60_000; i++) {
        doc.apply(new Delta(randomEdit(doc.length, rand)));
        if (i >= 20_000) lengths.push(doc.length); // after it has had time to reach the band
      }
      expect(Math.min(...lengths), `seed ${seed}`).toBeGreaterThan(800);
      expect(Math.max(...lengths), `seed ${seed}`).toBeLessThan(3_300);
    }
  });
});
