// PrismaOperationLog's tests, run against every database kind: PGlite in
// operation-log.test.ts, PostgreSQL in operation-log.int.test.ts. One
// migrated database per suite; every test works on fresh documents.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Delta } from '../collab/quill-delta.js';
import { AppendConflict, type NewOp } from '../collab/types.js';
import { applyMigrations, MIGRATIONS_DIR } from './migrate.js';
import { operationLogContract } from './operation-log.contract.js';
import { PrismaOperationLog } from './operation-log.js';
import type { TempDatabase } from './test-databases.js';

export function prismaOperationLogSuite(open: () => Promise<TempDatabase>): void {
  let temp: TempDatabase;
  beforeAll(async () => {
    temp = await open();
    await applyMigrations(temp.db.sql, MIGRATIONS_DIR);
  });
  afterAll(async () => {
    await temp?.dispose();
  });

  const createDocument = async () => (await temp.db.prisma.document.create({ data: { title: 'test' } })).id;

  operationLogContract('the OperationLog contract', async () => ({
    log: new PrismaOperationLog(temp.db.prisma, temp.db.sql),
    createDocument,
    // The database outlives the test; documents are never shared between tests.
    close: async () => {},
  }));

  describe('storage', () => {
    const newOp = (documentId: string, version: number, authorId: string | null = null): NewOp => ({
      documentId,
      version,
      delta: new Delta().insert(`v${version}`),
      clientId: 'client-a',
      clientSeq: version,
      authorId,
    });

    test('stores deltas as Quill JSON { ops } and moves the document head with the batch', async () => {
      const log = new PrismaOperationLog(temp.db.prisma, temp.db.sql);
      const doc = await createDocument();
      const [, committed] = await log.append(doc, [newOp(doc, 1), newOp(doc, 2)]);

      const rows = await temp.db.sql.query<{ delta: unknown }>(
        'SELECT delta FROM "Operation" WHERE "documentId" = $1 ORDER BY version',
        [doc],
      );
      expect(rows.map((r) => r.delta)).toEqual([{ ops: [{ insert: 'v1' }] }, { ops: [{ insert: 'v2' }] }]);
      const head = await temp.db.prisma.document.findUniqueOrThrow({ where: { id: doc } });
      expect(head.version).toBe(2);
      expect(head.updatedAt).toEqual(committed?.createdAt);
    });

    test('keeps the author of each op', async () => {
      const log = new PrismaOperationLog(temp.db.prisma, temp.db.sql);
      const doc = await createDocument();
      const user = await temp.db.prisma.user.create({
        data: { email: `${doc}@example.com`, name: 'A', passwordHash: 'x' },
      });
      await log.append(doc, [newOp(doc, 1, user.id), newOp(doc, 2)]);
      expect((await log.readOps(doc, 0)).map((o) => o.authorId)).toEqual([user.id, null]);
    });

    test('rethrows a failure that is not a conflict unchanged (unknown author)', async () => {
      const log = new PrismaOperationLog(temp.db.prisma, temp.db.sql);
      const doc = await createDocument();
      const error = await log.append(doc, [newOp(doc, 1, 'no-such-user')]).catch((err: unknown) => err);
      expect(error).not.toBeInstanceOf(AppendConflict);
      // The driver's own error (append is plain SQL): foreign-key violation.
      expect(error).toMatchObject({ code: '23503', constraint: 'Operation_authorId_fkey' });
      expect(await log.readOps(doc, 0)).toEqual([]);
    });

    test('rejects malformed batches before touching the database', async () => {
      const log = new PrismaOperationLog(temp.db.prisma, temp.db.sql);
      const doc = await createDocument();
      await expect(log.append(doc, [])).rejects.toBeInstanceOf(RangeError);
      await expect(log.append(doc, [newOp(doc, 1), newOp(doc, 3)])).rejects.toBeInstanceOf(RangeError);
      await expect(log.append(doc, [newOp('other', 1)])).rejects.toBeInstanceOf(RangeError);
    });

    test('appendMany commits several documents in one call, each settling as its own append would', async () => {
      const log = new PrismaOperationLog(temp.db.prisma, temp.db.sql);
      const [fresh, stale, gone, withSnapshot, malformed] = [await createDocument(), await createDocument(), await createDocument(), await createDocument(), await createDocument()];
      await log.append(stale, [newOp(stale, 1)]);
      await temp.db.prisma.document.delete({ where: { id: gone } });
      const results = await log.appendMany([
        { documentId: fresh, ops: [newOp(fresh, 1), newOp(fresh, 2)] },
        { documentId: stale, ops: [newOp(stale, 1)] },
        { documentId: gone, ops: [newOp(gone, 1)] },
        { documentId: withSnapshot, ops: [newOp(withSnapshot, 1)], snapshot: { version: 1, content: new Delta().insert('v1') } },
        { documentId: malformed, ops: [newOp(malformed, 1), newOp(malformed, 3)] },
      ]);
      expect(results.map((r) => (r.status === 'fulfilled' ? r.value.map((op) => op.version) : r.reason))).toEqual([
        [1, 2],
        new AppendConflict('version'),
        new AppendConflict('gone'),
        [1],
        expect.any(RangeError),
      ]);
      expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ kind: 'version' });
      expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ kind: 'gone' });
      expect((await log.readOps(fresh, 0)).map((op) => op.delta.ops)).toEqual([[{ insert: 'v1' }], [{ insert: 'v2' }]]);
      expect((await log.readOps(stale, 0)).map((op) => op.version)).toEqual([1]);
      expect((await log.latestSnapshot(withSnapshot, 1))?.content.ops).toEqual([{ insert: 'v1' }]);
      expect(await log.readOps(malformed, 0)).toEqual([]);
      const heads = await temp.db.prisma.document.findMany({ where: { id: { in: [fresh, stale, malformed] } }, select: { id: true, version: true } });
      expect(Object.fromEntries(heads.map((h) => [h.id, h.version]))).toEqual({ [fresh]: 2, [stale]: 1, [malformed]: 0 });
    });

    test('appendMany: a client key already taken fails only its own request, the others commit', async () => {
      const log = new PrismaOperationLog(temp.db.prisma, temp.db.sql);
      const [taken, other] = [await createDocument(), await createDocument()];
      await log.append(taken, [newOp(taken, 1)]); // client-a, seq 1
      const resubmitted = { ...newOp(taken, 2), clientSeq: 1 };
      const results = await log.appendMany([
        { documentId: taken, ops: [resubmitted] },
        { documentId: other, ops: [newOp(other, 1)] },
      ]);
      expect(results[0]).toMatchObject({ status: 'rejected', reason: { kind: 'client' } });
      expect(results[1]).toMatchObject({ status: 'fulfilled' });
      expect((await log.readOps(taken, 0)).map((op) => op.version)).toEqual([1]);
      expect((await log.readOps(other, 0)).map((op) => op.version)).toEqual([1]);
    });

    test('skips a snapshot that another writer already stored for that version', async () => {
      const log = new PrismaOperationLog(temp.db.prisma, temp.db.sql);
      const doc = await createDocument();
      const content = new Delta().insert('v1');
      await temp.db.prisma.snapshot.create({ data: { documentId: doc, version: 1, content: { ops: [{ insert: 'v1' }] } } });
      await log.append(doc, [newOp(doc, 1)], { version: 1, content });
      expect((await log.latestSnapshot(doc, 1))?.content.ops).toEqual(content.ops);
    });
  });
}
