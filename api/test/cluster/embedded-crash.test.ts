// Embedded mode (PGlite in the node's process) under a process crash: a
// node killed with SIGKILL while clients edit, then started again on the
// same DATA_DIR, has every op it acknowledged, at the version it gave.
//
// What this does not cover, because embedded mode does not give it: PGlite
// runs Postgres with fsync off and its Node file layer never calls fsync, so
// an acknowledged op is in the operating system's page cache, not on disk.
// It survives the process; it need not survive a power loss or an OS crash
// (README, "How it works"). Scaled mode (PostgreSQL) is the durable one.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gql } from '../harness.ts';
import { SyncClient } from '../sync-client.ts';
import { ackedCount, editContinuously, expectConverged, untilAny } from './load.ts';
import { startNode, type NodeProcess } from './processes.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function embeddedNode(dataDir: string): Promise<NodeProcess> {
  // Empty service URLs mean unset: this node is embedded even where CI exports them.
  const node = await startNode({ DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '' });
  cleanups.push(() => node.kill());
  return node;
}

describe('embedded mode, node killed under load', { timeout: 240_000 }, () => {
  it('keeps every acknowledged op across SIGKILL and a restart on the same data', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'collab-crash-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const first = await embeddedNode(dataDir);
    const email = `crash-${randomBytes(3).toString('hex')}@example.com`;
    const signUp = await gql(first, 'mutation($e: String!) { signUp(email: $e, password: "correct horse", name: "Crash") { accessToken } }', { e: email });
    const token = signUp.data!.signUp.accessToken as string;
    const created = await gql(first, 'mutation { createDocument(title: "crash", content: { ops: [{ insert: "start\\n" }] }) { id } }', {}, token);
    const id = created.data!.createDocument.id as string;

    const clients = [0, 1, 2].map((i) => new SyncClient(first, token, id, `c-${i}`));
    for (const c of clients) c.connect();
    const stop = editContinuously(clients, 5);
    await untilAny(clients, () => ackedCount(clients) >= 60, { what: '60 acknowledged ops before the crash', nodes: [first] });
    await first.kill(); // mid-load: ops in flight, commits under way
    const ackedBeforeCrash = ackedCount(clients);

    // The embedded secret lives in DATA_DIR, so the same token is valid after the restart.
    const second = await embeddedNode(dataDir);
    // Before anyone resubmits: the log reaches the highest version acknowledged before the crash.
    const highestAcked = Math.max(...clients.flatMap((c) => [...c.acked.values()]));
    const head = await gql(second, 'query($id: ID!) { document(id: $id) { version } }', { id }, token);
    expect(head.data?.document.version).toBeGreaterThanOrEqual(highestAcked);
    for (const c of clients) await c.moveTo(second);
    await untilAny(clients, () => ackedCount(clients) >= ackedBeforeCrash + 30, { what: '30 more acknowledged ops after the restart', nodes: [second] });
    await stop();
    // Every op acknowledged before and after the crash is in the log at its acknowledged version, once.
    const version = await expectConverged(clients, second, token, id, [second]);
    expect(version).toBeGreaterThanOrEqual(ackedBeforeCrash + 30);
    for (const c of clients) await c.disconnect();
  });
});
