// Webhooks against a real local HTTP receiver: signed deliveries that
// verify, retried after 5xx with backoff, in order per document, dead-
// lettered after WEBHOOK_MAX_ATTEMPTS (the document's later events go on),
// a delivery log; and every bad input refused with a typed error and
// nothing stored, private and loopback URLs included unless allowed.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../agents/agent-helpers.ts';
import { availableModes, codeOf, createDocument, gql, signUp, SUBMIT, startServer, type TestServer } from '../harness.ts';
import { verify } from '../../src/webhooks/signature.ts';
import { startReceiver, type Receiver } from './webhook-receiver.ts';

/** An embedded node starts in 3-9 s of CPU: far longer on a loaded two-core machine (api/test/cluster/processes.ts). */
const START_MS = 180_000;

const CREATE = 'mutation($url: String!, $events: [DocumentEventKind!]!) { createWebhook(url: $url, events: $events) { id secret } }';
const DELETE = 'mutation($id: ID!) { deleteWebhook(id: $id) }';
const LOG = 'query($id: ID!) { webhookDeliveries(webhookId: $id) { eventId documentId status attempts lastStatusCode lastError deliveredAt } }';

// Fast retries for the test; the limits themselves are the product's.
const FAST = { EVENTS_STAMP_MS: '20', WEBHOOK_POLL_MS: '20', WEBHOOK_BACKOFF_MS: '20', WEBHOOK_BACKOFF_MAX_MS: '200', WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_TIMEOUT_MS: '2000', WEBHOOK_LEASE_MS: '5000' };

const receivers: Receiver[] = [];
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.close();
});

async function receiver(respond?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const r = await startReceiver(respond);
  receivers.push(r);
  return r;
}

const webhookCount = (server: TestServer) => server.services.db.prisma.webhook.count();

async function edit(server: TestServer, token: string, documentId: string, clientId: string, count: number): Promise<void> {
  for (let seq = 1; seq <= count; seq++) {
    const head = await gql(server, 'query($id: ID!) { document(id: $id) { version } }', { id: documentId }, token);
    await gql(server, SUBMIT, { input: { documentId, baseVersion: head.data!.document.version, delta: { ops: [{ insert: 'x' }] }, clientId, clientSeq: seq } }, token);
  }
}

describe.each(availableModes())('webhooks (%s)', (mode) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(mode, { ...FAST, WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
  }, START_MS);
  afterAll(() => server.stop());

  it('signs each delivery (HMAC-SHA256 over timestamp and raw body) and sends the event id', async () => {
    const ann = await signUp(server, 'ann');
    const hook = await receiver();
    const made = await gql(server, CREATE, { url: hook.url, events: ['CREATED', 'RENAMED'] }, ann.token);
    const { id: webhookId, secret } = made.data!.createWebhook as { id: string; secret: string };
    expect(secret).toMatch(/^whsec_/);
    const doc = await createDocument(server, ann.token);
    await gql(server, 'mutation($id: ID!) { renameDocument(id: $id, title: "Renamed") { id } }', { id: doc }, ann.token);
    const got = await hook.until((r) => r.length >= 2);
    expect(got.map((r) => r.event.kind)).toEqual(['CREATED', 'RENAMED']);
    for (const r of got) {
      expect(r.event.documentId).toBe(doc);
      expect(r.event.webhookId).toBe(webhookId);
      expect(r.headers['x-collab-event-id']).toBe(r.event.id);
      expect(verify(secret, String(r.headers['x-collab-signature']), String(r.headers['x-collab-timestamp']), r.body)).toBe(true);
      // Another secret, or a changed body, does not verify.
      expect(verify(secret + 'x', String(r.headers['x-collab-signature']), String(r.headers['x-collab-timestamp']), r.body)).toBe(false);
      expect(verify(secret, String(r.headers['x-collab-signature']), String(r.headers['x-collab-timestamp']), r.body.replace(doc, 'other'))).toBe(false);
    }
    const log = await gql(server, LOG, { id: webhookId }, ann.token);
    expect(log.data!.webhookDeliveries.map((d: { status: string; lastStatusCode: number }) => [d.status, d.lastStatusCode])).toEqual([
      ['DELIVERED', 200],
      ['DELIVERED', 200],
    ]);
  });

  it('retries after 500s, keeps each document in order, and dead-letters after the last attempt', async () => {
    const ann = await signUp(server, 'ann');
    const one = await createDocument(server, ann.token);
    const two = await createDocument(server, ann.token);
    // Document one's first RENAMED fails twice, then succeeds; two's first fails every time (dead-lettered).
    const failures = new Map<string, number>();
    let firstOfTwo: string | null = null;
    const hook = await receiver((r) => {
      const key = r.event.id;
      if (r.event.documentId === two) {
        firstOfTwo ??= key;
        if (key === firstOfTwo) return 500;
      }
      const seen = failures.get(key) ?? 0;
      failures.set(key, seen + 1);
      return r.event.documentId === one && seen < 2 ? 503 : 200;
    });
    const made = await gql(server, CREATE, { url: hook.url, events: ['RENAMED', 'CHANGED'] }, ann.token);
    const webhookId = made.data!.createWebhook.id as string;
    const rename = (id: string, title: string) => gql(server, 'mutation($id: ID!, $t: String!) { renameDocument(id: $id, title: $t) { id } }', { id, t: title }, ann.token);
    await rename(one, 'A');
    await rename(two, 'B');
    await rename(one, 'C');
    await edit(server, ann.token, two, 'e', 2);
    await rename(two, 'D');
    // Done when both documents' last RENAMED got through: one's two renames take three attempts each,
    // two's first is tried three times (dead) and its second once.
    const renamesOf = (r: Array<{ event: { kind: string; documentId: string } }>, doc: string) => r.filter((x) => x.event.kind === 'RENAMED' && x.event.documentId === doc).length;
    const got = await hook.until((r) => renamesOf(r, one) >= 6 && renamesOf(r, two) >= 4);
    // In order per document: a later event only after the earlier one was delivered or dead-lettered.
    for (const doc of [one, two]) {
      const ids = got.filter((r) => r.event.documentId === doc).map((r) => BigInt(r.event.id));
      const firstSeen = [...new Set(ids)];
      expect(firstSeen).toEqual([...firstSeen].sort((a, b) => (a < b ? -1 : 1)));
      // Retries repeat only the same event, never go back to an earlier one.
      ids.forEach((id, i) => expect(i === 0 || id >= ids[i - 1]!).toBe(true));
    }
    // The worker records an outcome after the receiver has answered: wait until nothing of theirs is pending.
    type Delivery = { eventId: string; documentId: string; status: string; attempts: number; lastStatusCode: number | null };
    let log: Delivery[];
    for (;;) {
      log = (await gql(server, LOG, { id: webhookId }, ann.token)).data!.webhookDeliveries as Delivery[];
      if (!log.some((d) => [one, two].includes(d.documentId) && d.status === 'PENDING')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const ofOne = log.filter((d) => d.documentId === one).reverse();
    expect(ofOne.map((d) => [d.status, d.attempts])).toEqual([
      ['DELIVERED', 3],
      ['DELIVERED', 3],
    ]);
    const ofTwo = log.filter((d) => d.documentId === two).reverse();
    expect(ofTwo[0]).toMatchObject({ status: 'DEAD', attempts: 3, lastStatusCode: 500 });
    expect(ofTwo.slice(1).every((d) => d.status === 'DELIVERED')).toBe(true);
    expect(ofTwo.some((d) => d.status === 'DELIVERED')).toBe(true);
  });

  it('refuses bad input with typed errors and stores nothing', async () => {
    const ann = await signUp(server, 'ann');
    const bob = await signUp(server, 'bob');
    const before = await webhookCount(server);
    const cases: Array<[string, Record<string, unknown>, string, string?]> = [
      ['not a URL', { url: 'not a url', events: ['CREATED'] }, 'BAD_USER_INPUT', 'BAD_URL'],
      ['ftp', { url: 'ftp://example.com/hook', events: ['CREATED'] }, 'BAD_USER_INPUT', 'BAD_URL'],
      ['credentials', { url: 'https://u:p@example.com/hook', events: ['CREATED'] }, 'BAD_USER_INPUT', 'BAD_URL'],
      ['too long', { url: 'https://example.com/' + 'a'.repeat(3000), events: ['CREATED'] }, 'BAD_USER_INPUT', 'BAD_URL'],
      ['no events', { url: 'https://example.com/hook', events: [] }, 'BAD_USER_INPUT'],
      ['unknown kind', { url: 'https://example.com/hook', events: ['EXPLODED'] }, 'BAD_USER_INPUT'],
    ];
    for (const [what, variables, code, reason] of cases) {
      const res = await gql(server, CREATE, variables, ann.token);
      expect(codeOf(res), what).toBe(code);
      if (reason) expect(res.errors?.[0]?.extensions?.reason, what).toBe(reason);
      expect(res.status, what).toBeLessThan(500);
    }
    expect(codeOf(await gql(server, CREATE, { url: 'https://example.com/hook', events: ['CREATED'] }))).toBe('UNAUTHENTICATED');
    const doc = await createDocument(server, ann.token);
    const { secret } = await createToken(server, ann.token, { role: 'EDITOR', documentId: doc });
    const byToken = await gql(server, CREATE, { url: 'https://example.com/hook', events: ['CREATED'] }, secret);
    expect([codeOf(byToken), byToken.errors?.[0]?.extensions?.reason]).toEqual(['FORBIDDEN', 'API_TOKEN']);
    expect(await webhookCount(server)).toBe(before);

    // deleteWebhook: unknown ids and other people's webhooks are NOT_FOUND, and stay.
    const hook = await receiver();
    const mine = (await gql(server, CREATE, { url: hook.url, events: ['CREATED'] }, ann.token)).data!.createWebhook.id as string;
    for (const id of ['no-such-webhook', '00000000-0000-0000-0000-000000000000']) expect(codeOf(await gql(server, DELETE, { id }, ann.token))).toBe('NOT_FOUND');
    expect(codeOf(await gql(server, DELETE, { id: mine }, bob.token))).toBe('NOT_FOUND');
    expect(codeOf(await gql(server, LOG, { id: mine }, bob.token))).toBe('NOT_FOUND');
    expect((await gql(server, '{ webhooks { id } }', {}, ann.token)).data!.webhooks).toEqual([{ id: mine }]);
    expect((await gql(server, DELETE, { id: mine }, ann.token)).data!.deleteWebhook).toBe(true);
    expect((await gql(server, '{ webhooks { id } }', {}, ann.token)).data!.webhooks).toEqual([]);
  });
});

describe('webhooks with the default settings (embedded)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer('embedded');
  }, START_MS);
  afterAll(() => server.stop());

  it('refuses loopback, private and link-local URLs', async () => {
    const ann = await signUp(server, 'ann');
    const before = await webhookCount(server);
    for (const url of ['http://127.0.0.1:8080/hook', 'http://localhost/hook', 'http://10.1.2.3/hook', 'http://192.168.0.1/', 'http://169.254.169.254/latest/meta-data', 'http://[::1]/hook', 'http://[::ffff:127.0.0.1]/', 'http://0.0.0.0/']) {
      const res = await gql(server, CREATE, { url, events: ['CREATED'] }, ann.token);
      expect([codeOf(res), res.errors?.[0]?.extensions?.reason], url).toEqual(['BAD_USER_INPUT', 'PRIVATE_URL']);
    }
    expect(await webhookCount(server)).toBe(before);
  });
});
