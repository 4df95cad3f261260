// Log retention seen from the browser: a person goes offline and types;
// meanwhile the other writes on and the server cuts its log past the
// version the offline page is at. Back online, that page is refused the
// stream (SNAPSHOT_REQUIRED), reloads the document from the snapshot, and
// carries the offline text over onto it: the page shows both people's text
// and the server gets the offline edits.
import { describe, expect, it } from 'vitest';
import { LogRetention } from '../../api/src/store/log-retention.ts';
import { browserSuite, chromiumAvailable, editorText } from './support.ts';

const DAY = 86_400_000;

describe.skipIf(!chromiumAvailable)('log retention in the browser', { timeout: 120_000 }, () => {
  // A snapshot every 3 versions: the cut lands close to the head.
  const suite = browserSuite({ SNAPSHOT_EVERY: '3' });

  it('keeps the edits of a page that was offline across a cut of the log, and sends them', async () => {
    const ann = await suite.person('Ann');
    const bob = await suite.person('Bob');
    const id = await suite.createDocument(ann, { ops: [{ insert: 'Shared notes\n' }] });
    await suite.share(ann, id, bob, 'EDITOR');
    await suite.openEditor(ann.page, id);
    await suite.openEditor(bob.page, id);
    await suite.settled([ann.page, bob.page], ann, id);

    const bobConnection = bob.page.locator('[data-testid="connection"]');
    await bob.context.setOffline(true);
    await bobConnection.and(bob.page.locator('[data-status="offline"]')).waitFor();
    const bobVersion = Number(await bobConnection.getAttribute('data-version'));
    await bob.page.locator('[data-testid="editor"] .ql-editor').click();
    await bob.page.keyboard.press('Control+End');
    await bob.page.keyboard.type('Typed offline.');

    await ann.page.locator('[data-testid="editor"] .ql-editor').click();
    await ann.page.keyboard.press('Control+Home');
    await ann.page.keyboard.type('Meanwhile: ', { delay: 20 });
    await ann.page.locator('[data-testid="connection"][data-pending="0"]').waitFor();

    // Every op looks 40 days old; a 30-day pass cuts at the newest snapshot, past Bob's version.
    const { services } = suite.server;
    await services.sequencer.idle(); // snapshots are stored after their commits
    await services.db.sql.query(`UPDATE "Operation" SET "createdAt" = $2::timestamptz AT TIME ZONE 'UTC' WHERE "documentId" = $1`, [id, new Date(Date.now() - 40 * DAY).toISOString()]);
    const floor = await new LogRetention({ sql: services.db.sql, days: 30, onCut: (documentId) => services.sequencer.forget(documentId) }).trim(id);
    expect(floor).toBeGreaterThan(bobVersion);

    await bob.context.setOffline(false);
    const text = await suite.settled([ann.page, bob.page], ann, id);
    expect(text).toBe('Meanwhile: Shared notesTyped offline.\n');
    expect(await editorText(bob.page)).toBe(text);
    expect(await editorText(ann.page)).toBe(text);
    expect((await suite.head(ann, id)).version).toBeGreaterThan(floor!);
  });
});
