// Idempotency keys are bound to their author and their edit: a
// (clientId, clientSeq) already committed answers with the first commit
// only to the same author resubmitting the same op. An owner who reuses an
// editor's pair, or an author who reuses their own pair for other text, gets
// BAD_USER_INPUT (reason IDEMPOTENCY_KEY_REUSED), status < 500, and the
// document is unchanged, instead of the other op passed off as their commit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableModes, codeOf, createDocument, DOC_STATE, gql, share, signUp, startServer, SUBMIT, type GraphQLResponse, type TestServer } from '../harness.ts';

type User = { token: string; userId: string; email: string };

describe.each(availableModes())('idempotency keys (%s)', (mode) => {
  let server: TestServer;
  let ann: User; // owner
  let bob: User; // editor

  beforeAll(async () => {
    server = await startServer(mode);
    [ann, bob] = await Promise.all([signUp(server, 'ann'), signUp(server, 'bob')]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const state = async (id: string) => (await gql(server, DOC_STATE, { id }, ann.token)).data?.document;
  const submit = (id: string, who: User, baseVersion: number, ops: unknown[], clientId = 'x', clientSeq = 8) =>
    gql(server, SUBMIT, { input: { documentId: id, baseVersion, delta: { ops }, clientId, clientSeq } }, who.token);
  const expectReused = (res: GraphQLResponse) => {
    expect(res.status).toBeLessThan(500);
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.extensions).toMatchObject({ reason: 'IDEMPOTENCY_KEY_REUSED' });
    expect(res.data?.submitOperation ?? null).toBeNull();
  };

  async function sharedDocument(): Promise<string> {
    const id = await createDocument(server, ann.token, { ops: [{ insert: 'ab\n' }] });
    await share(server, ann.token, id, bob.email, 'EDITOR');
    return id;
  }

  it("refuses the owner's submission under the editor's (clientId, clientSeq): not answered with the editor's op", async () => {
    const id = await sharedDocument();
    const bobs = await submit(id, bob, 1, [{ retain: 1 }, { insert: 'B' }]);
    expect(bobs.data?.submitOperation).toMatchObject({ version: 2, author: { id: bob.userId } });
    const before = await state(id);
    // Later, with other text, on the same base or on the head.
    expectReused(await submit(id, ann, 1, [{ retain: 1 }, { insert: 'A' }]));
    expectReused(await submit(id, ann, 2, [{ insert: 'A' }]));
    // The very same delta is still Bob's op, not Ann's.
    expectReused(await submit(id, ann, 1, [{ retain: 1 }, { insert: 'B' }]));
    expect(await state(id)).toEqual(before);
    // Bob's own resubmission gets his first commit back, and adds nothing.
    expect((await submit(id, bob, 1, [{ retain: 1 }, { insert: 'B' }])).data?.submitOperation).toEqual(bobs.data?.submitOperation);
    expect(await state(id)).toEqual(before);
  });

  it('refuses an author reusing their own pair for another delta; the same op resubmitted still gets its first commit', async () => {
    const id = await sharedDocument();
    const first = await submit(id, ann, 1, [{ insert: 'one ' }]);
    await submit(id, bob, 1, [{ retain: 2 }, { insert: '!' }], 'bob-tab', 0);
    const before = await state(id);
    expectReused(await submit(id, ann, 1, [{ insert: 'two ' }]));
    expectReused(await submit(id, ann, 3, [{ insert: 'one ' }]));
    expect(await state(id)).toEqual(before);
    expect((await submit(id, ann, 1, [{ insert: 'one ' }])).data?.submitOperation).toEqual(first.data?.submitOperation);
    // Concurrent resubmissions of the same op: one commit, the same answer.
    const again = await Promise.all([submit(id, ann, 1, [{ insert: 'one ' }]), submit(id, ann, 1, [{ insert: 'one ' }])]);
    for (const r of again) expect(r.data?.submitOperation).toEqual(first.data?.submitOperation);
    expect(await state(id)).toEqual(before);
  });

  it('refuses two authors racing for one pair at once: one commits, the other is told', async () => {
    const id = await sharedDocument();
    const results = await Promise.all([submit(id, ann, 1, [{ insert: 'A' }], 'race', 0), submit(id, bob, 1, [{ insert: 'B' }], 'race', 0)]);
    const won = results.filter((r) => r.data?.submitOperation);
    expect(won.length).toBe(1);
    expectReused(results.find((r) => !r.data?.submitOperation)!);
    const text = won[0]!.data?.submitOperation.author.id === ann.userId ? 'A' : 'B';
    expect(await state(id)).toEqual({ version: 2, content: { ops: [{ insert: `${text}ab\n` }] } });
  });
});
