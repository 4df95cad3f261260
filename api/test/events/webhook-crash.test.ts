// A node killed (SIGKILL) in the middle of a webhook delivery loses none:
// its claim is a lease in the database, which lapses, and the node started
// after it sends the delivery again and then the rest, in order. Embedded
// mode: the second node opens the same DATA_DIR; in scaled mode any node
// of the deployment would take it the same way (the same SQL).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startNode, type NodeProcess } from '../cluster/processes.ts';
import { gql } from '../harness.ts';
import { seedEmptyPGlite } from '../support/pglite-template.ts';
import { startReceiver } from './webhook-receiver.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function embeddedNode(dataDir: string): Promise<NodeProcess> {
  const node = await startNode({
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    REDIS_URL: '',
    WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
    EVENTS_STAMP_MS: '20',
    WEBHOOK_POLL_MS: '50',
    WEBHOOK_BACKOFF_MS: '50',
    // A claim outlives a request by a little: the killed node's claim lapses soon after.
    WEBHOOK_TIMEOUT_MS: '1500',
    WEBHOOK_LEASE_MS: '3000',
  });
  cleanups.push(() => node.kill());
  return node;
}

describe('webhooks across a node killed mid-delivery (embedded)', { timeout: 300_000 }, () => {
  it('delivers every event at least once, in order, after SIGKILL and a restart', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'collab-webhook-crash-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    // An empty cluster copied in (no initdb in the node): the subject here is the lease, not a first start.
    await seedEmptyPGlite(dataDir);
    let first = true;
    let hanging: () => void = () => {};
    const hung = new Promise<void>((resolve) => (hanging = resolve));
    // The first delivery never gets an answer: the node is killed while it waits.
    const hook = await startReceiver(() => {
      if (!first) return 200;
      first = false;
      hanging();
      return null;
    });
    cleanups.push(() => hook.close());

    const node = await embeddedNode(dataDir);
    const signUp = await gql(node, 'mutation { signUp(email: "crash-hook@example.com", password: "correct horse", name: "Crash") { accessToken } }');
    const token = signUp.data!.signUp.accessToken as string;
    const made = await gql(node, 'mutation($url: String!) { createWebhook(url: $url, events: [CREATED, RENAMED]) { id } }', { url: hook.url }, token);
    const webhookId = made.data!.createWebhook.id as string;
    const created = await gql(node, 'mutation { createDocument(title: "one") { id } }', {}, token);
    const id = created.data!.createDocument.id as string;
    for (const title of ['two', 'three', 'four']) await gql(node, 'mutation($id: ID!, $t: String!) { renameDocument(id: $id, title: $t) { id } }', { id, t: title }, token);
    await hung;
    await node.kill(); // holding its claim on the CREATED delivery, its request unanswered

    const second = await embeddedNode(dataDir);
    const got = await hook.until((r) => new Set(r.map((x) => x.event.id)).size === 4 && r.at(-1)!.event.kind === 'RENAMED' && r.filter((x) => x.event.kind === 'RENAMED').length >= 3);
    // The CREATED delivery was sent again (at least once; more if a slow answer made a node retry), then the rest in order.
    const ids = got.map((r) => BigInt(r.event.id));
    ids.forEach((id, i) => expect(i === 0 || id >= ids[i - 1]!).toBe(true));
    const kinds = got.map((r) => r.event.kind);
    expect(kinds.filter((k) => k === 'CREATED').length).toBeGreaterThanOrEqual(2);
    expect([...new Map(got.map((r) => [r.event.id, r.event.kind])).values()]).toEqual(['CREATED', 'RENAMED', 'RENAMED', 'RENAMED']);
    const log = await gql(second, 'query($id: ID!) { webhookDeliveries(webhookId: $id) { status attempts } }', { id: webhookId }, token);
    const deliveries = log.data!.webhookDeliveries as Array<{ status: string; attempts: number }>;
    expect(deliveries.map((d) => d.status)).toEqual(['DELIVERED', 'DELIVERED', 'DELIVERED', 'DELIVERED']);
    expect(deliveries.at(-1)!.attempts).toBeGreaterThanOrEqual(2); // the CREATED, oldest: the killed node's attempt counted
  });
});
