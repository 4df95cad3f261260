// Presence under abuse, over real HTTP and sockets, in both modes (scaled:
// two nodes on one PostgreSQL and one Redis, the sender on one, the watcher
// on the other): nobody overwrites someone else's entry by reusing its
// clientId; a flood is coalesced (subscribers get far fewer events than were
// sent, the latest always) and bounded by a per-user budget (RATE_LIMITED);
// a socket that closes takes its presence with it (a leave event, no ghost
// for the TTL); an entry that expires is swept and announced as a leave.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableModes, codeOf, createDocument, gql, sharedSerialisations, signUp, startNodeGroup, startServer, subscribe, SUBMIT, wsClient, type Mode, type TestServer } from './harness.ts';

const UPDATE = 'mutation($id: ID!, $c: String!, $i: Int!) { updatePresence(documentId: $id, version: 1, index: $i, length: 0, clientId: $c) }';
const FIELDS = 'clientId index left user { id }';
/** Without `left`: what a client that predates leave events asks for (the spoofing and flood tests need nothing newer). */
const PLAIN_FIELDS = 'clientId index user { id }';
const watchQuery = (fields: string) => `subscription($id: ID!) { documentPresence(documentId: $id) { ${fields} } }`;
const listQuery = (fields: string) => `query($id: ID!) { document(id: $id) { presence { ${fields} } } }`;

type Presence = { clientId: string; index: number; left?: boolean; user: { id: string } | null };
type Result = { data?: Record<string, any> | null; errors?: Array<{ extensions?: { code?: string } }> };

/** A socket that stays open until disposed (as the web client's, which always has streams on it). */
function socketOf(server: TestServer, token: string): Client {
  return createClient({ url: server.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` }, retryAttempts: 0, lazy: false });
}

/** One operation over the socket of `client` (as the web client sends presence). */
function overSocket(client: Client, query: string, variables: Record<string, unknown>): Promise<Result> {
  return new Promise((resolve, reject) => {
    let result: Result = {};
    client.subscribe({ query, variables }, { next: (value) => void (result = value as Result), error: reject, complete: () => resolve(result) });
  });
}

/**
 * A presence stream with a wait for the first event that matches. Resolves
 * once the stream is live: it has seen the watcher's own presence (the
 * clientId `watcher`, which the tests then leave out).
 */
async function watch(server: TestServer, token: string, id: string, fields = FIELDS) {
  const client = wsClient(server, token);
  const stream = subscribe<{ documentPresence: Presence }>(client, watchQuery(fields), { id });
  const events = () => stream.results.flatMap((r) => (r.data ? [r.data.documentPresence] : []));
  const until = async (match: (p: Presence) => boolean): Promise<Presence> => {
    for (let n = 1; ; n++) {
      const taken = await stream.take(n);
      if (taken.length < n) throw new Error(`the presence stream ended before the event it waited for: ${JSON.stringify(stream.results.at(-1))}`);
      const p = taken[n - 1]?.data?.documentPresence;
      if (p && match(p)) return p;
    }
  };
  const marker = 'watcher';
  const set = await gql(server, UPDATE, { id, c: marker, i: 0 }, token);
  if (set.data?.updatePresence !== true) throw new Error(`could not set the watcher's presence: ${JSON.stringify(set.errors)}`);
  await until((p) => p.clientId === marker);
  return {
    events,
    until,
    async close() {
      stream.dispose();
      await client.dispose();
    },
  };
}

/** Document.presence without the watchers' markers. */
async function listed(server: TestServer, token: string, id: string, fields = FIELDS): Promise<Presence[]> {
  const res = await gql(server, listQuery(fields), { id }, token);
  if (!res.data?.document) throw new Error(`could not list presence: ${JSON.stringify(res.errors)}`);
  return (res.data.document.presence as Presence[]).filter((p) => p.clientId !== 'watcher');
}

/** Two nodes: in scaled mode on one database and Redis prefix; embedded, the same node twice. */
async function startNodes(mode: Mode, env: Record<string, string> = {}): Promise<{ a: TestServer; b: TestServer; stop(): Promise<void> }> {
  if (mode === 'embedded') {
    const server = await startServer('embedded', env);
    return { a: server, b: server, stop: () => server.stop() };
  }
  const group = await startNodeGroup();
  const a = await group.start(env); // migrates first
  const b = await group.start(env);
  return { a, b, stop: () => group.stop() };
}

async function sharedDocument(server: TestServer) {
  const owner = await signUp(server, 'owner');
  const viewer = await signUp(server, 'viewer');
  const id = await createDocument(server, owner.token, { ops: [{ insert: 'Hello\n' }] });
  await gql(server, 'mutation($id: ID!, $e: String!) { shareDocument(id: $id, email: $e, role: VIEWER) { role } }', { id, e: viewer.email }, owner.token);
  return { owner, viewer, id };
}

type Nodes = Awaited<ReturnType<typeof startNodes>>;

// The nodes with default settings, started once per mode for the blocks
// below that need nothing else: every test makes its own users and document,
// and what one checks per node (serialisations) it counts from its own start.
const defaultNodes = new Map<Mode, Promise<Nodes>>();
const withDefaults = (mode: Mode) => defaultNodes.get(mode) ?? defaultNodes.set(mode, startNodes(mode)).get(mode)!;
afterAll(async () => {
  for (const nodes of defaultNodes.values()) await (await nodes.catch(() => null))?.stop();
});

describe.each(availableModes())('presence (%s)', (mode) => {
  let nodes: Nodes;
  beforeAll(async () => {
    nodes = await withDefaults(mode);
  });

  it("keeps one entry per (user, clientId): a viewer reusing the owner's clientId gets an entry of its own", async () => {
    const { a, b } = nodes;
    const { owner, viewer, id } = await sharedDocument(a);
    expect((await gql(a, UPDATE, { id, c: 'owner-tab', i: 3 }, owner.token)).data?.updatePresence).toBe(true);
    const watcher = await watch(b, owner.token, id, PLAIN_FIELDS);
    await watcher.until((p) => p.clientId === 'owner-tab' && p.user?.id === owner.userId);
    expect((await gql(b, UPDATE, { id, c: 'owner-tab', i: 5 }, viewer.token)).data?.updatePresence).toBe(true);
    await watcher.until((p) => p.user?.id === viewer.userId);
    const list = await listed(a, owner.token, id, PLAIN_FIELDS);
    const byUser = Object.fromEntries(list.map((p) => [p.user?.id, p.index]));
    expect(byUser).toEqual({ [owner.userId]: 3, [viewer.userId]: 5 });
    await watcher.close();
  });

  it("does not show others the session id in the default clientId", async () => {
    const { a } = nodes;
    const { owner, viewer, id } = await sharedDocument(a);
    const res = await gql(a, 'mutation($id: ID!) { updatePresence(documentId: $id, version: 1, index: 0, length: 0) }', { id }, owner.token);
    expect(res.data?.updatePresence).toBe(true);
    const sessionId = JSON.parse(Buffer.from(owner.token.split('.')[1]!, 'base64url').toString()).sid as string;
    const mine = (await listed(a, viewer.token, id, PLAIN_FIELDS)).filter((p) => p.user?.id === owner.userId);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.clientId).toMatch(/^session-/);
    expect(mine[0]!.clientId).not.toContain(sessionId);
  });

  it('coalesces a flood of updates from one client: watchers get far fewer events, ending with the latest', async () => {
    const { a, b } = nodes;
    const { owner, viewer, id } = await sharedDocument(a);
    const watcher = await watch(b, viewer.token, id, PLAIN_FIELDS);
    const sender = socketOf(a, owner.token);
    // All a client may send at once: a user's reserve is 600 updates (RATE_LIMIT_PRESENCE_PER_USER_BURST).
    const total = 500;
    // Waves of 40 at once (a socket runs at most 50 operations at a time), then the last one alone.
    for (let start = 0; start < total - 1; start += 40) {
      const wave = Array.from({ length: Math.min(40, total - 1 - start) }, (_, k) => overSocket(sender, UPDATE, { id, c: 'flood', i: start + k }));
      for (const result of await Promise.all(wave)) expect(result.data?.updatePresence).toBe(true);
    }
    expect((await overSocket(sender, UPDATE, { id, c: 'flood', i: total - 1 })).data?.updatePresence).toBe(true);
    await watcher.until((p) => p.clientId === 'flood' && p.index === total - 1);
    const received = watcher.events().filter((p) => p.clientId === 'flood');
    expect(received.length).toBeLessThan(total / 4);
    const list = await listed(a, owner.token, id, PLAIN_FIELDS);
    expect(list.filter((p) => p.clientId === 'flood').map((p) => p.index)).toEqual([total - 1]);
    await watcher.close();
    await sender.dispose();
  });

  it("closes a socket's presence with it: the others get a leave event at once; presence set over HTTP stays", async () => {
    const { a, b } = nodes;
    const { owner, viewer, id } = await sharedDocument(a);
    const watcher = await watch(b, viewer.token, id);
    const tab = socketOf(a, owner.token);
    expect((await overSocket(tab, UPDATE, { id, c: 'tab', i: 2 })).data?.updatePresence).toBe(true);
    expect((await gql(a, UPDATE, { id, c: 'http', i: 4 }, owner.token)).data?.updatePresence).toBe(true);
    await watcher.until((p) => p.clientId === 'tab' && !p.left);
    await tab.dispose();
    expect(await watcher.until((p) => p.clientId === 'tab' && p.left === true)).toMatchObject({ clientId: 'tab', left: true, index: 2, user: { id: owner.userId } });
    expect(await listed(b, viewer.token, id)).toEqual([{ clientId: 'http', index: 4, left: false, user: { id: owner.userId } }]);
    await watcher.close();
  });
});

const BATCHES = `subscription($id: ID!) { documentPresenceBatches(documentId: $id) { ${FIELDS} } }`;

/** A documentPresenceBatches stream, live once its first batch (the current set) has come. */
async function watchBatches(server: TestServer, token: string, id: string) {
  const client = wsClient(server, token);
  const stream = subscribe<{ documentPresenceBatches: Presence[] }>(client, BATCHES, { id });
  const batches = () => stream.results.map((r) => {
    if (!r.data) throw new Error(`a presence batch with errors: ${JSON.stringify(r.errors)}`);
    return r.data.documentPresenceBatches;
  });
  if ((await stream.take(1)).length < 1) throw new Error('the presence batch stream ended at once');
  return {
    batches,
    /** Waits until the latest entry of every client, over all batches so far, satisfies `done`. */
    async until(done: (latest: Map<string, Presence>) => boolean): Promise<void> {
      for (let n = 1; ; n++) {
        if ((await stream.take(n)).length < n) throw new Error(`the presence batch stream ended: ${JSON.stringify(stream.results.at(-1))}`);
        const latest = new Map<string, Presence>();
        for (const batch of batches()) for (const p of batch) latest.set(p.clientId, p);
        if (done(latest)) return;
      }
    },
    async close() {
      stream.dispose();
      await client.dispose();
    },
  };
}

describe.each(availableModes())('presence batches (%s)', (mode) => {
  let nodes: Nodes;
  beforeAll(async () => {
    nodes = await withDefaults(mode);
  });

  it("starts with the current set, then sends each window's latest per client, the same batches to every watcher, executed once per node", async () => {
    const { a, b } = nodes;
    const { owner, viewer, id } = await sharedDocument(a);
    expect((await gql(a, UPDATE, { id, c: 'early', i: 1 }, owner.token)).data?.updatePresence).toBe(true);
    const watchers = await Promise.all([0, 1, 2].map(() => watchBatches(b, viewer.token, id)));
    for (const w of watchers) expect(w.batches()).toEqual([[{ clientId: 'early', index: 1, left: false, user: { id: owner.userId } }]]);
    const serialisedBefore = await sharedSerialisations(b);

    // 20 clients of one person move 10 times each, in waves (a socket runs at most 50 operations at once).
    const sender = socketOf(a, owner.token);
    const clients = Array.from({ length: 20 }, (_, c) => `tab-${c}`);
    for (let move = 0; move < 10; move++) {
      for (const result of await Promise.all(clients.map((c) => overSocket(sender, UPDATE, { id, c, i: move })))) expect(result.data?.updatePresence).toBe(true);
    }
    for (const w of watchers) await w.until((latest) => clients.every((c) => latest.get(c)?.index === 9));
    await sender.dispose(); // and every tab leaves with the socket
    for (const w of watchers) await w.until((latest) => clients.every((c) => latest.get(c)?.left === true));

    const live = watchers[0]!.batches().slice(1);
    for (const batch of live) {
      const keys = batch.map((p) => p.clientId);
      expect(new Set(keys).size, `a client twice in one batch: ${keys}`).toBe(keys.length);
    }
    // Each tab's last word is its leave, at its last move.
    const last = new Map(live.flat().map((p) => [p.clientId, p]));
    for (const c of clients) expect(last.get(c), c).toEqual({ clientId: c, index: 9, left: true, user: { id: owner.userId } });
    // Everyone got the same batches, and node b executed and serialised each once for the three.
    for (const w of watchers.slice(1)) expect(w.batches()).toEqual(watchers[0]!.batches());
    expect((await sharedSerialisations(b)) - serialisedBefore).toBe(live.length);
    await Promise.all(watchers.map((w) => w.close()));
  });

  it('sends a waiting batch with the op that follows it: the watcher reads both at once', async () => {
    const { a, b } = nodes;
    const { owner, viewer, id } = await sharedDocument(a);
    // One socket with both streams, as the web client has.
    const client = wsClient(b, viewer.token);
    let opJustArrived = false;
    const ops = subscribe(client, 'subscription($id: ID!) { documentOperationBatches(documentId: $id, afterVersion: 1) { version } }', { id });
    const together: number[] = [];
    const presence = subscribe<{ documentPresenceBatches: Presence[] }>(client, BATCHES, { id });
    await presence.take(1);
    // Told synchronously, message by message, as each socket read is parsed:
    // a presence batch seen while the op's flag is up came in the same read.
    client.on('message', (message) => {
      if (message.type !== 'next') return;
      const data = (message.payload as Result).data;
      if (data?.documentOperationBatches) {
        opJustArrived = true;
        queueMicrotask(() => (opJustArrived = false));
      }
      for (const p of (data?.documentPresenceBatches as Presence[] | undefined) ?? []) if (opJustArrived && p.clientId === 'typist') together.push(p.index);
    });
    // A batch goes early only a window after the last one, and a slow commit
    // can outlast the window: a few rounds, a window apart, of a cursor move
    // and then an edit.
    for (let round = 0; round < 10 && together.length === 0; round++) {
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect((await gql(a, UPDATE, { id, c: 'typist', i: round }, owner.token)).data?.updatePresence).toBe(true);
      const input = { documentId: id, baseVersion: 1 + round, delta: { ops: [{ insert: 'x' }] }, clientId: 'typist', clientSeq: round };
      expect((await gql(a, SUBMIT, { input }, owner.token)).errors).toBeUndefined();
      await ops.take(round + 1);
    }
    expect(together.length).toBeGreaterThan(0);
    ops.dispose();
    presence.dispose();
    await client.dispose();
  });

  it('refuses a stranger with NOT_FOUND and ends the stream of a viewer who is removed', async () => {
    const { a, b } = nodes;
    const { owner, viewer, id } = await sharedDocument(a);
    const stranger = await signUp(a, 'stranger');
    const strangerClient = wsClient(b, stranger.token);
    expect(await subscribe(strangerClient, BATCHES, { id }).refusal()).toBe('NOT_FOUND');
    await strangerClient.dispose();
    const client = wsClient(b, viewer.token);
    const stream = subscribe(client, BATCHES, { id });
    await stream.take(1);
    await gql(a, 'mutation($id: ID!, $u: ID!) { removeMember(documentId: $id, userId: $u) }', { id, u: viewer.userId }, owner.token);
    const [, last] = await stream.take(2);
    expect(last?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    await client.dispose();
  });
});

describe.each(availableModes())('presence expiry (%s)', (mode) => {
  let nodes: Nodes;
  beforeAll(async () => {
    nodes = await startNodes(mode, { PRESENCE_TTL_MS: '1000' });
  });
  afterAll(async () => {
    await nodes?.stop();
  });

  it('sweeps an expired entry and announces it as a leave, without anyone listing presence', async () => {
    const { a, b } = nodes;
    const { owner, viewer, id } = await sharedDocument(a);
    const watcher = await watch(b, viewer.token, id);
    expect((await gql(a, UPDATE, { id, c: 'idle', i: 1 }, owner.token)).data?.updatePresence).toBe(true);
    await watcher.until((p) => p.clientId === 'idle' && !p.left);
    expect(await watcher.until((p) => p.clientId === 'idle' && p.left === true)).toMatchObject({ left: true, index: 1, user: { id: owner.userId } });
    expect((await listed(a, owner.token, id)).filter((p) => p.clientId === 'idle')).toEqual([]);
    await watcher.close();
  });
});

describe.each(availableModes())('presence budget (%s)', (mode) => {
  let server: TestServer;
  beforeAll(async () => {
    // A tighter budget than the default (30 a second + 600; config-security.test.ts) keeps this quick on a loaded machine.
    server = await startServer(mode, { RATE_LIMIT_PRESENCE_PER_USER_RATE: '20', RATE_LIMIT_PRESENCE_PER_USER_BURST: '200' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('bounds one user: past the per-user budget updatePresence is RATE_LIMITED, and the node keeps answering', async () => {
    const { owner, id } = await sharedDocument(server);
    const sender = socketOf(server, owner.token);
    let accepted = 0;
    let limited = 0;
    // Ten times the budget at most, in waves of 40; stops at the first wave that was refused.
    for (let start = 0; start < 3_000 && limited === 0; start += 40) {
      const wave = await Promise.all(Array.from({ length: 40 }, (_, k) => overSocket(sender, UPDATE, { id, c: 'flood', i: start + k })));
      for (const result of wave) {
        if (result.data?.updatePresence === true) accepted++;
        else {
          expect(codeOf(result)).toBe('RATE_LIMITED');
          limited++;
        }
      }
    }
    expect(limited).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(3_000);
    expect((await gql(server, 'query { me { id } }', {}, owner.token)).data?.me.id).toBe(owner.userId);
    await sender.dispose();
  });
});
