// Renaming from the editor header: everyone with the document open sees the
// new title live (documentRenamed), on whichever node they are connected;
// strangers cannot follow a document's title, and a refused rename sends
// nothing. A rename read after a later one is left out, never shown twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { titlesTopic } from '../src/pubsub/channels.ts';
import { availableModes, codeOf, createDocument, gql, hasScaled, SHARE, signUp, startServer, subscribe, suiteNodeGroup, type TestServer, wsClient } from './harness.ts';

const RENAME = 'mutation($id: ID!, $t: String!) { renameDocument(id: $id, title: $t) { title } }';
const WATCH = 'subscription($d: ID!) { documentRenamed(documentId: $d) { id title myRole } }';
const REMOVE = 'mutation($id: ID!, $u: ID!) { removeMember(documentId: $id, userId: $u) }';

type Renamed = { documentRenamed: { id: string; title: string; myRole: string } };
type Stream = ReturnType<typeof subscribe<Renamed>>;

/**
 * Waits until `stream` is live (graphql-ws does not acknowledge a
 * subscription): renames to probe titles until one arrives, then once
 * more and waits for that one; returns the index where the test's own
 * events start.
 */
async function untilLive(stream: Stream, rename: (title: string) => Promise<unknown>): Promise<number> {
  let n = 0;
  while (stream.results.length === 0) await rename(`probe ${n++}`);
  const fence = `fence ${n}`;
  await rename(fence);
  for (let k = 1; !stream.results.some((r) => r.data?.documentRenamed.title === fence); k++) {
    if ((await stream.take(k)).length < k) throw new Error(`the title stream ended: ${JSON.stringify(stream.results.at(-1))}`);
  }
  return stream.results.length;
}

async function setup(node: TestServer, watcherNode: TestServer) {
  const owner = await signUp(node, 'owner');
  const editor = await signUp(node, 'editor');
  const id = await createDocument(node, owner.token, { ops: [{ insert: 'Hello\n' }] });
  expect((await gql(node, SHARE, { id, e: editor.email, r: 'EDITOR' }, owner.token)).errors).toBeUndefined();
  const client = wsClient(watcherNode, editor.token);
  const stream = subscribe<Renamed>(client, WATCH, { d: id });
  const rename = async (title: string) => {
    const res = await gql(node, RENAME, { id, t: title }, owner.token);
    expect(res.errors).toBeUndefined();
  };
  return { owner, editor, id, client, stream, rename };
}

describe.each(availableModes())('document rename, live (%s)', (mode) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(mode);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('sends every rename to the people who have the document open, and ends the stream when access goes', async () => {
    const { owner, editor, id, client, stream, rename } = await setup(server, server);
    try {
      const base = await untilLive(stream, rename);
      await rename('Launch plan');
      await rename('Launch plan, v2');
      // The first rename's event again, as a node would deliver it late: by now it is overtaken.
      await server.services.titlesBus.publish(titlesTopic(id), { documentId: id, title: 'Launch plan' });
      await rename('Launch plan, v3');
      const renames = ['Launch plan', 'Launch plan, v2', 'Launch plan, v3'];
      for (let k = base + 1; !stream.results.some((r) => r.data?.documentRenamed.title === renames.at(-1)); k++) {
        if ((await stream.take(k)).length < k) throw new Error(`the title stream ended: ${JSON.stringify(stream.results.at(-1))}`);
      }
      const events = stream.results.slice(base).map((r) => r.data?.documentRenamed);
      for (const event of events) expect(event).toEqual({ id, title: expect.any(String), myRole: 'EDITOR' });
      // Titles in the order they were set, each once, ending with the last: an event read after a
      // later rename is left out (on a busy node the first two may both be), never shown twice.
      const titles = events.map((e) => e!.title);
      expect(titles).toEqual(renames.filter((t) => titles.includes(t)));
      expect(titles.at(-1)).toBe('Launch plan, v3');

      // A refused rename (not the owner; a blank title) changes nothing and sends nothing.
      const before = stream.results.length;
      const notOwner = await gql(server, RENAME, { id, t: 'Mine now' }, editor.token);
      expect(codeOf(notOwner)).toBe('FORBIDDEN');
      expect(notOwner.status).toBeLessThan(500);
      const blank = await gql(server, RENAME, { id, t: '   ' }, owner.token);
      expect(codeOf(blank)).toBe('BAD_USER_INPUT');
      await rename('After the refusals');
      const [next] = (await stream.take(before + 1)).slice(before);
      expect(next?.data?.documentRenamed.title).toBe('After the refusals');

      // Removed from the document: the stream ends with NOT_FOUND.
      expect((await gql(server, REMOVE, { id, u: editor.userId }, owner.token)).errors).toBeUndefined();
      await stream.ended();
      expect(stream.results.at(-1)?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    } finally {
      stream.dispose();
      await client.dispose();
    }
  });

  it("refuses a stranger (NOT_FOUND) and nobody signed in (UNAUTHENTICATED) a document's title stream", async () => {
    const owner = await signUp(server, 'owner');
    const stranger = await signUp(server, 'stranger');
    const id = await createDocument(server, owner.token);
    for (const [token, code] of [
      [stranger.token, 'NOT_FOUND'],
      [undefined, 'UNAUTHENTICATED'],
    ] as const) {
      const client = wsClient(server, token);
      try {
        expect(await subscribe(client, WATCH, { d: id }).refusal()).toBe(code);
      } finally {
        await client.dispose();
      }
    }
  });
});

describe.runIf(hasScaled())('document rename, live across nodes', () => {
  const group = suiteNodeGroup();

  it('reaches a watcher on another node', async () => {
    const a = await group.start();
    const b = await group.start();
    const { id, client, stream, rename } = await setup(a, b);
    try {
      const base = await untilLive(stream, rename);
      await rename('Renamed on node a');
      const [event] = (await stream.take(base + 1)).slice(base);
      expect(event?.data?.documentRenamed).toEqual({ id, title: 'Renamed on node a', myRole: 'EDITOR' });
    } finally {
      stream.dispose();
      await client.dispose();
    }
  });
});
