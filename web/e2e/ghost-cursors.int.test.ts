// Nobody sees a cursor that is not there: a closed tab's cursor leaves
// everyone's editor within 2 s (not after the 30 s presence TTL); after a
// reload nobody sees two of you and you never see yourself; while you are
// offline the others are shown as away, and whoever left meanwhile is gone
// when you are back.
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { browserSuite, chromiumAvailable, cursorNames } from './support.ts';

/**
 * Records, from now on, the most cursors named `name` the page ever showed
 * at once (a MutationObserver sees every state the DOM goes through, so a
 * flash of a second cursor between two polls is not missed).
 */
async function recordMostCursors(page: Page, name: string): Promise<() => Promise<number>> {
  await page.evaluate((who) => {
    const count = () => [...document.querySelectorAll('.ql-cursor .ql-cursor-name')].filter((el) => el.textContent === who).length;
    const w = window as unknown as { __most: number };
    w.__most = count();
    new MutationObserver(() => (w.__most = Math.max(w.__most, count()))).observe(document.body, { subtree: true, childList: true, characterData: true });
  }, name);
  return () => page.evaluate(() => (window as unknown as { __most: number }).__most);
}

describe.skipIf(!chromiumAvailable)('ghost cursors', { timeout: 60_000 }, () => {
  const suite = browserSuite();
  /** Sockets the reload test keeps open on the server's side. */
  const leftOpen: WebSocket[] = [];
  afterEach(() => {
    for (const socket of leftOpen.splice(0)) socket.terminate();
  });

  it('removes a closed tab’s cursor from everyone’s editor within 2 s', async () => {
    const ann = await suite.person('Ann');
    const bob = await suite.person('Bob');
    const id = await suite.createDocument(ann, { ops: [{ insert: 'Hello world\n' }] });
    await suite.share(ann, id, bob, 'EDITOR');
    await suite.openEditor(ann.page, id);
    await suite.openEditor(bob.page, id);
    const bobCursor = ann.page.locator('.ql-cursor .ql-cursor-name', { hasText: 'Bob' });
    await bobCursor.waitFor({ state: 'attached' });

    const closedAt = Date.now();
    await bob.page.close();
    // The presence TTL is 30 s: only the leave sent when the socket closes gets it out this fast.
    await bobCursor.waitFor({ state: 'detached', timeout: 2_000 });
    const gone = Date.now() - closedAt;
    console.log(`[ghost cursors] Bob's cursor left Ann's editor ${gone} ms after his tab closed`);
    expect(await cursorNames(ann.page)).toEqual([]);
  });

  it('after a reload, shows you once to the others and never to yourself, even before the server sees the old page go', async () => {
    const ann = await suite.person('Ann');
    const bob = await suite.person('Bob');
    const carol = await suite.person('Carol');
    const id = await suite.createDocument(ann, { ops: [{ insert: 'Hello world\n' }] });
    await suite.share(ann, id, bob, 'EDITOR');
    await suite.share(ann, id, carol, 'VIEWER');
    // Bob's sockets pass through the test, which keeps the server's end
    // open when his page lets go of one: the server cannot tell his old page
    // is gone (as with a socket that died silently), so only the new page
    // can take its place.
    await bob.context.routeWebSocket(/\/graphql$/, (page) => {
      const server = new WebSocket(page.url(), 'graphql-transport-ws');
      leftOpen.push(server);
      const early: string[] = [];
      server.on('open', () => early.splice(0).forEach((m) => server.send(m)));
      server.on('message', (data) => page.send(String(data)));
      server.on('close', (code) => page.close({ code }));
      page.onMessage((m) => (server.readyState === WebSocket.OPEN ? server.send(String(m)) : early.push(String(m))));
      page.onClose(() => {}); // the page let go: the server's end stays open
    });
    await suite.openEditor(ann.page, id);
    await suite.openEditor(carol.page, id);
    await suite.openEditor(bob.page, id);
    await ann.page.locator('.ql-cursor .ql-cursor-name', { hasText: 'Bob' }).waitFor({ state: 'attached' });
    await carol.page.locator('.ql-cursor .ql-cursor-name', { hasText: 'Bob' }).waitFor({ state: 'attached' });
    const mostForAnn = await recordMostCursors(ann.page, 'Bob');
    const mostForCarol = await recordMostCursors(carol.page, 'Bob');

    await bob.page.reload();
    await bob.page.locator('[data-testid="connection"][data-status="online"]').waitFor();
    const mostForBob = await recordMostCursors(bob.page, 'Bob');
    // Bob moves his caret to the end; the others see it there, once.
    await bob.page.locator('[data-testid="editor"] .ql-editor').click();
    await bob.page.keyboard.press('Control+End');
    for (const page of [ann.page, carol.page]) {
      await page.waitForFunction(() => {
        const bobs = [...document.querySelectorAll('.ql-cursor')].filter((el) => el.querySelector('.ql-cursor-name')?.textContent === 'Bob');
        const caret = bobs[0]?.querySelector<HTMLElement>('.ql-cursor-caret-container');
        return bobs.length === 1 && caret !== null && caret !== undefined && parseFloat(caret.style.left) > 50;
      });
    }
    // Ann moves too, so Bob's new page has had presence traffic after the reload.
    await ann.page.locator('[data-testid="editor"] .ql-editor').click();
    await bob.page.locator('.ql-cursor .ql-cursor-name', { hasText: 'Ann' }).waitFor({ state: 'attached' });

    expect(await mostForAnn()).toBe(1);
    expect(await mostForCarol()).toBe(1);
    expect(await mostForBob()).toBe(0);
    expect(await cursorNames(bob.page)).toEqual(['Ann', 'Carol']);
    expect(await cursorNames(carol.page)).toEqual(['Ann', 'Bob']);
  });

  it('shows the others as away while you are offline, and drops who left meanwhile when you are back', async () => {
    const ann = await suite.person('Ann');
    const bob = await suite.person('Bob');
    const carol = await suite.person('Carol');
    const id = await suite.createDocument(ann, { ops: [{ insert: 'Hello world\n' }] });
    await suite.share(ann, id, bob, 'EDITOR');
    await suite.share(ann, id, carol, 'EDITOR');
    await suite.openEditor(ann.page, id);
    await suite.openEditor(carol.page, id);
    await suite.openEditor(bob.page, id);
    const annOnBob = bob.page.locator('.ql-cursor', { has: bob.page.locator('.ql-cursor-name', { hasText: 'Ann' }) });
    const carolOnBob = bob.page.locator('.ql-cursor', { has: bob.page.locator('.ql-cursor-name', { hasText: 'Carol' }) });
    await annOnBob.waitFor({ state: 'attached' });
    await carolOnBob.waitFor({ state: 'attached' });
    expect(await annOnBob.getAttribute('class')).not.toContain('away');

    await bob.context.setOffline(true);
    await bob.page.locator('[data-testid="connection"][data-status="offline"]').waitFor();
    await bob.page.locator('.ql-cursor.away .ql-cursor-name', { hasText: 'Ann' }).waitFor({ state: 'attached' });
    await bob.page.locator('[data-testid="avatars"] [data-user="Ann"].away').waitFor();

    // Carol leaves while Bob cannot hear it.
    await carol.page.close();
    await ann.page.locator('.ql-cursor .ql-cursor-name', { hasText: 'Carol' }).waitFor({ state: 'detached', timeout: 2_000 });

    await bob.context.setOffline(false);
    await bob.page.locator('[data-testid="connection"][data-status="online"]').waitFor();
    await carolOnBob.waitFor({ state: 'detached', timeout: 2_000 });
    await bob.page.locator('.ql-cursor:not(.away) .ql-cursor-name', { hasText: 'Ann' }).waitFor({ state: 'attached' });
    expect(await cursorNames(bob.page)).toEqual(['Ann']);
  });
});
