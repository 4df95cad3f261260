// PrismaOperationLog's tests, run against every database kind: PGlite in
// operation-log.test.ts, PostgreSQL in operation-log.int.test.ts. One
// migrated database per suite; every test works on fresh documents.
// The shared contract runs first; 'storage' holds what only a database log
// has: accounts (the access check at commit), appendMany, jsonb's refusals.
import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { Delta } from '../../../protocol/delta.ts';
import { AppendConflict, type NewOp } from '../../src/collab/types.ts';
import { operationLogContract } from './operation-log.contract.ts';
import { PrismaOperationLog } from '../../src/store/operation-log.ts';
import { decodeBody, encodeBody } from '../../src/store/snapshot-body.ts';
import { migratedDatabase, type TempDatabase } from './test-databases.ts';

export function prismaOperationLogSuite(open: () => Promise<TempDatabase>): void {
  const temp = migratedDatabase(open);

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

    /** A user with `role` in `doc` (none: not a member) and one session, revoked or not. */
    const writer = async (doc: string, role: 'OWNER' | 'EDITOR' | 'VIEWER' | null, revoked = false) => {
      const user = await temp.db.prisma.user.create({ data: { email: `${randomUUID()}@example.com`, name: 'A', passwordHash: 'x' } });
      if (role) await temp.db.prisma.documentMember.create({ data: { documentId: doc, userId: user.id, role } });
      const session = await temp.db.prisma.session.create({
        data: { userId: user.id, familyId: randomUUID(), tokenHash: randomUUID(), expiresAt: new Date(Date.now() + 60_000), revokedAt: revoked ? new Date() : null },
      });
      return { authorId: user.id, sessionId: session.id };
    };

    test('keeps the author of each op, and not the session it was submitted in', async () => {
      const log = new PrismaOperationLog(temp.db.prisma, temp.db.sql);
      const doc = await createDocument();
      const editor = await writer(doc, 'EDITOR');
      const committed = await log.append(doc, [{ ...newOp(doc, 1), ...editor }, newOp(doc, 2)]);
      expect(committed.map((o) => 'sessionId' in o)).toEqual([false, false]);
      expect((await log.readOps(doc, 0)).map((o) => o.authorId)).toEqual([editor.authorId, null]);
    });

    test('refuses, in the commit, a batch with an author who may not write, and writes none of it', async () => {
      const log = new PrismaOperationLog(temp.db.prisma, temp.db.sql);
      const doc = await createDocument();
      const [owner, editor] = [await writer(doc, 'OWNER'), await writer(doc, 'EDITOR')];
      const bad = { viewer: await writer(doc, 'VIEWER'), stranger: await writer(doc, null), revoked: await writer(doc, 'EDITOR', true) };
      for (const [name, who] of Object.entries(bad)) {
        const error = await log.append(doc, [{ ...newOp(doc, 1), ...editor }, { ...newOp(doc, 2), ...who }]).catch((err: unknown) => err);
        expect(error, name).toBeInstanceOf(AppendConflict);
        expect(error, name).toMatchObject({ kind: 'access' });
        expect((error as AppendConflict).refused, name).toEqual([
          { ...who, ...{ viewer: { reason: 'role', role: 'VIEWER' }, stranger: { reason: 'not-member' }, revoked: { reason: 'session' } }[name] },
        ]);
      }
      expect(await log.readOps(doc, 0)).toEqual([]);
      expect((await temp.db.prisma.document.findUniqueOrThrow({ where: { id: doc } })).version).toBe(0);
      // Owners and editors in live sessions, and the server's own ops (no author), commit.
      await log.append(doc, [{ ...newOp(doc, 1), ...owner }, { ...newOp(doc, 2), ...editor }, newOp(doc, 3)]);
      expect((await log.readOps(doc, 0)).map((o) => o.authorId)).toEqual([owner.authorId, editor.authorId, null]);
    });

    test('appendMany commits several documents in one call, each settling as its own append would', async () => {
      const log = new PrismaOperationLog(temp.db.prisma, temp.db.sql);
      const [fresh, stale, gone, malformed] = [await createDocument(), await createDocument(), await createDocument(), await createDocument()];
      await log.append(stale, [newOp(stale, 1)]);
      await temp.db.prisma.document.delete({ where: { id: gone } });
      const results = await log.appendMany([
        { documentId: fresh, ops: [newOp(fresh, 1), newOp(fresh, 2)] },
        { documentId: stale, ops: [newOp(stale, 1)] },
        { documentId: gone, ops: [newOp(gone, 1)] },
        { documentId: malformed, ops: [newOp(malformed, 1), newOp(malformed, 3)] },
      ]);
      expect(results.map((r) => (r.status === 'fulfilled' ? r.value.map((op) => op.version) : r.reason))).toEqual([
        [1, 2],
        new AppendConflict('version'),
        new AppendConflict('gone'),
        expect.any(RangeError),
      ]);
      expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ kind: 'version' });
      expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ kind: 'gone' });
      expect((await log.readOps(fresh, 0)).map((op) => op.delta.ops)).toEqual([[{ insert: 'v1' }], [{ insert: 'v2' }]]);
      expect((await log.readOps(stale, 0)).map((op) => op.version)).toEqual([1]);
      expect(await log.readOps(malformed, 0)).toEqual([]);
      const heads = await temp.db.prisma.document.findMany({ where: { id: { in: [fresh, stale, malformed] } }, select: { id: true, version: true } });
      expect(Object.fromEntries(heads.map((h) => [h.id, h.version]))).toEqual({ [fresh]: 2, [stale]: 1, [malformed]: 0 });
    });

    test('keeps quotes, backslashes and any text exactly, alone, in appendMany (values travel as SQL literals) and in a snapshot', async () => {
      const log = new PrismaOperationLog(temp.db.prisma, temp.db.sql);
      const awkward = `it's a "quote" \\ back\\slash \\' \\n $1 $$ --; é 😀 \u2028`;
      const opOf = (doc: string, version: number, text: string): NewOp => ({ ...newOp(doc, version), delta: new Delta().insert(text, { link: `https://x/?q='\\'` }), clientId: `c'\\${version}` });
      const [alone, many1, many2, snap] = [await createDocument(), await createDocument(), await createDocument(), await createDocument()];
      await log.append(alone, [opOf(alone, 1, awkward)]);
      const results = await log.appendMany([
        { documentId: many1, ops: [opOf(many1, 1, awkward)] },
        { documentId: many2, ops: [opOf(many2, 1, awkward + '2')] },
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
      const content = new Delta().insert(awkward).insert('\n');
      await log.append(snap, [opOf(snap, 1, awkward)]);
      await log.storeSnapshot(snap, { version: 1, content });
      for (const [doc, text] of [[alone, awkward], [many1, awkward], [many2, awkward + '2'], [snap, awkward]] as const) {
        const [op] = await log.readOps(doc, 0);
        expect(op?.delta.ops).toEqual(opOf(doc, 1, text).delta.ops);
        expect(op?.clientId).toBe('c\'\\1');
        expect(await log.findByClient(doc, 'c\'\\1', 1)).toMatchObject({ version: 1 });
      }
      expect((await log.latestSnapshot(snap, 1))?.content.ops).toEqual(content.ops);
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

    test('appendMany: a refused author fails only their own request, the others commit', async () => {
      const log = new PrismaOperationLog(temp.db.prisma, temp.db.sql);
      const [refusing, other] = [await createDocument(), await createDocument()];
      const viewer = await writer(refusing, 'VIEWER');
      const results = await log.appendMany([
        { documentId: refusing, ops: [{ ...newOp(refusing, 1), ...viewer }] },
        { documentId: other, ops: [newOp(other, 1)] },
      ]);
      expect(results[0]).toMatchObject({ status: 'rejected', reason: { kind: 'access', refused: [{ ...viewer, reason: 'role', role: 'VIEWER' }] } });
      expect(results[1]).toMatchObject({ status: 'fulfilled' });
      expect(await log.readOps(refusing, 0)).toEqual([]);
      expect((await log.readOps(other, 0)).map((op) => op.version)).toEqual([1]);
    });

    test('appendMany: a request the database refuses for its values fails only itself, the others commit', async () => {
      const log = new PrismaOperationLog(temp.db.prisma, temp.db.sql);
      // jsonb stores neither NUL (22P05) nor a lone surrogate (22P02): an
      // attacker's op that reached the log would abort the group's statement.
      for (const bad of ['nul\u0000', 'half \uD83D']) {
        const [attacked, victim, other] = [await createDocument(), await createDocument(), await createDocument()];
        const results = await log.appendMany([
          { documentId: victim, ops: [newOp(victim, 1)] },
          { documentId: attacked, ops: [{ ...newOp(attacked, 1), delta: new Delta().insert(bad) }] },
          { documentId: other, ops: [newOp(other, 1), newOp(other, 2)] },
        ]);
        expect(results.map((r) => r.status), JSON.stringify(bad)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect((await log.readOps(victim, 0)).map((op) => op.delta.ops)).toEqual([[{ insert: 'v1' }]]);
        expect((await log.readOps(other, 0)).map((op) => op.version)).toEqual([1, 2]);
        expect(await log.readOps(attacked, 0)).toEqual([]);
        expect((await temp.db.prisma.document.findUniqueOrThrow({ where: { id: attacked } })).version).toBe(0);
      }
    });

    test('skips a snapshot that another writer already stored for that version', async () => {
      const log = new PrismaOperationLog(temp.db.prisma, temp.db.sql);
      const doc = await createDocument();
      const content = new Delta().insert('v1');
      await temp.db.prisma.snapshot.create({ data: { documentId: doc, version: 1, content: { ops: [{ insert: 'v1' }] } } });
      await log.append(doc, [newOp(doc, 1)]);
      await log.storeSnapshot(doc, { version: 1, content });
      expect((await log.latestSnapshot(doc, 1))?.content.ops).toEqual(content.ops);
    });

    test('stores snapshots as the JSON text replies send, and still reads the jsonb ones of older versions', async () => {
      const log = new PrismaOperationLog(temp.db.prisma, temp.db.sql);
      const doc = await createDocument();
      // Version 1's snapshot as older versions stored it.
      const old = { ops: [{ insert: 'old "one"', attributes: { bold: true } }, { insert: '\n' }] };
      await log.append(doc, [newOp(doc, 1)]);
      await temp.db.prisma.snapshot.create({ data: { documentId: doc, version: 1, content: old } });
      const read = await log.latestSnapshot(doc, 1);
      expect(read?.content.ops).toEqual(old.ops);
      expect(read?.stored).toBeUndefined();
      // A new one: its JSON (with lone surrogate halves, which jsonb refused) as a compressed body, and its layout; no jsonb.
      const content = new Delta().insert('new \uD83D half', { italic: true }).insert('\n');
      await log.append(doc, [newOp(doc, 2)]);
      await log.storeSnapshot(doc, { version: 2, content });
      const [row] = await temp.db.sql.query<{ content: unknown; body: string; layout: string }>(
        'SELECT "content", "body", "layout" FROM "Snapshot" WHERE "documentId" = $1 AND "version" = 2',
        [doc],
      );
      expect(row?.content).toBeNull();
      const json = JSON.stringify({ ops: content.ops });
      expect(await decodeBody(row!.body, row!.layout)).toEqual({ text: json, layout: row?.layout, utf8: Buffer.from(json) });
      const latest = await log.latestSnapshot(doc, 5);
      expect(latest?.version).toBe(2);
      expect(latest?.stored?.text).toBe(json);
      expect(latest?.content.ops).toEqual(content.ops);
      // The old one is still there below it.
      expect((await log.latestSnapshot(doc, 1))?.content.ops).toEqual(old.ops);
    });

    test('refuses a snapshot row with neither form', async () => {
      const doc = await createDocument();
      await expect(temp.db.sql.query('INSERT INTO "Snapshot" ("documentId", "version", "body") VALUES ($1, 1, $2)', [doc, await encodeBody('{"ops":[]}')])).rejects.toThrow();
      expect(await new PrismaOperationLog(temp.db.prisma, temp.db.sql).latestSnapshot(doc, 1)).toBeNull();
    });
  });
}
