// The built web client in headless Chromium against a real server (port 0,
// embedded store): people sign up, share, type at once and converge; one
// goes offline and comes back; pending edits survive closing the page; a
// reload while offline opens the editor from the app shell with them; a
// viewer cannot type; a commenter comments on a selection but cannot type;
// a version is named and restored from the history panel.
// Skipped (loudly) only where /usr/bin/chromium is absent; .ci/run installs it.
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { gql } from '../../api/test/harness.ts';
import { browserSuite, chromiumAvailable, editorText, pendingSaved, type Person } from './support.ts';

// Generous: a browser, a server and typing share two cores with the rest of the suite.
describe.skipIf(!chromiumAvailable)('web client in Chromium', { timeout: 60_000 }, () => {
  const suite = browserSuite();
  const { person, newContext, share, head, openEditor, settled } = suite;
  const createDocument = (owner: Person, text: string) => suite.createDocument(owner, { ops: [{ insert: text }] });
  const connection = (page: Page) => page.getByTestId('connection');

  it('signs up, shares, and two people typing at once converge and see each other', async () => {
    // Ann signs up in the app itself.
    const { page: ann } = await newContext();
    await ann.goto(suite.server.url + '/');
    await ann.getByRole('tab', { name: 'Sign up' }).click();
    await ann.getByLabel('Name').fill('Ann');
    const annEmail = `ann-${randomBytes(3).toString('hex')}@example.com`;
    await ann.getByLabel('Email').fill(annEmail);
    await ann.getByLabel('Password').fill('correct horse');
    await ann.getByRole('button', { name: 'Create account' }).click();
    await ann.getByTestId('new-document').click();
    await ann.locator('[data-testid="connection"][data-status="online"]').waitFor();
    const id = new URL(ann.url()).pathname.split('/').pop()!;
    await ann.locator('[data-testid="editor"] .ql-editor').click();
    await ann.keyboard.type('First line');
    await ann.keyboard.press('Enter');
    await ann.keyboard.type('Second line');

    // Ann shares it with Bob from the share dialog.
    const bob = await person('Bob');
    await ann.getByTestId('open-share').click();
    await ann.getByLabel('Email address').fill(bob.email);
    await ann.getByRole('button', { name: 'Invite' }).click();
    await ann.getByText('Bob can now edit this document.').waitFor();
    await ann.getByRole('button', { name: 'Close' }).click();

    // Bob's browser holds a session: the link opens straight into the editor.
    await openEditor(bob.page, id);
    expect(await editorText(bob.page)).toBe('First line\nSecond line\n');

    // Both type at once, on different lines.
    await ann.locator('[data-testid="editor"] .ql-editor').click();
    await ann.keyboard.press('Control+Home');
    await ann.keyboard.press('End');
    await bob.page.locator('[data-testid="editor"] .ql-editor').click();
    await bob.page.keyboard.press('Control+End');
    await Promise.all([ann.keyboard.type(' (Ann was here)', { delay: 15 }), bob.page.keyboard.type(' (Bob too)', { delay: 15 })]);

    const annLogin = await gql(suite.server, 'mutation($e: String!) { logIn(email: $e, password: "correct horse") { accessToken } }', { e: annEmail });
    const owner = { token: annLogin.data!.logIn.accessToken } as Person;
    const text = await settled([ann, bob.page], owner, id);
    expect(text).toBe('First line (Ann was here)\nSecond line (Bob too)\n');
    expect(await editorText(ann)).toBe(text);
    expect(await editorText(bob.page)).toBe(text);

    // Each sees the other: an avatar, and a named cursor in the text.
    await ann.locator('[data-testid="avatars"] [data-user="Bob"]').waitFor();
    await bob.page.locator('[data-testid="avatars"] [data-user="Ann"]').waitFor();
    await ann.locator('.ql-cursor .ql-cursor-name', { hasText: 'Bob' }).waitFor({ state: 'attached' });
    await bob.page.locator('.ql-cursor .ql-cursor-name', { hasText: 'Ann' }).waitFor({ state: 'attached' });

    // Log out ends the session: a reload does not sign her back in.
    await ann.getByRole('button', { name: 'Log out' }).click();
    await ann.getByRole('button', { name: 'Log in' }).waitFor();
    await ann.reload();
    await ann.getByRole('button', { name: 'Log in' }).waitFor();
  });

  it('keeps typing offline, then comes back and converges', async () => {
    const ann = await person('Ann');
    const bob = await person('Bob');
    const id = await createDocument(ann, 'Shared notes\n');
    await share(ann, id, bob, 'EDITOR');
    await openEditor(ann.page, id);
    await openEditor(bob.page, id);

    await bob.context.setOffline(true);
    await connection(bob.page).and(bob.page.locator('[data-status="offline"]')).waitFor();
    await bob.page.locator('[data-testid="editor"] .ql-editor').click();
    await bob.page.keyboard.press('Control+End');
    await bob.page.keyboard.type('Typed offline.');
    await ann.page.locator('[data-testid="editor"] .ql-editor').click();
    await ann.page.keyboard.press('Control+Home');
    await ann.page.keyboard.type('Meanwhile: ');
    await ann.page.locator('[data-testid="connection"][data-pending="0"]').waitFor();
    expect(await connection(bob.page).getAttribute('data-pending')).not.toBe('0');
    expect(await editorText(ann.page)).not.toContain('Typed offline.');

    await bob.context.setOffline(false);
    const text = await settled([ann.page, bob.page], ann, id);
    expect(text).toBe('Meanwhile: Shared notesTyped offline.\n');
    expect(await editorText(ann.page)).toBe(text);
    expect(await editorText(bob.page)).toBe(text);
  });

  it('keeps edits made offline when the page is closed, and sends them from the next page', async () => {
    const ann = await person('Ann');
    const bob = await person('Bob');
    const id = await createDocument(ann, 'Draft\n');
    await share(ann, id, bob, 'EDITOR');
    await openEditor(ann.page, id);
    await openEditor(bob.page, id);

    await bob.context.setOffline(true);
    await bob.page.locator('[data-testid="connection"][data-status="offline"]').waitFor();
    await bob.page.locator('[data-testid="editor"] .ql-editor').click();
    await bob.page.keyboard.press('Control+End');
    await bob.page.keyboard.type('Not lost.');
    // Wait until the edit is in IndexedDB, then the page goes away.
    await pendingSaved(bob.page, 'lost.');
    await bob.page.close();
    await ann.page.locator('[data-testid="editor"] .ql-editor').click();
    await ann.page.keyboard.press('Control+Home');
    await ann.page.keyboard.type('Ann: ');

    await bob.context.setOffline(false);
    const next = await suite.newTab(bob);
    await openEditor(next, id);
    const text = await settled([ann.page, next], ann, id);
    expect(text).toBe('Ann: DraftNot lost.\n');
    expect(await editorText(next)).toBe(text);
    expect(await editorText(ann.page)).toBe(text);
  });

  it('reloads while offline: the kept app shell opens the editor with its pending edits, sent once back online', async () => {
    const ann = await person('Ann');
    const id = await createDocument(ann, 'Draft\n');
    await openEditor(ann.page, id);
    // The service worker has kept the shell once it controls the page.
    await ann.page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    // One cache, named after this build (a deploy brings a new name and drops the old cache).
    const shell = await ann.page.evaluate(async () => ({ sw: await (await fetch('/sw.js')).text(), names: await caches.keys() }));
    expect(shell.names).toEqual([`collab-shell-${/const BUILD = "([0-9a-f]{16})"/.exec(shell.sw)?.[1]}`]);

    await ann.context.setOffline(true);
    await ann.page.locator('[data-testid="connection"][data-status="offline"]').waitFor();
    // The wait below really waits: nothing holds this text yet.
    await expect(pendingSaved(ann.page, 'offline.', 300)).rejects.toThrow(/saved in IndexedDB/);
    await ann.page.locator('[data-testid="editor"] .ql-editor').click();
    await ann.page.keyboard.press('Control+End');
    await ann.page.keyboard.type(' Kept offline.');
    await pendingSaved(ann.page, 'offline.');

    await ann.page.reload();
    await ann.page.locator('[data-testid="connection"][data-status="offline"]').waitFor();
    expect(await editorText(ann.page)).toBe('Draft Kept offline.\n');
    expect(Number(await connection(ann.page).getAttribute('data-pending'))).toBeGreaterThan(0);
    expect(await connection(ann.page).textContent()).toMatch(/^Offline · \d+ unsaved edits?, sent when you are back$/);
    expect(await head(ann, id)).toEqual({ version: 1, text: 'Draft\n' });

    await ann.context.setOffline(false);
    expect(await settled([ann.page], ann, id)).toBe('Draft Kept offline.\n');
    expect(await editorText(ann.page)).toBe('Draft Kept offline.\n');
  });

  it('lets a viewer read and see others, but not type', async () => {
    const ann = await person('Ann');
    const carol = await person('Carol');
    const id = await createDocument(ann, 'Read me\n');
    await share(ann, id, carol, 'VIEWER');
    await openEditor(carol.page, id);

    await carol.page.getByTestId('read-only').waitFor();
    expect(await carol.page.locator('[data-testid="editor"] .ql-editor').getAttribute('contenteditable')).toBe('false');
    expect(await carol.page.locator('.ql-toolbar').count()).toBe(0);
    await carol.page.locator('[data-testid="editor"] .ql-editor').click();
    await carol.page.keyboard.type('vandalism');
    expect(await editorText(carol.page)).toBe('Read me\n');
    expect(await head(ann, id)).toEqual({ version: 1, text: 'Read me\n' });

    // She still sees who is editing.
    await openEditor(ann.page, id);
    await carol.page.locator('[data-testid="avatars"] [data-user="Ann"]').waitFor();
  });

  it('lets a commenter comment on a selection, typing only suggestions, and the thread reaches the owner live', async () => {
    const ann = await person('Ann');
    const dan = await person('Dan');
    const id = await createDocument(ann, 'Hello world\n');
    await share(ann, id, dan, 'COMMENTER');
    await openEditor(dan.page, id);
    await openEditor(ann.page, id);
    await ann.page.getByTestId('open-comments').click();
    await ann.page.getByTestId('comments-panel').getByText('No comments yet.').waitFor();

    await dan.page.getByTestId('read-only').waitFor();
    await dan.page.locator('[data-testid="editor"] .ql-editor').click();
    await dan.page.keyboard.type('vandalism');
    // A commenter's typing becomes a suggestion once it pauses, never an edit (team-editing.int.test.ts).
    await dan.page.getByTestId('margin-suggestion').waitFor();
    expect(await editorText(dan.page)).toBe('Hello world\n');
    // Select "world" as a mouse would (a DOM selection; Quill reports it), then comment on it.
    await dan.page.locator('[data-testid="editor"] .ql-editor p').evaluate((line) => {
      const text = line.firstChild!;
      const range = document.createRange();
      range.setStart(text, 6);
      range.setEnd(text, 11);
      document.getSelection()!.removeAllRanges();
      document.getSelection()!.addRange(range);
    });
    await dan.page.getByTestId('open-comments').click();
    const panel = dan.page.getByTestId('comments-panel');
    await panel.getByLabel('New comment on the selection').fill('Which world?');
    await panel.getByRole('button', { name: 'Comment on selection' }).click();
    await panel.getByTestId('thread').getByText('Which world?').waitFor();

    // Ann sees it appear, without reloading, and resolves it.
    const thread = ann.page.getByTestId('comments-panel').getByTestId('thread');
    await thread.getByText('Which world?').waitFor();
    expect(await thread.locator('blockquote').textContent()).toBe('world');
    await thread.getByRole('button', { name: 'Resolve' }).click();
    await panel.getByTestId('thread').getByRole('button', { name: 'Reopen' }).waitFor();
    expect(await head(ann, id)).toEqual({ version: 1, text: 'Hello world\n' });
  });

  it("shows a commenter's suggestion to the owner live, and Accept applies it in everyone's editor", async () => {
    const ann = await person('Ann');
    const dan = await person('Dan');
    const id = await createDocument(ann, 'Hello world\n');
    await share(ann, id, dan, 'COMMENTER');
    await openEditor(ann.page, id);
    await openEditor(dan.page, id);
    await ann.page.getByTestId('open-comments').click();
    await ann.page.getByTestId('comments-panel').getByText('No comments yet.').waitFor();

    const suggest = 'mutation($d: ID!) { suggest(input: { documentId: $d, baseVersion: 1, delta: { ops: [{ retain: 6 }, { insert: "there" }, { delete: 5 }] }, clientId: "dan", clientSeq: 0 }) { id } }';
    const res = await gql(suite.server, suggest, { d: id }, dan.token);
    expect(res.errors).toBeUndefined();
    // Ann sees it appear without reloading; suggesting changed no text.
    const item = ann.page.getByTestId('comments-panel').getByTestId('suggestion');
    await item.getByText('insert “there”, delete 5 characters').waitFor();
    expect(await head(ann, id)).toEqual({ version: 1, text: 'Hello world\n' });

    await item.getByRole('button', { name: 'Accept' }).click();
    await ann.page.getByTestId('comments-panel').getByTestId('suggestion').waitFor({ state: 'detached' });
    expect(await settled([ann.page, dan.page], ann, id)).toBe('Hello there\n');
    for (const page of [ann.page, dan.page]) expect(await editorText(page)).toBe('Hello there\n');
  });

  it('names and restores an old version from the history panel, for everyone', async () => {
    const ann = await person('Ann');
    const bob = await person('Bob');
    const id = await createDocument(ann, 'Version one\n');
    await share(ann, id, bob, 'EDITOR');
    await openEditor(ann.page, id);
    await openEditor(bob.page, id);

    await ann.page.locator('[data-testid="editor"] .ql-editor').click();
    await ann.page.keyboard.press('Control+End');
    await ann.page.keyboard.type('A regrettable paragraph.');
    await settled([ann.page, bob.page], ann, id);

    await ann.page.getByTestId('open-history').click();
    const panel = ann.page.getByTestId('history-panel');
    // History lists sessions; the oldest one opens to its single versions.
    await panel.getByTestId('history-session').last().getByRole('button').first().click();
    await panel.getByRole('button', { name: /^v1 / }).click();
    await panel.locator('[data-testid="history-version"]', { hasText: /^1$/ }).waitFor();
    await panel.getByTestId('history-preview').getByText('Version one').waitFor();
    // Named versions stand out in the list, and end their session.
    await panel.getByTestId('name-version').click();
    await panel.getByLabel('Version name').fill('First draft');
    await panel.getByRole('button', { name: 'Save' }).click();
    await panel.locator('[data-testid="history-session"][data-named="true"]', { hasText: 'First draft' }).waitFor();
    await panel.getByTestId('restore-version').click();
    await panel.getByText(/Restored version 1/).waitFor();

    const text = await settled([ann.page, bob.page], ann, id);
    expect(text).toBe('Version one\n');
    expect(await editorText(ann.page)).toBe(text);
    expect(await editorText(bob.page)).toBe(text);
  });

  it("names an agent's edit in the history panel by its API token", async () => {
    const ann = await person('Ann');
    const id = await createDocument(ann, 'Draft\n');
    const made = await gql(suite.server, 'mutation($id: ID!) { createApiToken(name: "Copy editor", role: EDITOR, documentId: $id) { token } }', { id }, ann.token);
    const secret = made.data!.createApiToken.token as string;
    const edited = await gql(suite.server, 'mutation($id: ID!) { editDocument(input: { documentId: $id, idempotencyKey: "e2e", edits: [{ insertText: { index: 5, text: " two" } }] }) { version } }', { id }, secret);
    expect(edited.data).toEqual({ editDocument: { version: 2 } });
    await openEditor(ann.page, id);
    await ann.page.getByTestId('open-history').click();
    const panel = ann.page.getByTestId('history-panel');
    await panel.getByRole('button', { name: /^v2\s*Copy editor, agent of Ann/ }).waitFor();
    await panel.getByRole('button', { name: /^v1\s*Ann/ }).waitFor();
  });
});
