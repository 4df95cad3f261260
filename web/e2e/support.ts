// What the browser tests share: one real server (port 0, embedded store)
// and one headless Chromium per file, people signed up through the API in
// browser contexts that hold their refresh cookie, and the editor's state
// read from the page. browserSuite() registers the hooks that start and
// dispose of all of it; an uncaught exception in the app fails the test.
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { ensureWebBuild } from '../../scripts/build-web.ts';
import { gql, startServer, type TestServer } from '../../api/test/harness.ts';
import { hasChromium, launchChromium } from './browser.ts';

export const chromiumAvailable = hasChromium();
if (!chromiumAvailable) {
  console.warn('[tests] /usr/bin/chromium not found: the browser end-to-end tests (web/e2e) are SKIPPED. Install it with `apt-get install -y chromium`.');
}

const SIGN_UP = 'mutation($e: String!, $n: String!) { signUp(email: $e, password: "correct horse", name: $n) { accessToken user { id } } }';

export interface Person {
  name: string;
  id: string;
  email: string;
  token: string;
  context: BrowserContext;
  page: Page;
}

export interface BrowserSuite {
  readonly server: TestServer;
  /** Signed up through the API, in a browser context of its own that holds the refresh cookie. */
  person(name: string): Promise<Person>;
  /** A browser of its own with nobody signed in (as a new visitor). */
  newContext(): Promise<{ context: BrowserContext; page: Page }>;
  /** Another tab of the same browser (same cookie and storage). */
  newTab(person: Person): Promise<Page>;
  createDocument(owner: Person, content: { ops: unknown[] }): Promise<string>;
  share(owner: Person, id: string, who: Person, role: 'EDITOR' | 'COMMENTER' | 'VIEWER'): Promise<void>;
  /** The head as the server has it; `text` leaves embeds out. */
  head(owner: Person, id: string): Promise<{ version: number; text: string }>;
  /** Opens the editor and waits until its streams are live. */
  openEditor(page: Page, id: string): Promise<void>;
  /** Everyone acknowledged and at the server's head version; returns the head text. */
  settled(pages: Page[], owner: Person, id: string): Promise<string>;
}

/** `env`: the server's settings beyond the defaults (api/src/config.ts). */
export function browserSuite(env: Record<string, string> = {}): BrowserSuite {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await ensureWebBuild({ log: () => {} });
    server = await startServer('embedded', env);
    browser = await launchChromium();
  }, 120_000);

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    expect(pageErrors.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** Uncaught exceptions, and anything the page's Content-Security-Policy refused (Chromium reports those on the console). */
  function watch(page: Page): void {
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) pageErrors.push(message.text());
    });
  }

  const suite: BrowserSuite = {
    get server() {
      return server;
    },
    async newContext() {
      const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
      contexts.push(context);
      const page = await context.newPage();
      watch(page);
      return { context, page };
    },
    async person(name) {
      const { context, page } = await suite.newContext();
      const email = `${name.toLowerCase()}-${randomBytes(3).toString('hex')}@example.com`;
      const res = await context.request.post(`${server.url}/graphql`, { data: { query: SIGN_UP, variables: { e: email, n: name } } });
      const body = (await res.json()) as { data: { signUp: { accessToken: string; user: { id: string } } } };
      return { name, id: body.data.signUp.user.id, email, token: body.data.signUp.accessToken, context, page };
    },
    async newTab(person) {
      const page = await person.context.newPage();
      watch(page);
      return page;
    },
    async createDocument(owner, content) {
      const res = await gql(server, 'mutation($c: Delta) { createDocument(title: "Notes", content: $c) { id } }', { c: content }, owner.token);
      expect(res.errors).toBeUndefined();
      return res.data!.createDocument.id;
    },
    async share(owner, id, who, role) {
      const res = await gql(server, 'mutation($id: ID!, $e: String!, $r: Role!) { shareDocument(id: $id, email: $e, role: $r) { role } }', { id, e: who.email, r: role }, owner.token);
      expect(res.errors).toBeUndefined();
    },
    async head(owner, id) {
      const res = await gql(server, 'query($id: ID!) { document(id: $id) { version content } }', { id }, owner.token);
      const doc = res.data!.document as { version: number; content: { ops: Array<{ insert: unknown }> } };
      return { version: doc.version, text: doc.content.ops.map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('') };
    },
    async openEditor(page, id) {
      await page.goto(`${server.url}/documents/${id}`);
      await page.locator('[data-testid="connection"][data-status="online"]').waitFor();
    },
    async settled(pages, owner, id) {
      for (const page of pages) await page.locator('[data-testid="connection"][data-status="online"][data-pending="0"]').waitFor();
      const { version, text } = await suite.head(owner, id);
      for (const page of pages) await page.locator(`[data-testid="connection"][data-version="${version}"]`).waitFor();
      return text;
    },
  };
  return suite;
}

/** Quill's text as the delta has it: one line per block, each ending with a newline. */
export const editorText = (page: Page): Promise<string> =>
  page.locator('[data-testid="editor"] .ql-editor').evaluate((el) => [...el.querySelectorAll('p, h1, h2, h3, li')].map((line) => `${line.textContent}\n`).join(''));

/** The names on the other people's cursors this page shows. */
export const cursorNames = (page: Page): Promise<string[]> =>
  page.locator('[data-testid="editor"] .ql-cursor .ql-cursor-name').evaluateAll((els) => els.map((el) => el.textContent ?? '').sort());

/**
 * Waits until the page's pending edits, holding `text`, are in IndexedDB
 * (safe from a reload). Polled from here: Playwright's waitForFunction
 * takes a returned promise for a truthy answer and would not wait at all.
 */
export async function pendingSaved(page: Page, text: string, timeoutMs = 15_000): Promise<void> {
  const saved = () =>
    page.evaluate(
      (wanted) =>
        new Promise<boolean>((resolve) => {
          const open = indexedDB.open('collab-sync');
          // Not made by the app yet: leave it to the app to make.
          open.onupgradeneeded = () => open.transaction?.abort();
          open.onsuccess = () => {
            const db = open.result;
            if (!db.objectStoreNames.contains('pending')) {
              db.close();
              return resolve(false);
            }
            const read = db.transaction('pending').objectStore('pending').getAll();
            // Closes once the read's transaction is done, whichever way it ends: one connection per poll, never kept.
            db.close();
            read.onsuccess = () => resolve(JSON.stringify(read.result).includes(wanted));
            read.onerror = () => resolve(false);
          };
          open.onerror = () => resolve(false);
        }),
      text,
    );
  await expect.poll(saved, { timeout: timeoutMs, interval: 50, message: `pending edits holding ${JSON.stringify(text)} saved in IndexedDB` }).toBe(true);
}
