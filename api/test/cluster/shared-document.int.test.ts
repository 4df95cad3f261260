// One document written through two nodes that commit under its row lock
// (SHARED_WRITES=lock, the default; docs/architecture.md, "A document
// written through several nodes"), and one of them dies in the middle of a
// commit, holding that lock. This test makes the moment exact: it holds the
// author's User row (FOR UPDATE), which every commit's insert must share
// (the foreign key), so the node that has the document's lock stops inside
// its commit and the other node queues behind it. Then the stuck node is
// killed, and its transaction either ends with it (its connection is gone)
// or completes (its COMMIT was already sent): either way no acknowledged op
// is lost, none is applied twice, the surviving node goes on, and the dead
// node's clients resume on it by resubmitting their op in flight.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { gql, redisEnv, redisModes, tempPostgres } from '../harness.ts';
import { SyncClient } from '../sync-client.ts';
import { waitFor } from '../wait-for.ts';
import { ackedCount, editContinuously, expectConverged, untilAny } from './load.ts';
import { startNode, type NodeProcess } from './processes.ts';

const databaseUrl = process.env.DATABASE_URL;
const BACKSTOP_MS = 240_000;

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

/** The database URL with an application_name, so pg_stat_activity says which node a backend serves. */
function named(url: string, name: string): string {
  const u = new URL(url);
  u.searchParams.set('application_name', name);
  return u.toString();
}

/** Polls `probe` until it returns a value, bounded by waitFor (what it waited for is in the failure). */
async function until<T>(what: string, probe: () => Promise<T | null | undefined>): Promise<T> {
  return waitFor(
    (async () => {
      for (;;) {
        const value = await probe();
        if (value !== null && value !== undefined) return value;
        await new Promise((r) => setTimeout(r, 20));
      }
    })(),
    { what },
  );
}

const modes = redisModes();
describe.skipIf(modes.length === 0).each(modes.length ? modes : (['scaled'] as const))('a document written through two nodes (%s)', { timeout: BACKSTOP_MS }, (mode) => {
  it.each([
    ['rolled back: its connection ends with it', true],
    ['committed after all: its commit was already sent', false],
  ])('loses no acknowledged op when a node dies holding the document’s lock mid-commit (%s)', async (_, endConnection) => {
    const db = await tempPostgres(databaseUrl!);
    cleanups.push(() => db.drop());
    const env = { ...redisEnv(mode), AUTH_SECRET: randomBytes(32).toString('hex'), REDIS_PREFIX: `it-${randomBytes(4).toString('hex')}:` };
    const nodes = new Map<string, NodeProcess>();
    await Promise.all(
      ['node-a', 'node-b'].map(async (name) => {
        const node = await startNode({ ...env, DATABASE_URL: named(db.url, name) });
        cleanups.push(() => node.kill());
        nodes.set(name, node);
      }),
    );
    const a = nodes.get('node-a')!;
    const b = nodes.get('node-b')!;
    const signUp = await gql(a, 'mutation { signUp(email: "owner@example.com", password: "correct horse", name: "owner") { accessToken user { id } } }');
    const token = signUp.data!.signUp.accessToken as string;
    const userId = signUp.data!.signUp.user.id as string;
    const created = await gql(a, 'mutation { createDocument(title: "shared", content: { ops: [{ insert: "start\\n" }] }) { id } }', {}, token);
    const id = created.data!.createDocument.id as string;

    const clientsOn = new Map([...nodes].map(([name, node]) => [name, [0, 1].map((i) => new SyncClient(node, token, id, `${name}-${i}`))]));
    const clients = [...clientsOn.values()].flat();
    for (const c of clients) c.connect();
    const stop = editContinuously(clients, 5);
    // Both nodes writing: each has seen the other's commits and takes the lock.
    await untilAny(clients, () => clients.every((c) => c.acked.size >= 5), { what: '5 acknowledged ops for every client', nodes: [a, b] });

    // Hold the author's row: the next commit stops inside, with the document's lock.
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    cleanups.push(() => holder.end());
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM "User" WHERE "id" = $1 FOR UPDATE', [userId]);
    const holderPid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const activity = new pg.Client({ connectionString: db.url });
    await activity.connect();
    cleanups.push(() => activity.end());
    const blockedBy = async (pid: number) =>
      (
        await activity.query<{ pid: number; name: string }>(
          'SELECT pid, application_name AS name FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid)) AND datname = current_database()',
          [pid],
        )
      ).rows;
    const stuck = await until('a commit stopped inside, holding the document’s lock', async () => (await blockedBy(holderPid)).find((r) => r.name.startsWith('node-')));
    const survivorName = stuck.name === 'node-a' ? 'node-b' : 'node-a';
    // The other node's commit queues behind the stuck one.
    await until(`a commit of ${survivorName} queued behind it`, async () => (await blockedBy(stuck.pid)).find((r) => r.name === survivorName));

    const dead = nodes.get(stuck.name)!;
    const survivor = nodes.get(survivorName)!;
    await dead.kill();
    if (endConnection) await activity.query('SELECT pg_terminate_backend($1)', [stuck.pid]);
    await holder.query('ROLLBACK');

    // The dead node's clients resume on the survivor and resubmit their op in flight.
    for (const c of clientsOn.get(stuck.name)!) await c.moveTo(survivor);
    const before = ackedCount(clients);
    await untilAny(clients, () => ackedCount(clients) >= before + 20, { what: '20 more acknowledged ops through the surviving node', nodes: [survivor] });
    await stop();
    await expectConverged(clients, survivor, token, id, [survivor]);
    const count = await holder.query<{ n: number }>('SELECT count(*)::int AS n FROM "Operation" WHERE "documentId" = $1', [id]);
    expect(count.rows[0]!.n).toBeGreaterThan(before);
    for (const c of clients) await c.disconnect();
  });
});
