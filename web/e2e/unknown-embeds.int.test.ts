// Content the editor cannot show never blanks the page: a document holding
// an embed Quill does not know opens with its text and a visible
// placeholder, edits around it keep it, one arriving live shows the same
// way, and images with a safe address are shown. The server here allows
// two embed types of other clients (ALLOWED_FORMATS), as a deployment may;
// documents written before the server checked embed types hold such
// content too.
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALLOWED_FORMATS } from '../../api/src/config.ts';
import { gql } from '../../api/test/harness.ts';
import { browserSuite, chromiumAvailable } from './support.ts';

/** A 1×1 transparent PNG, inline: shown without any network. */
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

describe.skipIf(!chromiumAvailable)('embeds the editor cannot show', { timeout: 60_000 }, () => {
  const suite = browserSuite({ ALLOWED_FORMATS: [...DEFAULT_ALLOWED_FORMATS, 'mention', 'chart'].join(',') });

  it('opens a document with an unknown embed: its text and a placeholder, and edits keep the embed', async () => {
    const ann = await suite.person('Ann');
    const id = await suite.createDocument(ann, { ops: [{ insert: 'Ask ' }, { insert: { mention: 'bob' } }, { insert: ' about it\n' }] });
    await suite.openEditor(ann.page, id);
    const editor = ann.page.locator('[data-testid="editor"] .ql-editor');
    await editor.getByText('Ask').waitFor();
    await editor.getByText('about it').waitFor();
    const placeholder = editor.locator('.ql-unknown-embed');
    await placeholder.waitFor();
    expect(await placeholder.textContent()).toContain('mention: bob');
    expect(await ann.page.getByTestId('render-error').count()).toBe(0);

    await editor.click();
    await ann.page.keyboard.press('Control+End');
    await ann.page.keyboard.type(' soon');
    await suite.settled([ann.page], ann, id);
    const res = await gql(suite.server, 'query($id: ID!) { document(id: $id) { content } }', { id }, ann.token);
    expect(res.data!.document.content.ops).toEqual([{ insert: 'Ask ' }, { insert: { mention: 'bob' } }, { insert: ' about it soon\n' }]);
  });

  it('shows an unknown embed that arrives live as a placeholder, in place', async () => {
    const ann = await suite.person('Ann');
    const id = await suite.createDocument(ann, { ops: [{ insert: 'Hello world\n' }] });
    await suite.openEditor(ann.page, id);
    const { version } = await suite.head(ann, id);
    const res = await gql(
      suite.server,
      'mutation($input: SubmitOperationInput!) { submitOperation(input: $input) { version } }',
      { input: { documentId: id, baseVersion: version, delta: { ops: [{ retain: 6 }, { insert: { chart: { series: [1, 2, 3] } } }] }, clientId: 'api-bot', clientSeq: 0 } },
      ann.token,
    );
    expect(res.errors).toBeUndefined();
    const placeholder = ann.page.locator('[data-testid="editor"] .ql-editor .ql-unknown-embed');
    await placeholder.waitFor();
    expect(await placeholder.textContent()).toContain('chart');
    expect(await ann.page.locator('[data-testid="editor"] .ql-editor p').first().evaluate((p) => p.textContent!.replace(/\uFEFF/g, ''))).toBe('Hello chartworld');
  });

  it('shows an image embed whose address is safe', async () => {
    const ann = await suite.person('Ann');
    const id = await suite.createDocument(ann, { ops: [{ insert: 'Logo: ' }, { insert: { image: PNG } }, { insert: '\n' }] });
    await suite.openEditor(ann.page, id);
    const image = ann.page.locator('[data-testid="editor"] .ql-editor img');
    await image.waitFor();
    expect(await image.getAttribute('src')).toBe(PNG);
    expect(await ann.page.locator('.ql-unknown-embed').count()).toBe(0);
  });
});
