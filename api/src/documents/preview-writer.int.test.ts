// On PostgreSQL the preview write meets other transactions: a commit holds
// its documents' rows (several at once in a group commit). The preview
// write must neither wait for them nor deadlock with them: it skips a held
// row and writes it the next time.
import { describe, expect, test } from 'vitest';
import { previewWriterSuite } from '../../test/support/preview-writer.suite.ts';
import { openTempPostgres, postgresTestUrl, SKIPPED_WITHOUT_URL } from '../../test/support/test-databases.ts';

const url = postgresTestUrl();

describe.skipIf(!url)(`PreviewWriter on PostgreSQL${SKIPPED_WITHOUT_URL}`, () => {
  const suite = previewWriterSuite(() => openTempPostgres(url ?? ''));

  test('skips a row another transaction holds, without waiting for it, and writes it next time', async () => {
    const [held, free] = [await suite.createDocument(), await suite.createDocument()];
    const { writer } = suite.writerOf(
      new Map([
        [held, { text: 'held', version: 3 }],
        [free, { text: 'free', version: 3 }],
      ]),
    );
    // Another connection holds `held`'s row, as a commit moving its head does.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holding = suite.temp.db.sql.withConnection((conn) =>
      conn.transaction(async (tx) => {
        await tx.query('UPDATE "Document" SET "version" = "version" WHERE "id" = $1', [held]);
        locked();
        await released;
      }),
    );
    try {
      await isLocked;
      writer.changed(held);
      writer.changed(free);
      await writer.flush(); // would wait for the other transaction if it did not skip
      expect(await suite.previewsOf([held, free])).toEqual([
        ['', 0],
        ['free', 3],
      ]);
    } finally {
      release();
      await holding;
    }
    // The skipped one is due again.
    await writer.flush();
    expect(await suite.previewsOf([held, free])).toEqual([
      ['held', 3],
      ['free', 3],
    ]);
  });
});
