// "A document keeps at least one OWNER", as the database enforces it
// (trigger DocumentMember_keeps_an_owner, prisma/migrations/20261205100000_*),
// whoever writes: run against PGlite (document-owner.test.ts) and PostgreSQL
// (document-owner.int.test.ts).
import { randomUUID } from 'node:crypto';
import { expect, test } from 'vitest';
import { migratedDatabase, type TempDatabase } from './test-databases.ts';

const CHECK_VIOLATION = '23514';

export function documentOwnerSuite(open: () => Promise<TempDatabase>): void {
  const temp = migratedDatabase(open);

  const user = async () => (await temp.db.prisma.user.create({ data: { email: `${randomUUID()}@example.com`, name: 'u', passwordHash: 'x' } })).id;
  /** A document with the given members. */
  async function documentWith(members: Array<[string, 'OWNER' | 'EDITOR' | 'VIEWER']>): Promise<string> {
    const doc = await temp.db.prisma.document.create({ data: { title: 't', members: { create: members.map(([userId, role]) => ({ userId, role })) } } });
    return doc.id;
  }
  const owners = async (documentId: string) =>
    (await temp.db.sql.query<{ userId: string }>(`SELECT "userId" FROM "DocumentMember" WHERE "documentId" = $1 AND "role" = 'OWNER'`, [documentId])).map((r) => r.userId);
  const demote = (documentId: string, userId: string) =>
    temp.db.sql.query(`UPDATE "DocumentMember" SET "role" = 'EDITOR' WHERE "documentId" = $1 AND "userId" = $2`, [documentId, userId]);
  const codeOf = (error: unknown) => (error as { code?: unknown }).code;

  test('refuses to demote or remove the last owner (check_violation), and changes nothing', async () => {
    const [a, b] = [await user(), await user()];
    const doc = await documentWith([[a, 'OWNER'], [b, 'EDITOR']]);
    expect(codeOf(await demote(doc, a).catch((e: unknown) => e))).toBe(CHECK_VIOLATION);
    expect(codeOf(await temp.db.sql.query(`DELETE FROM "DocumentMember" WHERE "documentId" = $1 AND "userId" = $2`, [doc, a]).catch((e: unknown) => e))).toBe(CHECK_VIOLATION);
    expect(codeOf(await temp.db.sql.query(`DELETE FROM "User" WHERE "id" = $1`, [a]).catch((e: unknown) => e))).toBe(CHECK_VIOLATION);
    expect(await owners(doc)).toEqual([a]);
  });

  test('allows demoting or removing an owner while another stays, and handing ownership over', async () => {
    const [a, b, c] = [await user(), await user(), await user()];
    const doc = await documentWith([[a, 'OWNER'], [b, 'OWNER'], [c, 'EDITOR']]);
    await demote(doc, a);
    expect(await owners(doc)).toEqual([b]);
    // Promote first, then demote: ownership moves, the document is never without an owner.
    await temp.db.sql.query(`UPDATE "DocumentMember" SET "role" = 'OWNER' WHERE "documentId" = $1 AND "userId" = $2`, [doc, c]);
    await temp.db.sql.query(`DELETE FROM "DocumentMember" WHERE "documentId" = $1 AND "userId" = $2`, [doc, b]);
    expect(await owners(doc)).toEqual([c]);
    // One statement that swaps roles is judged at its end.
    await temp.db.sql.query(`UPDATE "DocumentMember" SET "role" = CASE "role" WHEN 'OWNER' THEN 'VIEWER'::"Role" ELSE 'OWNER'::"Role" END WHERE "documentId" = $1 AND "userId" IN ($2, $3)`, [doc, a, c]);
    expect(await owners(doc)).toEqual([a]);
  });

  test('deletes a document with all its members, owners included', async () => {
    const a = await user();
    const doc = await documentWith([[a, 'OWNER']]);
    await temp.db.sql.query(`DELETE FROM "Document" WHERE "id" = $1`, [doc]);
    expect(await temp.db.prisma.documentMember.count({ where: { documentId: doc } })).toBe(0);
  });

  test('of many pairs of owners demoting each other at once, one of each pair wins: no document ends without an owner', async () => {
    const pairs = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const [a, b] = [await user(), await user()];
        return { doc: await documentWith([[a, 'OWNER'], [b, 'OWNER']]), a, b };
      }),
    );
    const results = await Promise.allSettled(pairs.flatMap(({ doc, a, b }) => [demote(doc, a), demote(doc, b)]));
    for (const [i, { doc }] of pairs.entries()) {
      expect(await owners(doc)).toHaveLength(1);
      const pair = results.slice(2 * i, 2 * i + 2);
      expect(pair.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(pair.map((r) => (r.status === 'rejected' ? codeOf(r.reason) : 'ok')).sort()).toEqual([CHECK_VIOLATION, 'ok']);
    }
  });
}

/**
 * PostgreSQL only (PGlite runs one transaction at a time): the race itself,
 * made certain. Transaction 1 demotes owner A and stays open; transaction 2
 * demotes owner B, which must wait for 1 (both still see the other owner in
 * their snapshots, so a check without the document's lock would let both
 * pass); when 1 commits, 2 is refused.
 */
export function documentOwnerRaceSuite(open: () => Promise<TempDatabase>): void {
  const temp = migratedDatabase(open);

  test('two transactions demoting the two owners: the second waits for the first, then is refused', async () => {
    const [a, b] = await Promise.all(
      ['a', 'b'].map(async (n) => (await temp.db.prisma.user.create({ data: { email: `${n}-${randomUUID()}@example.com`, name: n, passwordHash: 'x' } })).id),
    );
    const doc = (await temp.db.prisma.document.create({ data: { title: 't', members: { create: [{ userId: a!, role: 'OWNER' }, { userId: b!, role: 'OWNER' }] } } })).id;
    const demote = `UPDATE "DocumentMember" SET "role" = 'EDITOR' WHERE "documentId" = $1 AND "userId" = $2`;

    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let firstDemoted!: () => void;
    const demoted = new Promise<void>((resolve) => (firstDemoted = resolve));
    const first = temp.db.sql.withConnection((conn) =>
      conn.transaction(async (tx) => {
        await tx.query(demote, [doc, a]);
        firstDemoted();
        await released;
      }),
    );
    await demoted;
    let knowPid!: (pid: number) => void;
    const secondPid = new Promise<number>((resolve) => (knowPid = resolve));
    const second = temp.db.sql.withConnection(async (conn) => {
      knowPid((await conn.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0]!.pid);
      return conn.transaction((tx) => tx.query(demote, [doc, b]));
    });
    // Settled into a value at once: it may fail before the test reaches it,
    // and a rejection nobody handles yet is an unhandled rejection.
    const outcome = second.then(() => 'committed', (error: unknown) => (error as { code?: unknown }).code);
    // Wait until the second is blocked (pg_blocking_pids). Bounded in time, from
    // when its connection is known (a loaded machine may take a while to open
    // it): without the lock the second would commit, never block.
    try {
      const pid = await secondPid;
      for (const deadline = Date.now() + 20_000; ; ) {
        const rows = await temp.db.sql.query<{ n: number }>('SELECT cardinality(pg_blocking_pids($1)) AS n', [pid]);
        if ((rows[0]?.n ?? 0) > 0) break;
        if (Date.now() > deadline || (await Promise.race([outcome, Promise.resolve('pending')])) !== 'pending') {
          throw new Error('the second demotion never waited for the first: the owner check does not lock the document');
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      release(); // whatever happened, the first transaction ends (else the database cannot be dropped)
      await first;
    }
    expect(await outcome).toBe('23514');
    const owners = await temp.db.prisma.documentMember.findMany({ where: { documentId: doc, role: 'OWNER' }, select: { userId: true } });
    expect(owners).toEqual([{ userId: b }]);
  });
}
