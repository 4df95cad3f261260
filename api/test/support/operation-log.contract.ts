// The behaviour every OperationLog must have, run against each
// implementation: memory (api/src/collab/memory-log.test.ts), PGlite and
// PostgreSQL (prisma-operation-log.suite.ts, which adds what only a database
// log has: the access check at commit, appendMany, jsonb's limits). It knows
// nothing about how a log stores its data; the factory supplies a log and a
// way to create documents in whatever backs it.
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { Delta } from '../../../protocol/delta.ts';
import { AppendConflict, type AppendConflictKind, type NewOp, type OperationLog } from '../../src/collab/types.ts';

export interface OperationLogHarness {
  log: OperationLog;
  /** Creates an empty document (version 0) and returns its id. */
  createDocument(): Promise<string>;
  /** Releases what the harness opened for this test. */
  close(): Promise<void>;
}

const op = (documentId: string, version: number, text: string, clientId = 'client-a', clientSeq = version): NewOp => ({
  documentId,
  version,
  delta: new Delta().retain(version - 1).insert(text),
  clientId,
  clientSeq,
  authorId: null,
});

async function expectConflict(append: Promise<unknown>, kind: AppendConflictKind): Promise<void> {
  const error = await append.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(AppendConflict);
  expect(error).toMatchObject({ kind });
}

export function operationLogContract(name: string, makeLog: () => Promise<OperationLogHarness>): void {
  describe(name, () => {
    let h: OperationLogHarness;
    beforeEach(async () => {
      h = await makeLog();
    });
    afterEach(async () => {
      await h?.close();
    });

    test('knows which documents exist', async () => {
      const doc = await h.createDocument();
      expect(await h.log.exists(doc)).toBe(true);
      expect(await h.log.exists('no-such-document')).toBe(false);
    });

    test('appends ops and reads them back in version order', async () => {
      const doc = await h.createDocument();
      const first = await h.log.append(doc, [op(doc, 1, 'a'), op(doc, 2, 'b')]);
      const second = await h.log.append(doc, [op(doc, 3, 'c')]);

      expect(first.map((o) => o.version)).toEqual([1, 2]);
      for (const o of [...first, ...second]) expect(o.createdAt).toBeInstanceOf(Date);

      const read = await h.log.readOps(doc, 0);
      expect(read).toEqual([...first, ...second]);
      expect(read.map((o) => o.delta.ops)).toEqual([[{ insert: 'a' }], [{ retain: 1 }, { insert: 'b' }], [{ retain: 2 }, { insert: 'c' }]]);
      expect(read[0]?.delta).toBeInstanceOf(Delta);
    });

    test("lists a run's versions in order, on its own document only", async () => {
      const doc = await h.createDocument();
      const other = await h.createDocument();
      const inRun = (o: NewOp, runId: string | null): NewOp => ({ ...o, runId });
      await h.log.append(doc, [inRun(op(doc, 1, 'a'), 'run-1'), inRun(op(doc, 2, 'b'), null), inRun(op(doc, 3, 'c'), 'run-2'), inRun(op(doc, 4, 'd'), 'run-1')]);
      await h.log.append(other, [inRun(op(other, 1, 'x'), 'run-1')]);

      expect(await h.log.runVersions(doc, 'run-1')).toEqual([1, 4]);
      expect(await h.log.runVersions(doc, 'run-2')).toEqual([3]);
      expect(await h.log.runVersions(doc, 'run-3')).toEqual([]);
      expect(await h.log.runVersions(other, 'run-1')).toEqual([1]);
    });

    test('reads ranges: after a version, up to a version, at most a limit', async () => {
      const doc = await h.createDocument();
      await h.log.append(doc, [op(doc, 1, 'a'), op(doc, 2, 'b'), op(doc, 3, 'c'), op(doc, 4, 'd')]);
      const versions = async (after: number, upTo?: number, limit?: number) =>
        (await h.log.readOps(doc, after, upTo, limit)).map((o) => o.version);

      expect(await versions(0)).toEqual([1, 2, 3, 4]);
      expect(await versions(2)).toEqual([3, 4]);
      expect(await versions(0, 2)).toEqual([1, 2]);
      expect(await versions(1, 3)).toEqual([2, 3]);
      expect(await versions(0, undefined, 3)).toEqual([1, 2, 3]);
      expect(await versions(1, 4, 2)).toEqual([2, 3]);
      expect(await versions(4)).toEqual([]);
      expect(await versions(2, 2)).toEqual([]);
      expect(await versions(0, undefined, 0)).toEqual([]);
      expect(await h.log.readOps('no-such-document', 0)).toEqual([]);
    });

    test('reads stamps (version, author, time) newest first, without deltas', async () => {
      const doc = await h.createDocument();
      const committed = [...(await h.log.append(doc, [op(doc, 1, 'a'), op(doc, 2, 'b')])), ...(await h.log.append(doc, [op(doc, 3, 'c')]))];
      const stamps = async (upTo: number, limit: number) => h.log.readStamps(doc, upTo, limit);

      const all = await stamps(10, 10);
      expect(all).toEqual(committed.reverse().map(({ version, authorId, createdAt }) => ({ version, authorId, createdAt })));
      expect(all[0]?.createdAt).toBeInstanceOf(Date);
      expect((await stamps(2, 10)).map((s) => s.version)).toEqual([2, 1]);
      expect((await stamps(3, 2)).map((s) => s.version)).toEqual([3, 2]);
      expect(await stamps(0, 10)).toEqual([]);
      expect(await stamps(3, 0)).toEqual([]);
      expect(await h.log.readStamps('no-such-document', 10, 10)).toEqual([]);
    });

    test('keeps rich deltas intact: attributes, embeds, retains and deletes', async () => {
      const doc = await h.createDocument();
      const rich = new Delta()
        .insert('Title', { header: 1, bold: true })
        .insert('\n')
        .insert({ image: 'https://example.com/a.png' }, { width: 120 })
        .insert('link', { link: 'https://example.com', color: null });
      const edit = new Delta().retain(2).delete(3).retain(1, { italic: true });
      await h.log.append(doc, [
        { ...op(doc, 1, ''), delta: rich },
        { ...op(doc, 2, ''), delta: edit },
      ]);
      const [a, b] = await h.log.readOps(doc, 0);
      expect(a?.delta.ops).toEqual(rich.ops);
      expect(b?.delta.ops).toEqual(edit.ops);
    });

    test('refuses a version that is already taken: version', async () => {
      const doc = await h.createDocument();
      await h.log.append(doc, [op(doc, 1, 'a', 'client-a', 1)]);
      await expectConflict(h.log.append(doc, [op(doc, 1, 'b', 'client-b', 1)]), 'version');
    });

    test('refuses a batch that does not start right after the head: version', async () => {
      const doc = await h.createDocument();
      await h.log.append(doc, [op(doc, 1, 'a')]);
      // Version 3 is free, but committing it would leave a gap at 2.
      await expectConflict(h.log.append(doc, [op(doc, 3, 'c')]), 'version');
      expect((await h.log.readOps(doc, 0)).map((o) => o.version)).toEqual([1]);
    });

    test('refuses a (clientId, clientSeq) that is already in the log: client', async () => {
      const doc = await h.createDocument();
      await h.log.append(doc, [op(doc, 1, 'a', 'client-a', 7)]);
      await expectConflict(h.log.append(doc, [op(doc, 2, 'b', 'client-a', 7)]), 'client');
    });

    test('scopes (clientId, clientSeq) to the document', async () => {
      const one = await h.createDocument();
      const two = await h.createDocument();
      await h.log.append(one, [op(one, 1, 'a', 'client-a', 1)]);
      await expect(h.log.append(two, [op(two, 1, 'a', 'client-a', 1)])).resolves.toHaveLength(1);
    });

    test('rejects malformed batches before looking at the log, and commits nothing', async () => {
      const doc = await h.createDocument();
      await expect(h.log.append(doc, [])).rejects.toBeInstanceOf(RangeError);
      await expect(h.log.append(doc, [op(doc, 1, 'a'), op(doc, 3, 'c')])).rejects.toBeInstanceOf(RangeError);
      await expect(h.log.append(doc, [op('other', 1, 'a')])).rejects.toBeInstanceOf(RangeError);
      expect(await h.log.readOps(doc, 0)).toEqual([]);
    });

    test('refuses an append to a document that does not exist: gone', async () => {
      await expectConflict(h.log.append('no-such-document', [op('no-such-document', 1, 'a')]), 'gone');
    });

    test('a refused batch changes nothing: no op, same head', async () => {
      const doc = await h.createDocument();
      await h.log.append(doc, [op(doc, 1, 'a', 'client-a', 1)]);
      // The second op repeats client-a/1: the whole batch must be refused.
      const batch = [op(doc, 2, 'b', 'client-a', 2), op(doc, 3, 'c', 'client-a', 1)];
      await expectConflict(h.log.append(doc, batch), 'client');

      expect((await h.log.readOps(doc, 0)).map((o) => o.version)).toEqual([1]);
      expect(await h.log.findByClient(doc, 'client-a', 2)).toBeNull();
      // The head is still 1: version 2 and client-a/2 are free.
      await expect(h.log.append(doc, [op(doc, 2, 'b', 'client-a', 2)])).resolves.toHaveLength(1);
    });

    test('returns the latest snapshot at or before a version', async () => {
      const doc = await h.createDocument();
      const at2 = new Delta().insert('ab');
      const at4 = new Delta().insert('abcd', { bold: true });
      await h.log.append(doc, [op(doc, 1, 'a'), op(doc, 2, 'b')]);
      await h.log.storeSnapshot(doc, { version: 2, content: at2 });
      await h.log.append(doc, [op(doc, 3, 'c'), op(doc, 4, 'd')]);
      await h.log.storeSnapshot(doc, { version: 4, content: at4 });

      expect(await h.log.latestSnapshot(doc, 1)).toBeNull();
      const s2 = await h.log.latestSnapshot(doc, 2);
      expect(s2?.version).toBe(2);
      expect(s2?.content.ops).toEqual(at2.ops);
      expect(s2?.content).toBeInstanceOf(Delta);
      expect((await h.log.latestSnapshot(doc, 3))?.version).toBe(2);
      const latest = await h.log.latestSnapshot(doc, 100);
      expect(latest?.version).toBe(4);
      expect(latest?.content.ops).toEqual(at4.ops);
      expect(await h.log.latestSnapshot('no-such-document', 100)).toBeNull();
    });

    test('stores a snapshot of committed content on its own: the first at a version stays, a missing document gets none', async () => {
      const doc = await h.createDocument();
      await h.log.append(doc, [op(doc, 1, 'a'), op(doc, 2, 'b')]);
      const at2 = new Delta().insert('ab', { italic: true });
      await h.log.storeSnapshot(doc, { version: 2, content: at2 });
      await h.log.storeSnapshot(doc, { version: 2, content: new Delta().insert('other') });
      const s2 = await h.log.latestSnapshot(doc, 2);
      expect(s2?.version).toBe(2);
      expect(s2?.content.ops).toEqual(at2.ops);
      await h.log.storeSnapshot('no-such-document', { version: 1, content: new Delta().insert('x') });
      expect(await h.log.latestSnapshot('no-such-document', 100)).toBeNull();
    });

    test('finds the op committed for a (clientId, clientSeq)', async () => {
      const doc = await h.createDocument();
      const other = await h.createDocument();
      const committed = await h.log.append(doc, [op(doc, 1, 'a', 'client-a', 1), op(doc, 2, 'b', 'client-b', 1)]);

      expect(await h.log.findByClient(doc, 'client-b', 1)).toEqual(committed[1]);
      expect(await h.log.findByClient(doc, 'client-b', 2)).toBeNull();
      expect(await h.log.findByClient(doc, 'client-c', 1)).toBeNull();
      expect(await h.log.findByClient(other, 'client-a', 1)).toBeNull();
    });

    test('lets exactly one of two concurrent appends of the same version win', async () => {
      const doc = await h.createDocument();
      const results = await Promise.allSettled([
        h.log.append(doc, [op(doc, 1, 'a', 'client-a', 1)]),
        h.log.append(doc, [op(doc, 1, 'b', 'client-b', 1)]),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]).toBeInstanceOf(AppendConflict);
      expect(lost[0]).toMatchObject({ kind: 'version' });

      const log = await h.log.readOps(doc, 0);
      expect(log).toHaveLength(1);
      expect(log[0]).toEqual(won[0]?.value[0]);
    });
  });
}
