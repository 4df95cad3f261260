// PrismaOperationLog.appendLocked on PostgreSQL (only there: the sequencer
// uses it for documents written through several nodes, which needs one
// PostgreSQL). The lock is the document row's, so locked commits queue
// behind each other and behind collab_append's own head update; the ops
// handed to `build` are everything committed after the known version, read
// after the lock was granted; a refusal rolls back and leaves the pooled
// connection usable; values travel as literals and come back unchanged.
import { beforeAll, describe, expect, test } from 'vitest';
import { Delta } from '../../../protocol/delta.ts';
import { AppendConflict, type AppendRequest, type CommittedOp, type NewOp } from '../collab/types.ts';
import { PrismaOperationLog } from './operation-log.ts';
import { migratedDatabase, openTempPostgres, postgresTestUrl, SKIPPED_WITHOUT_URL } from '../../test/support/test-databases.ts';
import { waitFor } from '../../test/wait-for.ts';

const url = postgresTestUrl();

describe.skipIf(!url)(`PrismaOperationLog.appendLocked on PostgreSQL${SKIPPED_WITHOUT_URL}`, () => {
  const temp = migratedDatabase(() => openTempPostgres(url ?? ''));
  let log: PrismaOperationLog;
  beforeAll(() => {
    log = new PrismaOperationLog(temp.db.prisma, temp.db.sql);
  });

  const createDocument = async () => (await temp.db.prisma.document.create({ data: { title: 'test' } })).id;
  const op = (documentId: string, version: number, clientId = 'client', text = `v${version}`): NewOp => ({
    documentId,
    version,
    delta: new Delta().insert(text),
    clientId,
    clientSeq: version,
    authorId: null,
  });
  const request = (documentId: string, ops: NewOp[]): AppendRequest => ({ documentId, ops });
  /** Whether a backend of this database waits for a lock in `fn`. */
  const waitsForLock = async (fn: string) =>
    (
      await temp.db.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1`,
        [`%${fn}%`],
      )
    )[0]!.n > 0;

  test('hands over the ops committed after the known version and appends after them', async () => {
    const doc = await createDocument();
    await log.append(doc, [op(doc, 1), op(doc, 2)]);
    let missed: CommittedOp[] = [];
    const committed = await log.appendLocked(doc, 0, async (ops) => {
      missed = ops;
      return request(doc, [op(doc, 3)]);
    });
    expect(missed.map((o) => [o.version, o.delta.ops, o.clientId, o.createdAt instanceof Date])).toEqual([
      [1, [{ insert: 'v1' }], 'client', true],
      [2, [{ insert: 'v2' }], 'client', true],
    ]);
    expect(committed?.map((o) => o.version)).toEqual([3]);
    expect((await log.readOps(doc, 0)).map((o) => o.version)).toEqual([1, 2, 3]);
    expect((await temp.db.prisma.document.findUniqueOrThrow({ where: { id: doc } })).version).toBe(3);
  });

  test('queues a second writer behind the lock; it plans on top of the first one’s ops and neither loses', async () => {
    const doc = await createDocument();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = log.appendLocked(doc, 0, async (ops) => {
      expect(ops).toEqual([]);
      await gate; // holding the lock, as a node holds it while it plans
      return request(doc, [op(doc, 1, 'first')]);
    });
    await waitFor(
      (async () => {
        while ((await temp.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'`))[0]!.n === 0) await new Promise((r) => setImmediate(r));
      })(),
      { what: 'the first writer to hold the lock' },
    );
    let secondSaw: number[] | null = null;
    const second = log.appendLocked(doc, 0, async (ops) => {
      secondSaw = ops.map((o) => o.version);
      return request(doc, [op(doc, ops.length + 1, 'second')]);
    });
    // And a plain append (a node that does not know the document is shared) queues on the same row lock.
    const plain = log.append(doc, [op(doc, 1, 'plain')]).catch((error: unknown) => error);
    await waitFor(
      (async () => {
        while (!((await waitsForLock('collab_lock_head')) && (await waitsForLock('collab_append')))) await new Promise((r) => setTimeout(r, 5));
      })(),
      { what: 'the second writer and the plain append to wait for the lock' },
    );
    expect(secondSaw).toBeNull();
    release();
    expect((await first)?.map((o) => o.version)).toEqual([1]);
    expect((await second)?.map((o) => o.version)).toEqual([2]);
    expect(secondSaw).toEqual([1]);
    expect(await plain).toMatchObject({ kind: 'version' });
    expect((await log.readOps(doc, 0)).map((o) => o.clientId)).toEqual(['first', 'second']);
  });

  test('answers `gone` for a missing document without building anything', async () => {
    let built = false;
    const error = await log
      .appendLocked('no-such-document', 0, async () => {
        built = true;
        return null;
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppendConflict);
    expect(error).toMatchObject({ kind: 'gone' });
    expect(built).toBe(false);
  });

  test('rolls back a refused batch (a taken client key) and the next locked append goes through', async () => {
    const doc = await createDocument();
    await log.append(doc, [op(doc, 1, 'taken')]);
    const error = await log.appendLocked(doc, 1, async () => request(doc, [op(doc, 2, 'fresh'), { ...op(doc, 3, 'taken'), clientSeq: 1 }])).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'client' });
    expect((await log.readOps(doc, 0)).map((o) => o.version)).toEqual([1]);
    // Nothing left open: no transaction holding the lock, and the pool still works.
    expect(await log.appendLocked(doc, 1, async () => request(doc, [op(doc, 2, 'fresh')]))).toHaveLength(1);
    expect((await temp.db.prisma.document.findUniqueOrThrow({ where: { id: doc } })).version).toBe(2);
  });

  test('appends nothing when `build` returns null, and releases the lock', async () => {
    const doc = await createDocument();
    expect(await log.appendLocked(doc, 0, async () => null)).toBeNull();
    expect(await log.appendLocked(doc, 0, async () => request(doc, [op(doc, 1)]))).toHaveLength(1);
  });

  test('takes values that need quoting as they are (they travel as SQL literals)', async () => {
    const doc = await createDocument();
    const awkward = `it's \\ a "test" \\' ; COMMIT; -- ✓ 𝄞`;
    const committed = await log.appendLocked(doc, 0, async () =>
      request(doc, [{ ...op(doc, 1, awkward, awkward), delta: new Delta().insert(awkward, { link: `https://example.com/?q='\\'` }) }]),
    );
    const [stored] = await log.readOps(doc, 0);
    expect(stored).toMatchObject({ clientId: awkward, delta: { ops: [{ insert: awkward, attributes: { link: `https://example.com/?q='\\'` } }] } });
    expect(committed?.[0]?.createdAt.getTime()).toBe(stored?.createdAt.getTime());
    let missed: CommittedOp[] = [];
    await log.appendLocked(doc, 0, async (ops) => {
      missed = ops;
      return null;
    });
    expect(missed[0]).toMatchObject({ clientId: awkward });
  });
});
