import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PreviewWriter } from './preview.ts';
import { applyMigrations, MIGRATIONS_DIR } from '../store/migrate.ts';
import { previewWriterSuite } from '../../test/support/preview-writer.suite.ts';
import { openTempPGlite, type TempDatabase } from '../../test/support/test-databases.ts';

describe('PreviewWriter on PGlite', () => {
  previewWriterSuite(openTempPGlite);
});

describe('PreviewWriter on embedded PGlite (fsync on)', () => {
  let temp: TempDatabase | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await temp?.dispose();
  });

  it('writes previews without an fsync of its own: a cache, synced by the next commit', async () => {
    temp = await openTempPGlite();
    await applyMigrations(temp.db.sql, MIGRATIONS_DIR);
    const id = (await temp.db.prisma.document.create({ data: { title: 'test' } })).id;
    const writer = new PreviewWriter({ sql: temp.db.sql, opening: async () => ({ version: 1, ops: [{ insert: 'Hello\n' }] }), delayMs: 60_000 });
    const fsync = vi.spyOn(fs, 'fsyncSync');
    writer.changed(id);
    await writer.flush();
    expect(fsync).not.toHaveBeenCalled();
    expect(await temp.db.prisma.document.findUnique({ where: { id }, select: { preview: true, previewVersion: true } })).toEqual({ preview: 'Hello', previewVersion: 1 });
    // The next synced commit takes the preview's WAL to the disk with its own.
    await temp.db.sql.query(`UPDATE "Document" SET "title" = 'renamed' WHERE "id" = $1`, [id]);
    expect(fsync).toHaveBeenCalled();
  });
});
