// Rules of docs/protocol.md that no other test pins down, over a real
// server: acks arrive in the stream in version order, the idempotency key
// belongs to the author who used it first, server-made ops are told apart by their
// clientId, and the WebSocket carries queries and mutations too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableModes, createDocument, gql, OPS_SUBSCRIPTION, share, signUp, startServer, subscribe, SUBMIT, wsClient, type TestServer } from './harness.ts';


describe.each(availableModes())('client protocol (%s)', (mode) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(mode);
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function sharedDocument(content = 'ab\n') {
    const ann = await signUp(server, 'ann');
    const bob = await signUp(server, 'bob');
    const id = await createDocument(server, ann.token, { ops: [{ insert: content }] });
    await share(server, ann.token, id, bob.email, 'EDITOR');
    return { ann, bob, id };
  }
  const input = (id: string, clientId: string, clientSeq: number, text: string, baseVersion = 1) => ({
    input: { documentId: id, baseVersion, delta: { ops: [{ retain: 1 }, { insert: text }] }, clientId, clientSeq },
  });

  it('acknowledges through the stream: your op arrives with your (clientId, clientSeq), after the ops committed before it', async () => {
    const { ann, bob, id } = await sharedDocument();
    const client = wsClient(server, ann.token);
    const stream = subscribe(client, OPS_SUBSCRIPTION, { id, after: 1 });
    const remote = await gql(server, SUBMIT, input(id, 'bob-tab', 0, 'Y'), bob.token);
    const mine = await gql(server, SUBMIT, input(id, 'ann-tab', 0, 'X'), ann.token);
    const got = (await stream.take(2)).map((r) => r.data?.documentOperations);
    expect(got).toEqual([
      { version: 2, delta: remote.data!.submitOperation.delta, clientId: 'bob-tab', clientSeq: 0 },
      { version: 3, delta: mine.data!.submitOperation.delta, clientId: 'ann-tab', clientSeq: 0 },
    ]);
    // Ann's op was rebased over Bob's (same position, committed op first): the stream carries it as committed.
    expect(got[1]!.delta).toEqual({ ops: [{ retain: 2 }, { insert: 'X' }] });
    stream.dispose();
    await client.dispose();
  });

  it('puts an op before an insert committed meanwhile at its runEnd (a run of typing stays whole), and replays it the same way', async () => {
    // "ab\n": Bob's "[" and Ann's "[" both at 1, both on version 1. Bob's
    // commits first, so Ann's lands after it, at 2: exactly where Bob's run
    // ends. Bob's next letter, sent before he saw Ann's "[", names that end.
    const { ann, bob, id } = await sharedDocument();
    const at = (index: number, text: string) => ({ ops: [{ retain: index }, { insert: text }] });
    const submit = (token: string, clientId: string, clientSeq: number, baseVersion: number, delta: object, runEnd?: number) =>
      gql(server, SUBMIT, { input: { documentId: id, baseVersion, delta, clientId, clientSeq, ...(runEnd === undefined ? {} : { runEnd }) } }, token);
    expect((await submit(bob.token, 'bob-tab', 0, 1, at(1, '['))).data?.submitOperation).toMatchObject({ version: 2, delta: at(1, '[') });
    expect((await submit(ann.token, 'ann-tab', 0, 1, at(1, '['))).data?.submitOperation).toMatchObject({ version: 3, delta: at(2, '[') });
    // Without runEnd the committed "[" would win the tie and Bob's run would read "[" … "y".
    expect((await submit(bob.token, 'bob-tab', 1, 2, at(2, 'y'), 2)).data?.submitOperation).toMatchObject({ version: 4, delta: at(2, 'y') });
    const content = await gql(server, 'query($id: ID!) { document(id: $id) { content } }', { id }, ann.token);
    expect(content.data?.document.content).toEqual({ ops: [{ insert: 'a[y[b\n' }] });
    // The same op again (same base, delta and runEnd) is a replay: the first commit, nothing added.
    expect((await submit(bob.token, 'bob-tab', 1, 2, at(2, 'y'), 2)).data?.submitOperation).toMatchObject({ version: 4, delta: at(2, 'y') });
    // Without its runEnd it is another edit (it would land after Ann's "["): refused, nothing added.
    const reused = await submit(bob.token, 'bob-tab', 1, 2, at(2, 'y'));
    expect(reused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'IDEMPOTENCY_KEY_REUSED' });
    expect((await gql(server, 'query($id: ID!) { document(id: $id) { version } }', { id }, ann.token)).data?.document.version).toBe(4);
  });

  it("keys idempotency by (documentId, clientId, clientSeq) and its first author: reusing another's pair is refused, not answered with their op", async () => {
    const { ann, bob, id } = await sharedDocument();
    const first = await gql(server, SUBMIT, input(id, 'tab-1', 0, 'A'), ann.token);
    const reused = await gql(server, SUBMIT, input(id, 'tab-1', 0, 'B'), bob.token);
    expect(reused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'IDEMPOTENCY_KEY_REUSED' });
    expect((await gql(server, SUBMIT, input(id, 'tab-1', 0, 'A'), ann.token)).data?.submitOperation).toEqual(first.data?.submitOperation);
    const doc = await gql(server, 'query($id: ID!) { document(id: $id) { version content } }', { id }, ann.token);
    expect(doc.data?.document).toEqual({ version: 2, content: { ops: [{ insert: 'aAb\n' }] } });
  });

  it('marks server-made ops: initial content by create-<documentId>, restoreVersion by restore-<uuid>', async () => {
    const { ann, id } = await sharedDocument();
    await gql(server, SUBMIT, input(id, 'tab', 0, 'X'), ann.token);
    await gql(server, 'mutation($id: ID!) { restoreVersion(documentId: $id, version: 1) { version } }', { id }, ann.token);
    const log = await gql(server, 'query($id: ID!) { document(id: $id) { operations(afterVersion: 0) { version clientId clientSeq } } }', { id }, ann.token);
    expect(log.data?.document.operations).toEqual([
      { version: 1, clientId: `create-${id}`, clientSeq: 0 },
      { version: 2, clientId: 'tab', clientSeq: 0 },
      { version: 3, clientId: expect.stringMatching(/^restore-[0-9a-f-]{36}$/), clientSeq: 0 },
    ]);
  });

  it("answers queries and mutations over the WebSocket as over HTTP, as the socket's viewer", async () => {
    const { ann, id } = await sharedDocument();
    const client = wsClient(server, ann.token);
    const once = async (query: string, variables: Record<string, unknown>) => {
      for await (const result of client.iterate({ query, variables })) return result;
      throw new Error('no result');
    };
    const submitted = await once(SUBMIT, input(id, 'socket-tab', 0, 'S'));
    expect(submitted.data?.submitOperation).toMatchObject({ version: 2, clientId: 'socket-tab', author: { id: ann.userId } });
    const state = await once('query($id: ID!) { document(id: $id) { version content } }', { id });
    expect(state.data?.document).toEqual({ version: 2, content: { ops: [{ insert: 'aSb\n' }] } });
    await client.dispose();
  });

  it('gives a large mutation its turn (large-body-gate.ts) whether its body came over HTTP or the WebSocket', async () => {
    const { ann, id } = await sharedDocument();
    const large = 'x'.repeat(100 * 1024); // over the 64 KB where turns start
    const counted = async () => {
      const metric = await server.services.metrics.registry.getSingleMetric('collab_large_requests_total')?.get();
      const of = (transport: string) => metric?.values.find((v) => v.labels.transport === transport)?.value ?? 0;
      return { http: of('http'), websocket: of('websocket') };
    };
    const before = await counted();
    const overHttp = await gql(server, SUBMIT, input(id, 'http-tab', 0, large), ann.token);
    expect(overHttp.data?.submitOperation).toMatchObject({ version: 2 });
    const client = wsClient(server, ann.token);
    let overSocket: unknown;
    for await (const result of client.iterate({ query: SUBMIT, variables: input(id, 'socket-tab', 0, large) })) overSocket = result.data;
    expect(overSocket).toMatchObject({ submitOperation: { version: 3 } });
    // A small one over the socket takes no turn.
    for await (const result of client.iterate({ query: SUBMIT, variables: input(id, 'socket-tab', 1, 'y') })) expect(result.data).toBeTruthy();
    expect(await counted()).toEqual({ http: before.http + 1, websocket: before.websocket + 1 });
    await client.dispose();
  });
});
