// Access changes made on one node end streams and sockets on another: two
// nodes on one PostgreSQL and one Redis (same prefix), and again on a Redis
// Cluster (the access bus is then a sharded channel), a member removed and
// a session revoked through node A while the victim is connected to node B.
// And a write that an access change forbids is refused on every node from
// the moment the change commits, even on a node that never hears of it.
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { CLOSE_CODES } from '../../src/http/socket-guard.ts';
import { codeOf, createDocument, gql, OPS_SUBSCRIPTION, redisModes, redisTarget, signUp, startNodeGroup, SUBMIT, subscribe, wsClient, type TestServer } from '../harness.ts';

/** Polls `check` for up to two seconds (the access bus delivers in milliseconds). */
async function eventually(check: () => Promise<boolean>): Promise<boolean> {
  for (const started = Date.now(); Date.now() - started < 2_000; await new Promise((r) => setTimeout(r, 20))) if (await check()) return true;
  return false;
}
import { closeCode, headersOf } from './socket-helpers.ts';
import { waitFor } from '../wait-for.ts';

const modes = redisModes();
if (!modes.includes('scaled')) console.warn('[tests] DATABASE_URL and REDIS_URL not both set: access changes across nodes are SKIPPED.');

describe.skipIf(modes.length === 0).each(modes.length ? modes : (['scaled'] as const))('access changes across nodes (%s)', (mode) => {
  let stop: () => Promise<void> = async () => {};
  let a: TestServer;
  let b: TestServer;
  let start: (env?: Record<string, string>) => Promise<TestServer>;

  beforeAll(async () => {
    const group = await startNodeGroup(mode);
    stop = group.stop;
    start = (env = {}) => group.start({ ACCESS_CACHE_MS: '60000', ...env });
    a = await start(); // migrates first
    b = await start();
  });
  afterAll(() => stop());

  it("ends a removed member's stream on the other node at once with NOT_FOUND", async () => {
    const owner = await signUp(a, 'owner');
    const member = await signUp(a, 'member');
    const id = await createDocument(a, owner.token, { ops: [{ insert: 'Hello\n' }] });
    await gql(a, 'mutation($id: ID!, $e: String!) { shareDocument(id: $id, email: $e, role: EDITOR) { role } }', { id, e: member.email }, owner.token);
    const client = wsClient(b, member.token);
    const stream = subscribe(client, OPS_SUBSCRIPTION, { id, after: 0 });
    await waitFor(stream.take(1), { what: "the member's stream on node B to deliver the document", state: () => stream.results });

    expect((await gql(a, 'mutation($id: ID!, $u: ID!) { removeMember(documentId: $id, userId: $u) }', { id, u: member.userId }, owner.token)).data).toEqual({ removeMember: true });
    await waitFor(stream.ended(), { what: "node B to end the removed member's stream", state: () => stream.results });
    expect(stream.results.at(-1)?.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'ACCESS_REVOKED' });
    await client.dispose();
  });

  it('closes the sockets of a session revoked on the other node with 4002', async () => {
    const user = await signUp(a, 'user');
    const id = await createDocument(a, user.token, { ops: [{ insert: 'Hi\n' }] });
    const client = wsClient(b, user.token);
    const stream = subscribe(client, OPS_SUBSCRIPTION, { id, after: 0 });
    await waitFor(stream.take(1), { what: "the user's stream on node B to deliver the document", state: () => stream.results });
    expect((await gql(a, 'mutation { logOutEverywhere }', {}, user.token)).data).toEqual({ logOutEverywhere: true });
    expect(closeCode(await waitFor(stream.ended(), { what: 'node B to close the socket of the revoked session', state: () => stream.results }))).toBe(CLOSE_CODES.SESSION_REVOKED);
  });

  it('ends a stream signed in by its own operation token on the other node when the session is revoked (UNAUTHENTICATED, SESSION_REVOKED)', async () => {
    const user = await signUp(a, 'optoken');
    const id = await createDocument(a, user.token, { ops: [{ insert: 'Hi\n' }] });
    const client = wsClient(b); // anonymous: the token comes with the operation, as from GraphiQL's Headers tab
    const stream = subscribe(client, OPS_SUBSCRIPTION, { id, after: 0 }, headersOf(user.token));
    await waitFor(stream.take(1), { what: 'the stream signed in by its operation token on node B to deliver the document', state: () => stream.results });
    expect((await gql(a, 'mutation { logOutEverywhere }', {}, user.token)).data).toEqual({ logOutEverywhere: true });
    await waitFor(stream.ended(), { what: 'node B to end the stream of the revoked session', state: () => stream.results });
    expect(stream.failure).toBeNull(); // the operation ended, not the socket
    expect(stream.results.at(-1)?.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'SESSION_REVOKED' });
    await client.dispose();
  });

  // ACCESS_CACHE_MS is a minute here: only the access bus can make node B forget in time.
  it("forgets node B's cached role and session as soon as node A changes them", async () => {
    const owner = await signUp(a, 'owner');
    const member = await signUp(a, 'member');
    const id = await createDocument(a, owner.token);
    const share = (role: string) => gql(a, 'mutation($id: ID!, $e: String!, $r: Role!) { shareDocument(id: $id, email: $e, role: $r) { role } }', { id, e: member.email, r: role }, owner.token);
    const write = (seq: number) => gql(b, SUBMIT, { input: { documentId: id, baseVersion: 0, delta: { ops: [{ insert: 'x' }] }, clientId: 'm', clientSeq: seq } }, member.token);
    const presence = () => gql(b, 'mutation($id: ID!) { updatePresence(documentId: $id, version: 0, index: 0, length: 0) }', { id }, member.token);
    await share('EDITOR');
    expect((await write(0)).data?.submitOperation).toMatchObject({ version: 1 }); // node B now holds the role and the session
    expect((await presence()).data).toEqual({ updatePresence: true });
    await share('VIEWER');
    // Refused at once, whether or not the bus has reached node B yet: the commit checks the role of record.
    expect(codeOf(await write(1))).toBe('FORBIDDEN');
    // Presence has no commit to check it: the bus must make node B forget.
    expect((await gql(a, 'mutation($id: ID!, $u: ID!) { removeMember(documentId: $id, userId: $u) }', { id, u: member.userId }, owner.token)).data).toEqual({ removeMember: true });
    expect(await eventually(async () => codeOf(await presence()) === 'NOT_FOUND')).toBe(true);
    expect((await gql(a, 'mutation { logOutEverywhere }', {}, member.token)).data).toEqual({ logOutEverywhere: true });
    // A revoked token reads as no token at all over HTTP: `me` is null.
    expect(await eventually(async () => (await gql(b, '{ me { id } }', {}, member.token)).data?.me === null)).toBe(true);
    expect((await gql(a, 'query($id: ID!) { document(id: $id) { version } }', { id }, owner.token)).data?.document).toEqual({ version: 1 });
  });

  // Node C shares the database but not the bus (another prefix), and trusts
  // its cache for a minute: it never hears of the changes below. The commit
  // still refuses every write the change forbids, as of the moment it committed.
  it('refuses, in the commit, writes that a node with a stale cache would let through', async () => {
    const c = await start({ REDIS_PREFIX: `deaf-${randomBytes(4).toString('hex')}:` });
    const owner = await signUp(a, 'owner');
    const [demoted, removed, loggedOut] = [await signUp(a, 'demoted'), await signUp(a, 'removed'), await signUp(a, 'loggedout')];
    const id = await createDocument(a, owner.token);
    for (const user of [demoted, removed, loggedOut]) {
      await gql(a, 'mutation($id: ID!, $e: String!) { shareDocument(id: $id, email: $e, role: EDITOR) { role } }', { id, e: user.email }, owner.token);
    }
    let version = 0;
    const write = (user: { token: string; userId: string }) =>
      gql(c, SUBMIT, { input: { documentId: id, baseVersion: version, delta: { ops: [{ insert: 'x' }] }, clientId: user.userId, clientSeq: version } }, user.token);
    for (const user of [demoted, removed, loggedOut]) expect((await write(user)).data?.submitOperation).toMatchObject({ version: ++version }); // C caches each

    await gql(a, 'mutation($id: ID!, $e: String!) { shareDocument(id: $id, email: $e, role: VIEWER) { role } }', { id, e: demoted.email }, owner.token);
    await gql(a, 'mutation($id: ID!, $u: ID!) { removeMember(documentId: $id, userId: $u) }', { id, u: removed.userId }, owner.token);
    await gql(a, 'mutation { logOutEverywhere }', {}, loggedOut.token);

    const refused = await Promise.all([write(demoted), write(removed), write(loggedOut)]);
    expect(refused.map((r) => r.errors?.[0]?.extensions)).toEqual([
      expect.objectContaining({ code: 'FORBIDDEN', role: 'VIEWER' }),
      expect.objectContaining({ code: 'NOT_FOUND' }),
      expect.objectContaining({ code: 'UNAUTHENTICATED' }),
    ]);
    // Node C took the refusals as news: it no longer trusts what it cached for them.
    const presence = (user: { token: string }) => gql(c, 'mutation($id: ID!) { updatePresence(documentId: $id, version: 0, index: 0, length: 0) }', { id }, user.token);
    expect(codeOf(await presence(removed))).toBe('NOT_FOUND');
    expect((await gql(c, '{ me { id } }', {}, loggedOut.token)).data?.me).toBeNull();
    // Nothing of them reached the log, and the owner's next write commits at the next version.
    expect((await gql(a, 'query($id: ID!) { document(id: $id) { version } }', { id }, owner.token)).data?.document).toEqual({ version: 3 });
    expect((await write(owner)).data?.submitOperation).toMatchObject({ version: 4 });
  });

  it(`shares rate-limit budgets between nodes through ${mode === 'cluster' ? 'the Redis Cluster' : 'Redis'}`, async () => {
    const config = loadConfig({ DATA_DIR: os.tmpdir(), RATE_LIMIT_AUTH_PER_ACCOUNT: '2' }).security.rateLimits!;
    const { createRateLimits } = await import('../../src/limits/rate-limits.ts');
    const { connectRedis } = await import('../../src/pubsub/redis-connections.ts');
    const nodes = [await connectRedis(redisTarget(mode)), await connectRedis(redisTarget(mode))];
    const prefix = `acc-rl-${randomBytes(4).toString('hex')}:`;
    const [one, two] = [createRateLimits(config, nodes[0]!.commands, prefix), createRateLimits(config, nodes[1]!.commands, prefix)];
    await one.consume(['authPerAccount', 'x@example.com']);
    await two.consume(['authPerAccount', 'x@example.com']);
    await expect(one.consume(['authPerAccount', 'x@example.com'])).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await Promise.all(nodes.map((node) => node.close()));
  });
});
