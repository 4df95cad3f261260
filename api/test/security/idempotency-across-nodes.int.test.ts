// Idempotency keys across nodes: two nodes on one PostgreSQL and one Redis.
// An editor's op committed through node A; the owner reuses its
// (clientId, clientSeq) through node B, whose cached head may or may not
// have the op yet, on a base before it (found among the ops rebased over)
// and on a base after it (found only by the log's unique key). Each reuse
// is BAD_USER_INPUT (IDEMPOTENCY_KEY_REUSED) and changes nothing; the
// editor's own resubmission through B gets the first commit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, createDocument, DOC_STATE, gql, share, signUp, startNodeGroup, SUBMIT, type GraphQLResponse, type TestServer } from '../harness.ts';

const databaseUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
if (!databaseUrl || !redisUrl) console.warn('[tests] DATABASE_URL and REDIS_URL not both set: idempotency across nodes is SKIPPED.');


describe.skipIf(!databaseUrl || !redisUrl)('idempotency keys across nodes', () => {
  let stop: () => Promise<void> = async () => {};
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    const group = await startNodeGroup();
    stop = group.stop;
    a = await group.start(); // migrates first
    b = await group.start();
  });
  afterAll(() => stop());

  const expectReused = (res: GraphQLResponse) => {
    expect(res.status).toBeLessThan(500);
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.extensions).toMatchObject({ reason: 'IDEMPOTENCY_KEY_REUSED' });
  };

  it("refuses, on another node, the owner's reuse of an editor's pair, on a base before or after the editor's op", async () => {
    const ann = await signUp(a, 'ann');
    const bob = await signUp(a, 'bob');
    const id = await createDocument(a, ann.token, { ops: [{ insert: 'ab\n' }] });
    await share(a, ann.token, id, bob.email, 'EDITOR');
    const submit = (node: TestServer, token: string, baseVersion: number, text: string) =>
      gql(node, SUBMIT, { input: { documentId: id, baseVersion, delta: { ops: [{ insert: text }] }, clientId: 'x', clientSeq: 8 } }, token);
    // Node B holds the head at version 1 before Bob's op.
    expect((await gql(b, DOC_STATE, { id }, ann.token)).data?.document.version).toBe(1);

    const bobs = await submit(a, bob.token, 1, 'B');
    expect(bobs.data?.submitOperation).toMatchObject({ version: 2, author: { id: bob.userId } });
    const before = (await gql(a, DOC_STATE, { id }, ann.token)).data?.document;
    expectReused(await submit(b, ann.token, 1, 'A'));
    expectReused(await submit(b, ann.token, 2, 'A'));
    expectReused(await submit(b, ann.token, 1, 'B'));
    expect((await gql(b, DOC_STATE, { id }, ann.token)).data?.document).toEqual(before);
    expect((await submit(b, bob.token, 1, 'B')).data?.submitOperation).toEqual(bobs.data?.submitOperation);
    expect((await gql(a, DOC_STATE, { id }, ann.token)).data?.document).toEqual(before);
  });
});
