// The collaboration contract over real HTTP and WebSocket: convergence,
// exact resume, idempotent resubmission, presence, restore.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Delta } from '../../web/src/sync/ot-client.ts';
import {
  availableModes,
  codeOf,
  createDocument,
  DOC_STATE,
  gql,
  OPS_SUBSCRIPTION,
  signUp,
  startServer,
  subscribe,
  SUBMIT,
  wsClient,
  type TestServer,
} from './harness.ts';
import { prng, randomEdit } from './random-edits.ts';
import { SyncClient } from './sync-client.ts';

describe.each(availableModes())('collaboration over HTTP + WebSocket (%s)', (mode) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(mode, { SNAPSHOT_EVERY: '7' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('converges when two clients edit one document at once', async () => {
    const alice = await signUp(server, 'alice');
    const bob = await signUp(server, 'bob');
    const id = await createDocument(server, alice.token, { ops: [{ insert: 'Hello\n' }] });
    await gql(server, 'mutation($id: ID!, $e: String!) { shareDocument(id: $id, email: $e, role: EDITOR) { role } }', { id, e: bob.email }, alice.token);

    const a = new SyncClient(server, alice.token, id, 'alice-tab');
    const b = new SyncClient(server, bob.token, id, 'bob-tab');
    a.connect();
    b.connect();
    await Promise.all([a.until((c) => c.ot.version >= 1), b.until((c) => c.ot.version >= 1)]);

    const rand = prng(42);
    for (let i = 0; i < 60; i++) {
      const c = rand() < 0.5 ? a : b;
      c.edit(randomEdit(c.doc, rand));
      // Let the stream interleave with the edits without sleeping.
      if (i % 5 === 0) await new Promise((r) => setImmediate(r));
    }
    const synced = (c: SyncClient) => c.ot.state === 'synchronised';
    await Promise.all([a.until(synced), b.until(synced)]);
    const server1 = await gql(server, DOC_STATE, { id }, alice.token);
    const head = server1.data!.document.version;
    await Promise.all([a.until((c) => c.ot.version === head), b.until((c) => c.ot.version === head)]);

    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    expect(a.doc.ops).toEqual(server1.data!.document.content.ops);
    expect(b.doc.ops).toEqual(server1.data!.document.content.ops);
    expect(head).toBeGreaterThan(1);
    await Promise.all([a.disconnect(), b.disconnect()]);
  });

  it('resumes with afterVersion: exactly the missed ops, in order, then live ones', async () => {
    const { token } = await signUp(server);
    const id = await createDocument(server, token);
    const submit = (seq: number, baseVersion: number) =>
      gql(server, SUBMIT, { input: { documentId: id, baseVersion, delta: { ops: [{ insert: `${seq}.` }] }, clientId: 'writer', clientSeq: seq } }, token);
    for (let v = 0; v < 10; v++) expect((await submit(v, v)).data?.submitOperation.version).toBe(v + 1);

    const client = wsClient(server, token);
    const stream = subscribe(client, OPS_SUBSCRIPTION, { id, after: 4 });
    const catchUp = await stream.take(6);
    expect(catchUp.map((r) => r.data?.documentOperations.version)).toEqual([5, 6, 7, 8, 9, 10]);
    await submit(10, 10);
    await submit(11, 11);
    const all = await stream.take(8);
    expect(all.map((r) => r.data?.documentOperations.version)).toEqual([5, 6, 7, 8, 9, 10, 11, 12]);
    expect(all.every((r) => !r.errors)).toBe(true);
    stream.dispose();
    await client.dispose();
  });

  it('delivers ops committed while the stream is being set up exactly once', async () => {
    const { token } = await signUp(server);
    const id = await createDocument(server, token);
    const client = wsClient(server, token);
    const stream = subscribe(client, OPS_SUBSCRIPTION, { id, after: 0 });
    // Writes race with the subscription's catch-up read.
    const writes = Array.from({ length: 20 }, (_, i) =>
      gql(server, SUBMIT, { input: { documentId: id, baseVersion: 0, delta: { ops: [{ insert: 'x' }] }, clientId: `w${i}`, clientSeq: 0 } }, token),
    );
    await Promise.all(writes);
    const got = await stream.take(20);
    expect(got.map((r) => r.data?.documentOperations.version)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // Nothing more arrives: one extra op shows whether duplicates were queued before it.
    await gql(server, SUBMIT, { input: { documentId: id, baseVersion: 20, delta: { ops: [{ insert: 'y' }] }, clientId: 'last', clientSeq: 0 } }, token);
    const next = await stream.take(21);
    expect(next[20]?.data?.documentOperations.version).toBe(21);
    stream.dispose();
    await client.dispose();
  });

  it('returns the first commit for a resubmitted (clientId, clientSeq) and adds nothing', async () => {
    const { token } = await signUp(server);
    const id = await createDocument(server, token, { ops: [{ insert: 'abc\n' }] });
    const input = { documentId: id, baseVersion: 1, delta: { ops: [{ retain: 3 }, { insert: '!' }] }, clientId: 'tab-1', clientSeq: 7 };
    const first = await gql(server, SUBMIT, { input }, token);
    // Another writer commits in between, so a re-rebase would differ.
    await gql(server, SUBMIT, { input: { ...input, delta: { ops: [{ insert: '>' }] }, clientId: 'tab-2', clientSeq: 0 } }, token);
    const again = await gql(server, SUBMIT, { input }, token);
    const concurrent = await Promise.all([gql(server, SUBMIT, { input }, token), gql(server, SUBMIT, { input }, token)]);

    expect(first.data?.submitOperation.version).toBe(2);
    expect(again.data?.submitOperation).toEqual(first.data?.submitOperation);
    for (const r of concurrent) expect(r.data?.submitOperation).toEqual(first.data?.submitOperation);
    const state = await gql(server, DOC_STATE, { id }, token);
    expect(state.data?.document).toEqual({ version: 3, content: { ops: [{ insert: '>abc!\n' }] } });
  });

  it('rebases a stale submission over concurrent ops (committed op wins ties)', async () => {
    const { token } = await signUp(server);
    const id = await createDocument(server, token, { ops: [{ insert: 'ab\n' }] });
    const at1 = (clientId: string, text: string) =>
      gql(server, SUBMIT, { input: { documentId: id, baseVersion: 1, delta: { ops: [{ retain: 1 }, { insert: text }] }, clientId, clientSeq: 0 } }, token);
    expect((await at1('first', 'X')).data?.submitOperation.delta).toEqual({ ops: [{ retain: 1 }, { insert: 'X' }] });
    expect((await at1('second', 'Y')).data?.submitOperation.delta).toEqual({ ops: [{ retain: 2 }, { insert: 'Y' }] });
    expect((await gql(server, DOC_STATE, { id }, token)).data?.document.content).toEqual({ ops: [{ insert: 'aXYb\n' }] });
  });

  it('restores an old version as a new forward op', async () => {
    const { token } = await signUp(server);
    const id = await createDocument(server, token, { ops: [{ insert: 'one\n' }] });
    await gql(server, SUBMIT, { input: { documentId: id, baseVersion: 1, delta: { ops: [{ delete: 3 }, { insert: 'two', attributes: { bold: true } }] }, clientId: 'c', clientSeq: 0 } }, token);
    const restored = await gql(server, 'mutation($id: ID!) { restoreVersion(documentId: $id, version: 1) { version } }', { id }, token);
    expect(restored.data?.restoreVersion.version).toBe(3);
    const doc = await gql(server, 'query($id: ID!) { document(id: $id) { version content contentAt(version: 2) operations(afterVersion: 0) { version } } }', { id }, token);
    expect(doc.data?.document).toEqual({
      version: 3,
      content: { ops: [{ insert: 'one\n' }] },
      contentAt: { ops: [{ insert: 'two', attributes: { bold: true } }, { insert: '\n' }] },
      operations: [{ version: 1 }, { version: 2 }, { version: 3 }],
    });
  });

  it('serves time travel across snapshots (contentAt equals the replayed log)', async () => {
    const { token } = await signUp(server);
    const id = await createDocument(server, token);
    for (let v = 0; v < 20; v++) {
      await gql(server, SUBMIT, { input: { documentId: id, baseVersion: v, delta: { ops: [{ insert: String.fromCharCode(97 + v) }] }, clientId: 'c', clientSeq: v } }, token);
    }
    for (const version of [0, 6, 7, 8, 14, 15, 20]) {
      const res = await gql(server, 'query($id: ID!, $v: Int!) { document(id: $id) { contentAt(version: $v) } }', { id, v: version }, token);
      const expected = 'tsrqponmlkjihgfedcba'.slice(20 - version);
      expect(res.data?.document.contentAt).toEqual(version === 0 ? { ops: [] } : { ops: [{ insert: expected }] });
    }
  });

  it('shares presence: updatePresence, documentPresence and Document.presence', async () => {
    const alice = await signUp(server, 'alice');
    const bob = await signUp(server, 'bob');
    const id = await createDocument(server, alice.token, { ops: [{ insert: 'Hello\n' }] });
    await gql(server, 'mutation($id: ID!, $e: String!) { shareDocument(id: $id, email: $e, role: VIEWER) { role } }', { id, e: bob.email }, alice.token);
    const setPresence = (index: number) =>
      gql(server, 'mutation($id: ID!, $i: Int!) { updatePresence(documentId: $id, version: 1, index: $i, length: 3, clientId: "alice-tab") }', { id, i: index }, alice.token);
    expect((await setPresence(2)).data?.updatePresence).toBe(true);
    // A new subscriber first gets who is already here, then live updates.
    const client = wsClient(server, bob.token);
    const stream = subscribe(client, 'subscription($id: ID!) { documentPresence(documentId: $id) { clientId version index length user { name } } }', { id });
    const [current] = await stream.take(1);
    expect(current?.data?.documentPresence).toEqual({ clientId: 'alice-tab', version: 1, index: 2, length: 3, user: { name: 'alice' } });
    await setPresence(4);
    const [, live] = await stream.take(2);
    expect(live?.data?.documentPresence).toMatchObject({ clientId: 'alice-tab', index: 4 });
    const doc = await gql(server, 'query($id: ID!) { document(id: $id) { presence { clientId index } } }', { id }, bob.token);
    expect(doc.data?.document.presence).toEqual([{ clientId: 'alice-tab', index: 4 }]);
    const ahead = await gql(server, 'mutation($id: ID!) { updatePresence(documentId: $id, version: 5, index: 0, length: 0) }', { id }, alice.token);
    expect(codeOf(ahead)).toBe('BAD_USER_INPUT');
    stream.dispose();
    await client.dispose();
  });
});
