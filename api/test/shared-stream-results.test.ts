// Live op batches are executed once per query and shared between
// subscribers (api/src/http/shared-stream-results.ts). Sharing must never
// change what anyone receives: subscribers that started at different
// versions, or whose selections differ by a variable, each get exactly
// their own stream; and nothing reachable from Operation may depend on who
// is asking, or sharing would leak it.
import { isObjectType, getNamedType, type GraphQLNamedType } from 'graphql';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema } from '../src/schema/index.ts';
import { availableModes, createDocument, gql, sharedSerialisations, signUp, startServer, subscribe, SUBMIT, wsClient, type TestServer } from './harness.ts';

const BATCHES = `subscription($id: ID!, $after: Int!, $withDelta: Boolean!) {
  documentOperationBatches(documentId: $id, afterVersion: $after) { version clientId delta @include(if: $withDelta) author { name } }
}`;

describe.each(availableModes())('shared op-stream results (%s)', (mode) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(mode);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('gives every subscriber exactly its own stream, whatever it started from or selected', async () => {
    const owner = await signUp(server, 'owner');
    const viewer = await signUp(server, 'viewer');
    const id = await createDocument(server, owner.token, { ops: [{ insert: 'ab\n' }] }); // version 1
    await gql(server, 'mutation($id: ID!, $e: String!) { shareDocument(id: $id, email: $e, role: VIEWER) { role } }', { id, e: viewer.email }, owner.token);
    const clients = [wsClient(server, owner.token), wsClient(server, viewer.token), wsClient(server, viewer.token)];
    const streams = [
      subscribe(clients[0]!, BATCHES, { id, after: 0, withDelta: true }),
      subscribe(clients[1]!, BATCHES, { id, after: 1, withDelta: true }),
      subscribe(clients[2]!, BATCHES, { id, after: 1, withDelta: false }),
    ];
    await streams[0]!.take(1); // the catch-up (version 1) proves the first is live
    for (let seq = 0; seq < 5; seq++) {
      const res = await gql(server, SUBMIT, { input: { documentId: id, baseVersion: 1 + seq, delta: { ops: [{ insert: String(seq) }] }, clientId: 'w', clientSeq: seq } }, owner.token);
      expect(res.errors).toBeUndefined();
    }
    const flat = async (stream: (typeof streams)[number], count: number) => {
      const ops: Array<Record<string, unknown>> = [];
      for (let n = 1; ops.length < count; n++) {
        const [result] = (await stream.take(n)).slice(n - 1);
        expect(result?.errors).toBeUndefined();
        ops.push(...(result!.data!.documentOperationBatches as Array<Record<string, unknown>>));
      }
      return ops;
    };
    const expected = (from: number, withDelta: boolean) =>
      [1, 2, 3, 4, 5, 6].filter((v) => v > from).map((version) => ({
        version,
        clientId: version === 1 ? `create-${id}` : 'w',
        ...(withDelta && { delta: { ops: version === 1 ? [{ insert: 'ab\n' }] : [{ insert: String(version - 2) }] } }),
        author: { name: 'owner' },
      }));
    expect(await flat(streams[0]!, 6)).toEqual(expected(0, true));
    expect(await flat(streams[1]!, 5)).toEqual(expected(1, true));
    expect(await flat(streams[2]!, 5)).toEqual(expected(1, false));
    await Promise.all(clients.map((c) => c.dispose()));
  });

  it('still ends a shared stream for the one subscriber who lost access, and only for them', async () => {
    const owner = await signUp(server, 'owner');
    const member = await signUp(server, 'member');
    const id = await createDocument(server, owner.token, { ops: [{ insert: 'x\n' }] });
    await gql(server, 'mutation($id: ID!, $e: String!) { shareDocument(id: $id, email: $e, role: VIEWER) { role } }', { id, e: member.email }, owner.token);
    const [a, b] = [wsClient(server, owner.token), wsClient(server, member.token)];
    const ownerStream = subscribe(a, BATCHES, { id, after: 0, withDelta: true });
    const memberStream = subscribe(b, BATCHES, { id, after: 0, withDelta: true });
    await Promise.all([ownerStream.take(1), memberStream.take(1)]);
    await gql(server, 'mutation($id: ID!, $u: ID!) { removeMember(documentId: $id, userId: $u) }', { id, u: member.userId }, owner.token);
    await memberStream.ended();
    expect(memberStream.results.at(-1)?.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND' });
    await gql(server, SUBMIT, { input: { documentId: id, baseVersion: 1, delta: { ops: [{ insert: 'y' }] }, clientId: 'o', clientSeq: 0 } }, owner.token);
    const [, second] = await ownerStream.take(2);
    expect(second?.data?.documentOperationBatches).toMatchObject([{ version: 2, clientId: 'o' }]);
    expect(ownerStream.done).toBe(false);
    await Promise.all([a.dispose(), b.dispose()]);
  });
  it('serialises a batch shared by many subscribers once, and each still gets its own message id and the exact payload', async () => {
    const owner = await signUp(server, 'owner');
    const id = await createDocument(server, owner.token, { ops: [{ insert: 'ab\n' }] }); // version 1
    const clients = Array.from({ length: 5 }, () => wsClient(server, owner.token));
    const streams = clients.map((c) => subscribe(c, BATCHES, { id, after: 1, withDelta: true }));
    // Live: a first op seen by all (subscriptions have no "started" message).
    await gql(server, SUBMIT, { input: { documentId: id, baseVersion: 1, delta: { ops: [{ insert: '<' }] }, clientId: 'w', clientSeq: 0 } }, owner.token);
    await Promise.all(streams.map((s) => s.take(1)));
    const before = await sharedSerialisations(server);
    // Text that looks like the stand-in's JSON must come through as text.
    const tricky = '"payload":"shared-payload:"}';
    const res = await gql(server, SUBMIT, { input: { documentId: id, baseVersion: 2, delta: { ops: [{ retain: 1 }, { insert: tricky, attributes: { bold: true } }] }, clientId: 'w', clientSeq: 1 } }, owner.token);
    expect(res.errors).toBeUndefined();
    for (const stream of streams) {
      const [, second] = await stream.take(2);
      expect(second).toEqual({
        data: { documentOperationBatches: [{ version: 3, clientId: 'w', delta: { ops: [{ retain: 1 }, { insert: tricky, attributes: { bold: true } }] }, author: { name: 'owner' } }] },
      });
    }
    expect((await sharedSerialisations(server)) - before).toBe(1);
    await Promise.all(clients.map((c) => c.dispose()));
  });

  it('sends a shared batch as a text frame whose bytes are exactly the JSON, whatever characters the ids and the text hold', async () => {
    const owner = await signUp(server, 'owner');
    const id = await createDocument(server, owner.token, { ops: [{ insert: 'ab\n' }] }); // version 1
    // Raw graphql-transport-ws, so the frames themselves are seen; the
    // message ids (chosen by each client) have multi-byte characters.
    const ids = ['ü-1', '订阅-2', 'plain-3'];
    const frames: Array<{ id: string; binary: boolean; text: string }> = [];
    const sockets = await Promise.all(
      ids.map(
        (subscriptionId) =>
          new Promise<WebSocket>((resolve, reject) => {
            const ws = new WebSocket(server.wsUrl, 'graphql-transport-ws');
            ws.on('error', reject);
            ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${owner.token}` } })));
            ws.on('message', (data: Buffer, isBinary: boolean) => {
              const message = JSON.parse(data.toString('utf8')) as { type: string };
              if (message.type === 'connection_ack') {
                ws.send(JSON.stringify({ id: subscriptionId, type: 'subscribe', payload: { query: BATCHES, variables: { id, after: 1, withDelta: true } } }));
                resolve(ws);
              } else if (message.type === 'next') frames.push({ id: subscriptionId, binary: isBinary, text: data.toString('utf8') });
            });
          }),
      ),
    );
    // Live: a first op seen by all (subscriptions have no "started" message).
    const submit = (seq: number, ops: unknown[]) =>
      gql(server, SUBMIT, { input: { documentId: id, baseVersion: 1 + seq, delta: { ops }, clientId: 'w', clientSeq: seq } }, owner.token);
    expect((await submit(0, [{ insert: '<' }])).errors).toBeUndefined();
    await expect.poll(() => frames.length).toBe(ids.length);
    const text = 'héllo wörld ✓ 😀';
    expect((await submit(1, [{ retain: 1 }, { insert: text }])).errors).toBeUndefined();
    await expect.poll(() => frames.length).toBe(2 * ids.length);
    for (const subscriptionId of ids) {
      const frame = frames.filter((f) => f.id === subscriptionId).at(-1)!;
      expect(frame.binary).toBe(false);
      expect(JSON.parse(frame.text)).toEqual({
        id: subscriptionId,
        type: 'next',
        payload: { data: { documentOperationBatches: [{ version: 3, clientId: 'w', delta: { ops: [{ retain: 1 }, { insert: text }] }, author: { name: 'owner' } }] } },
      });
    }
    for (const ws of sockets) ws.close();
  });
});

/** Every field reachable from `typeName`, as Type.field. */
function reachable(typeName: string): string[] {
  const schema = buildSchema();
  const seen = new Set<string>();
  const walk = (type: GraphQLNamedType) => {
    if (!isObjectType(type)) return;
    for (const field of Object.values(type.getFields())) {
      const name = `${type.name}.${field.name}`;
      if (seen.has(name)) continue;
      seen.add(name);
      walk(getNamedType(field.type));
    }
  };
  walk(schema.getType(typeName)!);
  return [...seen].sort();
}

describe('what a shared stream can reach', () => {
  it('presence batches: only presences and their users (no field that reads the viewer): re-check sharing before adding to this list', () => {
    expect(reachable('Presence')).toEqual([
      'Presence.clientId',
      'Presence.index',
      'Presence.left',
      'Presence.length',
      'Presence.updatedAt',
      'Presence.user',
      'Presence.version',
      'User.email',
      'User.id',
      'User.name',
    ]);
  });

  it('op streams: only ops and their authors (no field that reads the viewer): re-check sharing before adding to this list', () => {
    // Operation.actor: who wrote the op (its author, its API token's name, its run), the same for every viewer.
    expect(reachable('Operation')).toEqual([
      'Actor.kind',
      'Actor.runId',
      'Actor.tokenName',
      'Actor.user',
      'Operation.actor',
      'Operation.author',
      'Operation.clientId',
      'Operation.clientSeq',
      'Operation.createdAt',
      'Operation.delta',
      'Operation.version',
      'User.email',
      'User.id',
      'User.name',
    ]);
  });
});
