// documentEvents over real sockets: the outbox read in id order, resumable
// with `after` with no gap and no repeat (also while several clients commit
// at once), CHANGED coalesced into version ranges that cover every version
// once, and authorised on every read: strangers see nothing, an unshared
// member stops at UNSHARED, a token limited to one document sees only it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableModes, codeOf, createDocument, gql, signUp, SUBMIT, subscribe, startServer, wsClient, type TestServer } from '../harness.ts';
import { createToken, edit } from '../agents/agent-helpers.ts';
import { EventRetention } from '../../src/events/event-retention.ts';

/** An embedded node starts in 3-9 s of CPU: far longer on a loaded two-core machine (api/test/cluster/processes.ts). */
const START_MS = 180_000;

const EVENTS = `subscription($after: ID) { documentEvents(after: $after) { id kind documentId version fromVersion toVersion actor { kind user { id } } } }`;

interface Event {
  id: string;
  kind: string;
  documentId: string;
  version: number | null;
  fromVersion: number | null;
  toVersion: number | null;
  actor: { kind: string; user: { id: string } | null } | null;
}

/** Submits `count` one-character inserts at head from one client, each after the previous is acknowledged. */
async function type(server: TestServer, token: string, documentId: string, clientId: string, count: number): Promise<void> {
  for (let seq = 1; seq <= count; seq++) {
    const head = await gql(server, 'query($id: ID!) { document(id: $id) { version } }', { id: documentId }, token);
    const res = await gql(server, SUBMIT, { input: { documentId, baseVersion: head.data!.document.version, delta: { ops: [{ insert: 'x' }] }, clientId, clientSeq: seq } }, token);
    if (!res.data) throw new Error(JSON.stringify(res.errors));
  }
}

/** Events of a stream until `done(events)` holds. */
async function until(stream: ReturnType<typeof subscribe<{ documentEvents: Event }>>, done: (events: Event[]) => boolean): Promise<Event[]> {
  for (let n = 1; ; n++) {
    const results = await stream.take(n);
    if (results.length < n) throw new Error(`stream ended: ${JSON.stringify(results.at(-1))}`);
    const events = results.map((r) => {
      if (!r.data) throw new Error(JSON.stringify(r.errors));
      return r.data.documentEvents;
    });
    if (done(events)) return events;
  }
}

const share = (server: TestServer, owner: string, id: string, email: string, role: string) =>
  gql(server, 'mutation($id: ID!, $e: String!, $r: Role!) { shareDocument(id: $id, email: $e, role: $r) { role } }', { id, e: email, r: role }, owner);

/** Every version 1..head in exactly one CHANGED range, ranges in order. */
function expectRangesCover(events: Event[], documentId: string, head: number): void {
  const ranges = events.filter((e) => e.kind === 'CHANGED' && e.documentId === documentId).map((e) => [e.fromVersion!, e.toVersion!] as const);
  let next = 1;
  for (const [from, to] of ranges) {
    expect(from).toBe(next);
    expect(to).toBeGreaterThanOrEqual(from);
    next = to + 1;
  }
  expect(next - 1).toBe(head);
}

/**
 * A stream of a new user's events from the start (after "0": nothing of
 * theirs exists yet), so it is on before anything it must see happens
 * (a live-only stream has no acknowledgement to wait for).
 */
async function liveStream(_server: TestServer, client: ReturnType<typeof wsClient>, _token: string) {
  return { stream: subscribe<{ documentEvents: Event }>(client, EVENTS, { after: '0' }), skip: 0 };
}

const reached = (events: Event[], documentId: string, version: number) => events.some((e) => e.kind === 'CHANGED' && e.documentId === documentId && e.toVersion === version);

const increasing = (events: Event[]) => events.every((e, i) => i === 0 || BigInt(e.id) > BigInt(events[i - 1]!.id));

describe.each(availableModes())('documentEvents (%s)', (mode) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(mode, { EVENTS_STAMP_MS: '20' });
  }, START_MS);
  afterAll(() => server.stop());

  it('delivers every event after `after` in id order, then live, with CHANGED ranges covering every version once, under concurrent commits', async () => {
    const ann = await signUp(server, 'ann');
    const bob = await signUp(server, 'bob');
    const client = wsClient(server, ann.token);
    const { stream: live, skip } = await liveStream(server, client, ann.token);
    const id = await createDocument(server, ann.token);
    await gql(server, 'mutation($id: ID!) { renameDocument(id: $id, title: "Plan") { id } }', { id }, ann.token);
    await share(server, ann.token, id, bob.email, 'EDITOR');
    // Three clients (two people) commit at once: group commit batches them.
    await Promise.all([type(server, ann.token, id, 'a1', 15), type(server, ann.token, id, 'a2', 15), type(server, bob.token, id, 'b1', 15)]);
    const head = (await gql(server, 'query($id: ID!) { document(id: $id) { version } }', { id }, ann.token)).data!.document.version as number;
    expect(head).toBe(45);
    const marker = await createDocument(server, ann.token); // the last event: its CREATED closes the wait
    // A CHANGED range stays open up to a second: wait for the one that reaches the head too.
    const events = (await until(live, (es) => es.some((e) => e.documentId === marker) && reached(es, id, head))).slice(skip);
    const mine = events.filter((e) => e.documentId === id);
    expect(mine.slice(0, 3).map((e) => e.kind)).toEqual(['CREATED', 'RENAMED', 'SHARED']);
    expect(mine[0]!.actor).toEqual({ kind: 'PERSON', user: { id: ann.userId } });
    expect(mine.slice(3).every((e) => e.kind === 'CHANGED')).toBe(true);
    expectRangesCover(events, id, head);
    expect(increasing(events)).toBe(true);
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);

    // Resumed from the first event: the same events after it, none missed or repeated, whatever the split.
    const cut = Math.floor(events.length / 2);
    const resumed = subscribe<{ documentEvents: Event }>(client, EVENTS, { after: events[cut - 1]!.id });
    const rest = await until(resumed, (es) => es.length === events.length - cut);
    expect(rest).toEqual(events.slice(cut));
    // From the beginning ("0"): everything ann may read, this run included, in order.
    const all = subscribe<{ documentEvents: Event }>(client, EVENTS, { after: '0' });
    const everything = await until(all, (es) => es.some((e) => e.documentId === marker) && reached(es, id, head));
    expect(everything.filter((e) => e.documentId === id || e.documentId === marker)).toEqual(events);
    live.dispose();
    resumed.dispose();
    all.dispose();
    await client.dispose();
  });

  it('shows a stranger nothing, and stops a removed member at UNSHARED', async () => {
    const ann = await signUp(server, 'ann');
    const bob = await signUp(server, 'bob');
    const carl = await signUp(server, 'carl');
    const id = await createDocument(server, ann.token);
    await share(server, ann.token, id, bob.email, 'EDITOR');
    const annClient = wsClient(server, ann.token);
    const bobClient = wsClient(server, bob.token);
    const carlClient = wsClient(server, carl.token);
    const { stream: anns } = await liveStream(server, annClient, ann.token);
    const { stream: bobs, skip: bobSkip } = await liveStream(server, bobClient, bob.token);
    const { stream: carls, skip: carlSkip } = await liveStream(server, carlClient, carl.token);
    await type(server, ann.token, id, 'a', 3);
    await gql(server, 'mutation($id: ID!, $u: ID!) { removeMember(documentId: $id, userId: $u) }', { id, u: bob.userId }, ann.token);
    await type(server, ann.token, id, 'a2', 3); // after the removal: bob must not see these
    await until(anns, (es) => reached(es, id, 6)); // stamped: anything bob or carl may see of it comes before their markers
    // Each one's own new document is their last event: anything of ann's they may see comes before it.
    const bobMarker = await createDocument(server, bob.token);
    const carlMarker = await createDocument(server, carl.token);
    const bobSaw = (await until(bobs, (es) => es.some((e) => e.documentId === bobMarker))).slice(bobSkip);
    const carlSaw = (await until(carls, (es) => es.some((e) => e.documentId === carlMarker))).slice(carlSkip);
    expect(carlSaw.map((e) => e.documentId)).toEqual([carlMarker]);
    const ofDoc = bobSaw.filter((e) => e.documentId === id);
    expect(ofDoc.at(-1)!.kind).toBe('UNSHARED');
    expect(ofDoc.filter((e) => e.kind === 'CHANGED').every((e) => e.toVersion! <= 3)).toBe(true);
    // Resuming from before it all changes nothing: access is checked when read.
    const again = subscribe<{ documentEvents: Event }>(carlClient, EVENTS, { after: '0' });
    const carlsAll = await until(again, (es) => es.some((e) => e.documentId === carlMarker));
    expect(carlsAll.every((e) => e.documentId !== id)).toBe(true);
    for (const s of [anns, bobs, carls, again]) s.dispose();
    await annClient.dispose();
    await bobClient.dispose();
    await carlClient.dispose();
  });

  it('names who joined by a share link, and who revoked it, as the actors of SHARED and UNSHARED', async () => {
    const ann = await signUp(server, 'ann');
    const bob = await signUp(server, 'bob');
    const id = await createDocument(server, ann.token);
    const annClient = wsClient(server, ann.token);
    const { stream } = await liveStream(server, annClient, ann.token);
    const link = await gql(server, 'mutation($id: ID!) { createShareLink(documentId: $id, role: EDITOR) { secret link { id } } }', { id }, ann.token);
    const { secret, link: made } = link.data!.createShareLink as { secret: string; link: { id: string } };
    expect(codeOf(await gql(server, 'mutation($s: String!) { joinDocument(secret: $s) { id } }', { s: secret }, bob.token))).toBeUndefined();
    expect(codeOf(await gql(server, 'mutation($l: ID!) { revokeShareLink(id: $l) }', { l: made.id }, ann.token))).toBeUndefined();
    const events = await until(stream, (es) => es.some((e) => e.kind === 'UNSHARED'));
    expect(events.filter((e) => e.documentId === id).map((e) => [e.kind, e.actor?.user?.id])).toEqual([
      ['CREATED', ann.userId],
      ['SHARED', bob.userId],
      ['UNSHARED', ann.userId],
    ]);
    stream.dispose();
    await annClient.dispose();
  });

  it('reports comments, suggestions and a deletion, the last to everyone who was a member', async () => {
    const ann = await signUp(server, 'ann');
    const bob = await signUp(server, 'bob');
    const id = await createDocument(server, ann.token, { ops: [{ insert: 'Hello world\n' }] });
    await share(server, ann.token, id, bob.email, 'COMMENTER');
    const opened = await gql(server, 'mutation($id: ID!) { openThread(documentId: $id, version: 1, index: 0, length: 5, body: "Why?") { id } }', { id }, bob.token);
    expect(opened.data).toBeTruthy();
    const suggested = await gql(server, 'mutation($id: ID!) { suggest(input: { documentId: $id, baseVersion: 1, delta: { ops: [{ insert: "Oh, " }] }, clientId: "s", clientSeq: 1 }) { id } }', { id }, bob.token);
    expect(suggested.data).toBeTruthy();
    // Ann reads while she is a member; then the document goes.
    const annClient = wsClient(server, ann.token);
    const annStream = subscribe<{ documentEvents: Event }>(annClient, EVENTS, { after: '0' });
    await until(annStream, (es) => es.some((e) => e.kind === 'SUGGESTED'));
    expect((await gql(server, 'mutation($id: ID!) { deleteDocument(id: $id) }', { id }, ann.token)).data?.deleteDocument).toBe(true);
    expect((await until(annStream, (es) => es.some((e) => e.kind === 'DELETED'))).map((e) => [e.kind, e.actor?.user?.id ?? null])).toEqual([
      ['CREATED', ann.userId],
      ['CHANGED', ann.userId],
      ['SHARED', ann.userId],
      ['COMMENTED', bob.userId],
      ['SUGGESTED', bob.userId],
      ['DELETED', ann.userId],
    ]);
    // Bob reads only after the deletion: no member any more, yet the DELETED event is his.
    const client = wsClient(server, bob.token);
    const stream = subscribe<{ documentEvents: Event }>(client, EVENTS, { after: '0' });
    expect((await until(stream, (es) => es.some((e) => e.kind === 'DELETED'))).map((e) => e.kind)).toEqual(['DELETED']);
    stream.dispose();
    annStream.dispose();
    await client.dispose();
    await annClient.dispose();
  });

  it('gives a token limited to one document that document only', async () => {
    const ann = await signUp(server, 'ann');
    const one = await createDocument(server, ann.token);
    const other = await createDocument(server, ann.token);
    const { secret } = await createToken(server, ann.token, { role: 'VIEWER', documentId: one });
    const client = wsClient(server, secret);
    const rename = (id: string, title: string) => gql(server, 'mutation($id: ID!, $t: String!) { renameDocument(id: $id, title: $t) { id } }', { id, t: title }, ann.token);
    await rename(one, 'First');
    await type(server, ann.token, other, 'o', 2);
    await rename(other, 'Other');
    await rename(one, 'Last');
    // From the beginning: everything the token may read, which is `one`'s CREATED and two RENAMED.
    const stream = subscribe<{ documentEvents: Event }>(client, EVENTS, { after: '0' });
    const seen = await until(stream, (es) => es.filter((e) => e.kind === 'RENAMED').length === 2);
    expect(seen.every((e) => e.documentId === one)).toBe(true);
    stream.dispose();
    await client.dispose();
  });

  it("names an agent's API token and run as the actor of the CHANGED range its one-op edit made", async () => {
    const ann = await signUp(server, 'ann');
    const id = await createDocument(server, ann.token); // version 0: the edit below is the range's only op
    const { secret } = await createToken(server, ann.token, { name: 'helper' });
    const res = await edit(server, secret, { documentId: id, edits: [{ insertText: { index: 0, text: 'Hi' } }], runId: 'run-7' });
    expect(res.data?.editDocument).toMatchObject({ version: 1, actor: { kind: 'TOKEN', tokenName: 'helper', runId: 'run-7' } });

    const client = wsClient(server, ann.token);
    const stream = subscribe<{ documentEvents: { kind: string; documentId: string; fromVersion: number | null; toVersion: number | null; actor: unknown } }>(
      client,
      `subscription($after: ID) { documentEvents(after: $after) { kind documentId fromVersion toVersion actor { kind tokenName runId user { id } } } }`,
      { after: '0' },
    );
    const results = await stream.take(2); // CREATED, then the CHANGED range once it is stamped
    expect(results.map((r) => r.data?.documentEvents)).toEqual([
      expect.objectContaining({ kind: 'CREATED', documentId: id }),
      { kind: 'CHANGED', documentId: id, fromVersion: 1, toVersion: 1, actor: { kind: 'TOKEN', tokenName: 'helper', runId: 'run-7', user: { id: ann.userId } } },
    ]);
    stream.dispose();
    await client.dispose();
  });

  it('refuses a bad or future `after` and an anonymous viewer with typed errors', async () => {
    const ann = await signUp(server, 'ann');
    const client = wsClient(server, ann.token);
    for (const after of ['abc', '-1', '1.5', '99999999999999999999', '999999999999']) {
      expect(await subscribe(client, EVENTS, { after }).refusal(), after).toBe('BAD_USER_INPUT');
    }
    await client.dispose();
    const anonymous = wsClient(server);
    expect(await subscribe(anonymous, EVENTS, {}).refusal()).toBe('UNAUTHENTICATED');
    await anonymous.dispose();
    const http = await gql(server, '{ __typename }', {}, ann.token);
    expect(codeOf(http)).toBeUndefined();
  });

  // Last in this block: it prunes every event the tests above wrote.
  it('prunes old events but never the newest nor one a pending delivery needs, and refuses a resume from before them', async () => {
    const ann = await signUp(server, 'ann');
    const documents = [await createDocument(server, ann.token), await createDocument(server, ann.token), await createDocument(server, ann.token)];
    const client = wsClient(server, ann.token);
    const everything = subscribe<{ documentEvents: Event }>(client, EVENTS, { after: '0' });
    const [e1, e2, e3] = (await until(everything, (es) => es.length === 3)).map((e) => e.id);
    everything.dispose();
    const { sql } = server.services.db;
    // A delivery of e2 still to be sent (not before tomorrow: the worker leaves it alone).
    await sql.query(`INSERT INTO "Webhook" ("id", "userId", "url", "events", "secret") VALUES ('retention-test', $1, 'http://127.0.0.1:9/', '{}', 'x')`, [ann.userId]);
    await sql.query(
      `INSERT INTO "WebhookDelivery" ("webhookId", "eventSeq", "documentId", "nextAttemptAt") VALUES ('retention-test', $1::bigint, $2, (now() AT TIME ZONE 'UTC') + INTERVAL '1 day')`,
      [e2, documents[1]],
    );
    // Two days on, with one day kept: every event is old.
    const retention = new EventRetention({ sql, days: 1, now: () => new Date(Date.now() + 2 * 86_400_000) });
    expect((await retention.runOnce()).events).toBeGreaterThan(0);
    const pruned = async (after: string) => (await subscribe(client, EVENTS, { after }).take(1))[0]?.errors?.[0]?.extensions;
    // Everything from e2 on is kept: the delivery needs it.
    expect(await pruned(String(BigInt(e2!) - 2n))).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'EVENTS_PRUNED', earliestAfter: String(BigInt(e2!) - 1n) });
    expect(await pruned('0')).toMatchObject({ reason: 'EVENTS_PRUNED' });
    const fromE1 = subscribe<{ documentEvents: Event }>(client, EVENTS, { after: e1! });
    expect((await until(fromE1, (es) => es.length === 2)).map((e) => e.id)).toEqual([e2, e3]);
    fromE1.dispose();

    // Once delivered (and old), the delivery goes, and every event but the newest with it.
    await sql.query(`UPDATE "WebhookDelivery" SET "status" = 'DELIVERED', "deliveredAt" = (now() AT TIME ZONE 'UTC') WHERE "webhookId" = 'retention-test'`);
    expect(await retention.runOnce()).toMatchObject({ deliveries: 1 });
    const left = await sql.query<{ id: string }>(`SELECT "seq"::text AS id FROM "DocumentEvent" WHERE "seq" IS NOT NULL`);
    expect(left).toEqual([{ id: e3 }]);
    expect(await pruned(e1!)).toMatchObject({ reason: 'EVENTS_PRUNED', earliestAfter: e2 });
    // Ids go on growing after a prune.
    const next = await createDocument(server, ann.token);
    const fromE3 = subscribe<{ documentEvents: Event }>(client, EVENTS, { after: e3! });
    const [after] = await until(fromE3, (es) => es.length === 1);
    expect(after!.documentId).toBe(next);
    expect(BigInt(after!.id)).toBeGreaterThan(BigInt(e3!));
    fromE3.dispose();
    await client.dispose();
  });
});
