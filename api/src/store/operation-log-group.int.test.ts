// Group commit on PostgreSQL: appendMany holds every document of its group
// until its one statement commits, and two nodes may group the same
// documents at once. Taken in different orders (A then B against B then A)
// that would be a deadlock, which PostgreSQL breaks after a second by
// failing one of them; groups take their documents in id order instead.
import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { Delta } from '../../../protocol/delta.ts';
import { AppendConflict, type NewOp } from '../collab/types.ts';
import { migratedDatabase, openTempPostgres, postgresTestUrl, SKIPPED_WITHOUT_URL } from '../../test/support/test-databases.ts';
import type { SqlRunner } from './database.ts';
import { PrismaOperationLog } from './operation-log.ts';

const url = postgresTestUrl();

describe.skipIf(!url)(`appendMany on PostgreSQL${SKIPPED_WITHOUT_URL}`, () => {
  const temp = migratedDatabase(() => openTempPostgres(url ?? ''));

  const op = (documentId: string, version: number): NewOp => ({
    documentId,
    version,
    delta: new Delta().insert(`v${version}`),
    clientId: `client-${randomUUID()}`,
    clientSeq: 1,
    authorId: null,
  });

  test('two groups with the same documents in opposite orders both finish, without a deadlock', async () => {
    const [a, b] = [(await temp.db.prisma.document.create({ data: { title: 'a' } })).id, (await temp.db.prisma.document.create({ data: { title: 'b' } })).id];
    // Every error the log's statements meet, as the database reported it.
    const errors: unknown[] = [];
    const noted = <T>(statement: Promise<T>) =>
      statement.catch((error: unknown) => {
        errors.push(error);
        throw error;
      });
    const sql: SqlRunner = {
      ...temp.db.sql,
      script: (text) => noted(temp.db.sql.script(text)),
      prepared: (statement, params) => noted(temp.db.sql.prepared(statement, params)),
    };
    const log = new PrismaOperationLog(temp.db.prisma, sql);

    // Another transaction holds both rows, so both groups (each appending
    // version 1 of both) are waiting when it ends and then race for them: in
    // opposite orders, each would get its first document and wait for the
    // other's.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holding = temp.db.sql.withConnection((conn) =>
      conn.transaction(async (tx) => {
        await tx.query('UPDATE "Document" SET "version" = "version" WHERE "id" = ANY($1::text[])', [[a, b]]);
        locked();
        await released;
      }),
    );
    await isLocked;
    const first = log.appendMany([
      { documentId: a, ops: [op(a, 1)] },
      { documentId: b, ops: [op(b, 1)] },
    ]);
    const second = log.appendMany([
      { documentId: b, ops: [op(b, 1)] },
      { documentId: a, ops: [op(a, 1)] },
    ]);
    const waiting = async () =>
      Number(
        (await temp.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`))[0]?.n,
      );
    try {
      await expect.poll(waiting, { timeout: 10_000 }).toBe(2);
    } finally {
      release();
      await holding;
    }
    const [one, two] = await Promise.all([first, second]);

    expect(errors.filter((e) => (e as { code?: unknown }).code === '40P01')).toEqual([]);
    // Both groups append version 1 of both documents: one group commits both, the other lost the race for both.
    const outcomes = [one, two].map((group) => group.map((r) => (r.status === 'fulfilled' ? r.value.map((o) => o.version) : r.reason)));
    expect(outcomes).toContainEqual([[1], [1]]);
    expect(outcomes).toContainEqual([new AppendConflict('version'), new AppendConflict('version')]);
    for (const group of [one, two]) for (const r of group) if (r.status === 'rejected') expect(r.reason).toMatchObject({ kind: 'version' });
    const heads = await temp.db.prisma.document.findMany({ where: { id: { in: [a, b] } }, select: { version: true } });
    expect(heads.map((h) => h.version)).toEqual([1, 1]);
  }, 30_000);
});
