// Regenerates docs/screenshot.png: two people editing one document, side by
// side, each seeing the other's cursor, with a comment thread and a
// suggestion in the margin beside the text. Run with `node web/e2e/screenshot.ts` (needs /usr/bin/chromium).
import { mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { ensureWebBuild } from '../../scripts/build-web.ts';
import { gql, startServer } from '../../api/test/harness.ts';
import { launchChromium } from './browser.ts';

const SIGN_UP = 'mutation($e: String!, $n: String!) { signUp(email: $e, password: "correct horse", name: $n) { accessToken } }';
const SIZE = { width: 1120, height: 620 };

await ensureWebBuild();
const server = await startServer('embedded');
const browser = await launchChromium();
try {
  const people: Array<{ context: BrowserContext; page: Page; token: string; email: string }> = [];
  for (const name of ['Ann Lee', 'Bob Stone']) {
    const context = await browser.newContext({ viewport: SIZE, deviceScaleFactor: 1 });
    const email = `${name.split(' ')[0]!.toLowerCase()}-${randomBytes(2).toString('hex')}@example.com`;
    const res = await context.request.post(`${server.url}/graphql`, { data: { query: SIGN_UP, variables: { e: email, n: name } } });
    const token = ((await res.json()) as { data: { signUp: { accessToken: string } } }).data.signUp.accessToken;
    people.push({ context, page: await context.newPage(), token, email });
  }
  const [ann, bob] = people as [(typeof people)[0], (typeof people)[0]];
  const content = {
    ops: [
      { insert: 'Launch plan' },
      { insert: '\n', attributes: { header: 1 } },
      { insert: 'We ship the editor on ' },
      { insert: 'Monday', attributes: { bold: true } },
      { insert: '. Before that:\n' },
      { insert: 'Invite the beta group' },
      { insert: '\n', attributes: { list: 'bullet' } },
      { insert: 'Write the announcement' },
      { insert: '\n', attributes: { list: 'bullet' } },
      { insert: 'Check the ' },
      { insert: 'offline mode', attributes: { italic: true } },
      { insert: ' once more\n', attributes: {} },
    ],
  };
  const created = await gql(server, 'mutation($c: Delta) { createDocument(title: "Launch plan", content: $c) { id } }', { c: content }, ann.token);
  const id = created.data!.createDocument.id as string;
  await gql(server, 'mutation($id: ID!, $e: String!) { shareDocument(id: $id, email: $e, role: EDITOR) { role } }', { id, e: bob.email }, ann.token);

  for (const p of people) {
    await p.page.goto(`${server.url}/documents/${id}`);
    await p.page.locator('[data-testid="connection"][data-status="online"]').waitFor();
  }
  const editor = (page: Page) => page.locator('[data-testid="editor"] .ql-editor');
  // Ann adds a line; Bob selects a word and adds to the list.
  await editor(ann.page).click();
  await ann.page.keyboard.press('Control+End');
  await ann.page.keyboard.press('Enter');
  await ann.page.keyboard.type('Questions go in the #launch channel.');
  await editor(bob.page).getByText('Write the announcement').click();
  await bob.page.keyboard.press('End');
  await bob.page.keyboard.type(' (Bob)');
  await bob.page.keyboard.press('Shift+Control+ArrowLeft');
  await bob.page.keyboard.press('Shift+Control+ArrowLeft');
  for (const p of people) await p.page.locator('[data-testid="connection"][data-pending="0"]').waitFor();
  // Wait until Ann sees Bob's selection (quill-cursors draws it with the CSS Custom Highlight API).
  await ann.page.waitForFunction(() =>
    [...((CSS as unknown as { highlights: Map<string, Iterable<Range>> }).highlights?.values() ?? [])].some((h) => [...h].some((r) => !r.collapsed)),
  );
  // Bob asks about a word; Ann has the comments open.
  const head = await gql(server, 'query($id: ID!) { document(id: $id) { version } }', { id }, bob.token);
  const thread = await gql(
    server,
    'mutation($d: ID!, $v: Int!, $i: Int!, $l: Int!, $b: String!) { openThread(documentId: $d, version: $v, index: $i, length: $l, body: $b) { id } }',
    { d: id, v: head.data!.document.version, i: 'Launch plan\nWe ship the editor on '.length, l: 'Monday'.length, b: 'Can we make it Tuesday? QA needs a day.' },
    bob.token,
  );
  if (thread.errors) throw new Error(JSON.stringify(thread.errors));
  // And suggests a change to the last item: "once more" becomes "on a slow network".
  const lastItem = 'Launch plan\nWe ship the editor on Monday. Before that:\nInvite the beta group\nWrite the announcement (Bob)\nCheck the offline mode ';
  const suggestion = await gql(
    server,
    'mutation($input: SuggestInput!) { suggest(input: $input) { id } }',
    { input: { documentId: id, baseVersion: head.data!.document.version, clientId: 'screenshot', clientSeq: 0, delta: { ops: [{ retain: lastItem.length }, { delete: 'once more'.length }, { insert: 'on a slow network' }] } } },
    bob.token,
  );
  if (suggestion.errors) throw new Error(JSON.stringify(suggestion.errors));
  for (const p of people) {
    await p.page.getByText('Can we make it Tuesday?').first().waitFor();
    await p.page.locator('[data-testid="margin-suggestion"]').first().waitFor();
  }
  // Name flags show while a cursor moves; keep them up for the picture.
  for (const p of people) {
    // Through the CSSOM: the app's CSP refuses inline <style>.
    await p.page.evaluate(() => {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync('.ql-cursor-flag { opacity: 1 !important; visibility: visible !important; transition: none !important; }');
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    });
    await p.page.mouse.move(0, 0);
  }

  const shots = await Promise.all(people.map((p) => p.page.screenshot()));
  const composite = await browser.newPage({ viewport: { width: SIZE.width * 2 + 36, height: SIZE.height + 24 }, deviceScaleFactor: 1 });
  const img = (png: Buffer) => `<img src="data:image/png;base64,${png.toString('base64')}" width="${SIZE.width}" height="${SIZE.height}">`;
  await composite.setContent(
    `<body style="margin:0;padding:12px;background:#d9dee5;display:flex;gap:12px">` +
      shots.map((s) => `<div style="border-radius:8px;overflow:hidden;box-shadow:0 2px 10px rgba(0,0,0,.15)">${img(s)}</div>`).join('') +
      `</body>`,
  );
  await mkdir('docs', { recursive: true });
  await writeFile('docs/screenshot.png', await composite.screenshot());
  console.log('wrote docs/screenshot.png');
} finally {
  await browser.close();
  await server.stop();
}
