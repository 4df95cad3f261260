// A large document opens in the editor from a compressed reply (the
// browser sends Accept-Encoding with deflate: api/src/schema/compressed-reply.ts)
// and takes edits there like any other.
import { describe, expect, it } from 'vitest';
import { browserSuite, chromiumAvailable } from './support.ts';

describe.skipIf(!chromiumAvailable)('a large document in the editor', { timeout: 90_000 }, () => {
  const suite = browserSuite();

  it('opens from a compressed reply and takes an edit', async () => {
    const ann = await suite.person('Ann');
    // ~9,000 runs, ~350 KB of JSON: past the size from which document replies are compressed.
    const runs = Array.from({ length: 9_001 }, (_, i) => (i % 2 === 0 ? { insert: `bold ${i} é `, attributes: { bold: true } } : { insert: `plain ${i} ` }));
    const id = await suite.createDocument(ann, { ops: [...runs, { insert: '\n' }] });
    // Read once already (the first reader of a content gets it uncompressed: compressed-reply.ts).
    expect((await suite.head(ann, id)).text.endsWith('bold 9000 é \n')).toBe(true);
    const opened = ann.page.waitForResponse((res) => res.url().endsWith('/graphql') && (res.request().postData() ?? '').includes('OpenDocument'));
    await suite.openEditor(ann.page, id);
    const reply = await opened;
    expect(reply.headers()['content-encoding']).toBe('deflate');
    const editor = ann.page.locator('[data-testid="editor"] .ql-editor');
    await editor.getByText('bold 9000 é').waitFor();
    await editor.getByText('bold 9000 é').click();
    await ann.page.keyboard.press('End');
    await ann.page.keyboard.type('!');
    const text = await suite.settled([ann.page], ann, id);
    expect(text.endsWith('bold 9000 é !\n')).toBe(true);
  });
});
