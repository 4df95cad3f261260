// Share by link in the browser: the owner makes a link in the share dialog,
// someone signed in opens it and lands in the editor with its role; once the
// owner revokes it, that person's access is gone.
import { describe, expect, it } from 'vitest';
import { gql } from '../../api/test/harness.ts';
import { browserSuite, chromiumAvailable } from './support.ts';

describe.skipIf(!chromiumAvailable)('share by link', { timeout: 60_000 }, () => {
  const suite = browserSuite();

  it('opens the document with the link’s role, and revoking takes it away', async () => {
    const [ann, bob] = await Promise.all([suite.person('Ann'), suite.person('Bob')]);
    const id = await suite.createDocument(ann, { ops: [{ insert: 'Shared by link\n' }] });
    await suite.openEditor(ann.page, id);
    await ann.page.getByTestId('open-share').click();
    await ann.page.getByLabel('Link role').selectOption('EDITOR');
    await ann.page.getByTestId('create-link').click();
    const url = await ann.page.getByTestId('new-link').inputValue();
    expect(url).toMatch(/\/join\/cgsl_/);

    await bob.page.goto(url);
    await bob.page.waitForURL(`**/documents/${id}`);
    const editor = bob.page.locator('[data-testid="editor"] .ql-editor');
    await editor.getByText('Shared by link').waitFor();
    const role = await gql(suite.server, 'query($id: ID!) { document(id: $id) { myRole } }', { id }, bob.token);
    expect(role.data).toEqual({ document: { myRole: 'EDITOR' } });

    ann.page.once('dialog', (dialog) => void dialog.accept());
    await ann.page.getByTestId('share-links').getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(async () => (await gql(suite.server, 'query($id: ID!) { document(id: $id) { id } }', { id }, bob.token)).data?.document).toBeNull();
    // The link itself no longer works.
    const again = await bob.context.newPage();
    await again.goto(url);
    await again.getByRole('alert').waitFor();
    expect(await again.getByRole('alert').textContent()).toContain('This link does not work');
  });
});
