// Revoking an API token on one node ends its streams on the others at once
// (the access bus, as for a revoked session), and the commit refuses its
// writes on every node from the moment the revocation commits, even on a
// node that never hears of it.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_CODES } from '../../src/http/socket-guard.ts';
import { createDocument, gql, OPS_SUBSCRIPTION, signUp, startNodeGroup, SUBMIT, subscribe, wsClient, type TestServer } from '../harness.ts';
import { closeCode, headersOf } from '../security/socket-helpers.ts';
import { waitFor } from '../wait-for.ts';
import { createToken, edit, stateOf } from './agent-helpers.ts';

const databaseUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
if (!databaseUrl || !redisUrl) console.warn('[tests] DATABASE_URL and REDIS_URL not both set: API token revocation across nodes is SKIPPED.');

const revoke = (server: TestServer, person: string, id: string) => gql(server, 'mutation($id: ID!) { revokeApiToken(id: $id) }', { id }, person);

describe.skipIf(!databaseUrl || !redisUrl)('API token revocation across nodes', () => {
  let stop: () => Promise<void> = async () => {};
  let a: TestServer;
  let b: TestServer;
  let start: (env?: Record<string, string>) => Promise<TestServer>;

  beforeAll(async () => {
    const group = await startNodeGroup();
    stop = group.stop;
    // A minute of access cache: only the bus (or the commit) can make a node forget in time.
    start = (env = {}) => group.start({ ACCESS_CACHE_MS: '60000', ...env });
    a = await start();
    b = await start();
  });
  afterAll(() => stop());

  it("ends the token's socket and its operation streams on the other node at once", async () => {
    const ann = await signUp(a, 'ann');
    const id = await createDocument(a, ann.token, { ops: [{ insert: 'Hello\n' }] });
    const token = await createToken(a, ann.token, { name: 'agent' });
    const client = wsClient(b, token.secret);
    const stream = subscribe(client, OPS_SUBSCRIPTION, { id, after: 0 });
    const anonymous = wsClient(b);
    const own = subscribe(anonymous, OPS_SUBSCRIPTION, { id, after: 0 }, headersOf(token.secret));
    await waitFor(Promise.all([stream.take(1), own.take(1)]), { what: 'both token streams on node B to deliver version 1', state: () => [stream.results, own.results] });
    // Node B now trusts the token for a minute; node A revokes it.
    expect((await edit(b, token.secret, { documentId: id, edits: [{ insertText: { index: 0, text: '>' } }] })).data?.editDocument.version).toBe(2);

    expect((await revoke(a, ann.token, token.id)).data).toEqual({ revokeApiToken: true });
    expect(closeCode(await waitFor(stream.ended(), { what: "node B to close the revoked token's socket", state: () => stream.results }))).toBe(CLOSE_CODES.SESSION_REVOKED);
    await waitFor(own.ended(), { what: "node B to end the revoked token's operation stream", state: () => own.results });
    expect(own.failure).toBeNull(); // the operation ended, not the anonymous socket
    expect(own.results.at(-1)?.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });
    expect((await gql(b, '{ me { id } }', {}, token.secret)).data?.me).toBeNull();
    await anonymous.dispose();
  });

  // Node C shares the database but not the bus (another Redis prefix), and caches for a minute.
  it('refuses, in the commit, the writes of a token revoked elsewhere on a node that never heard of it', async () => {
    const c = await start({ REDIS_PREFIX: `deaf-${randomBytes(4).toString('hex')}:` });
    const ann = await signUp(a, 'ann');
    const id = await createDocument(a, ann.token, { ops: [{ insert: 'Hello\n' }] });
    const token = await createToken(a, ann.token);
    const write = (seq: number, base: number) =>
      gql(c, SUBMIT, { input: { documentId: id, baseVersion: base, delta: { ops: [{ insert: 'x' }] }, clientId: 'agent', clientSeq: seq } }, token.secret);
    expect((await write(0, 1)).data?.submitOperation.version).toBe(2); // C caches the token
    expect((await revoke(a, ann.token, token.id)).data).toEqual({ revokeApiToken: true });

    expect((await write(1, 2)).errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });
    expect((await edit(c, token.secret, { documentId: id, edits: [{ insertText: { index: 0, text: 'y' } }] })).errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await stateOf(a, ann.token, id)).toEqual({ version: 2, text: 'xHello\n' });
    // Node C took the refusal as news: the token no longer authenticates there either.
    expect((await gql(c, '{ me { id } }', {}, token.secret)).data?.me).toBeNull();
  });
});
