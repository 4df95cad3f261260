// Log retention while people edit: real servers, the real sync engine
// (web/src/sync over graphql-ws), retention passes cutting the log under
// clients that are editing, offline, or coming back from before the cut.
// Properties: no acknowledged op is lost (the head keeps every one), and no
// client loses a local edit: every text typed anywhere ends up in the
// document exactly once, and every client ends on the server's content.
import fc from 'fast-check';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGraphqlWsTransport, Delta, DocumentSync } from '../../web/src/sync/index.ts';
import { LogRetention } from '../src/store/log-retention.ts';
import { availableModes, createDocument, DOC_STATE, gql, SHARE, signUp, startServer, type TestServer } from './harness.ts';
import { waitFor } from './wait-for.ts';

const DAY = 86_400_000;

interface Editor {
  name: string;
  sync: DocumentSync;
  socket: Client;
  online: boolean;
}

describe.each(availableModes())('log retention under concurrent editing (%s)', (mode) => {
  let server: TestServer;
  /** Three people, one per editor: a person's socket budget (RATE_LIMIT_SOCKETS_PER_USER) is for one person. */
  let people: Array<{ token: string; email: string }>;

  beforeAll(async () => {
    // Snapshots every 3 versions: a cut lands close to the head.
    server = await startServer(mode, { SNAPSHOT_EVERY: '3' });
    people = await Promise.all(['writer', 'second', 'third'].map((n) => signUp(server, n)));
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
  });

  const token = () => people[0]!.token;
  /** A document made by the first person, which the others may edit. */
  const newDocument = async (text: string) => {
    const id = await createDocument(server, token(), { ops: [{ insert: text }] });
    for (const who of people.slice(1)) expect((await gql(server, SHARE, { id, e: who.email, r: 'EDITOR' }, token())).data?.shareDocument).toEqual({ role: 'EDITOR' });
    return id;
  };
  const open = async (id: string, name: string, who: number): Promise<Editor> => {
    const socket = createClient({ url: server.wsUrl, webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${people[who]!.token}` }, retryAttempts: 0 });
    const sync = await DocumentSync.open({ documentId: id, transport: createGraphqlWsTransport(socket), backoff: { baseMs: 20, maxMs: 200 } });
    return { name, sync, socket, online: true };
  };
  const close = async (editors: Editor[]) => {
    for (const e of editors) {
      await e.sync.close();
      await e.socket.dispose();
    }
  };
  /** Every op of the document looks 40 days old, then a pass cuts (30 days): at the newest snapshot. */
  const cutNow = async (id: string) => {
    await server.services.sequencer.idle(); // a cut lands on a snapshot, stored after its commit
    await server.services.db.sql.query(`UPDATE "Operation" SET "createdAt" = $2::timestamptz AT TIME ZONE 'UTC' WHERE "documentId" = $1`, [id, new Date(Date.now() - 40 * DAY).toISOString()]);
    return new LogRetention({ sql: server.services.db.sql, days: 30, onCut: (documentId) => server.services.sequencer.forget(documentId) }).trim(id);
  };
  const head = async (id: string) => (await gql(server, DOC_STATE, { id }, token())).data!.document as { version: number; content: { ops: Array<{ insert: string }> } };
  /** Waits until every editor is online, has nothing pending and stands at the server's head. */
  const settled = async (id: string, editors: Editor[]) => {
    const done = async () => {
      const { version } = await head(id);
      return editors.every((e) => {
        const s = e.sync.getSnapshot();
        return s.status === 'online' && s.pendingEdits === 0 && s.version === version;
      });
    };
    await waitFor(
      new Promise<void>((resolve, reject) => {
        const check = () => void done().then((ok) => ok && resolve(), reject);
        for (const e of editors) e.sync.subscribe(check);
        check();
      }),
      { what: "every editor synchronised at the head", timeoutMs: 45_000, state: () => editors.map((e) => ({ name: e.name, ...e.sync.getSnapshot(), presences: undefined })) },
    );
  };
  const text = (content: { ops: Array<{ insert?: unknown }> }) => content.ops.map((o) => (typeof o.insert === 'string' ? o.insert : '')).join('');

  it('a client offline across a cut comes back with its edits: reloaded from the snapshot, its text carried over and committed', async () => {
    const id = await newDocument('shared notes\n');
    const [a, b] = [await open(id, 'a', 0), await open(id, 'b', 1)];
    try {
      await settled(id, [a, b]);
      a.sync.setNetworkOnline(false);
      a.sync.applyLocal(new Delta().insert('[a typed offline] '));
      a.sync.applyLocal(new Delta().retain(18 + 6).insert('<more>'));
      for (let i = 0; i < 7; i++) b.sync.applyLocal(new Delta().retain(b.sync.contentLength - 1).insert(` b${i}`));
      await settled(id, [b]);
      const floor = await cutNow(id);
      expect(floor).toBeGreaterThan(a.sync.getSnapshot().version);
      a.sync.setNetworkOnline(true);
      await settled(id, [a, b]);
      const final = text((await head(id)).content);
      expect(final).toContain('[a typed offline] ');
      expect(final).toContain('<more>');
      for (let i = 0; i < 7; i++) expect(final).toContain(` b${i}`);
      expect(a.sync.content.ops).toEqual((await head(id)).content.ops);
      expect(b.sync.content.ops).toEqual((await head(id)).content.ops);
      expect(a.sync.getSnapshot().error).toBeNull();
    } finally {
      await close([a, b]);
    }
  }, 120_000);

  it('loses no acknowledged op and no local edit, whatever the edits, reconnects and cuts', async () => {
    const action = fc.oneof(
      { arbitrary: fc.record({ type: fc.constant('type' as const), who: fc.nat(2), at: fc.double({ min: 0, max: 1, noNaN: true }) }), weight: 8 },
      { arbitrary: fc.record({ type: fc.constant('offline' as const), who: fc.nat(2) }), weight: 2 },
      { arbitrary: fc.record({ type: fc.constant('online' as const), who: fc.nat(2) }), weight: 2 },
      { arbitrary: fc.record({ type: fc.constant('cut' as const) }), weight: 2 },
      { arbitrary: fc.record({ type: fc.constant('settle' as const) }), weight: 1 },
    );
    let run = 0;
    /** Resets of an editor's content: reloads after SNAPSHOT_REQUIRED (the engine resets for nothing else here). */
    let reloads = 0;
    // One case is always among the runs: an editor offline across a cut, typing, while another writes.
    const across = [
      { type: 'offline' as const, who: 0 },
      { type: 'type' as const, who: 0, at: 0 },
      { type: 'type' as const, who: 1, at: 0.5 },
      { type: 'type' as const, who: 1, at: 1 },
      { type: 'settle' as const },
      { type: 'type' as const, who: 2, at: 0.2 },
      { type: 'settle' as const },
      { type: 'cut' as const },
      { type: 'settle' as const }, // the cut is done before e0 comes back
      { type: 'online' as const, who: 0 },
      { type: 'type' as const, who: 1, at: 0.7 },
      { type: 'cut' as const },
    ];
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 30 }), async (actions) => {
        run++;
        const id = await newDocument('\n');
        const editors = [await open(id, 'e0', 0), await open(id, 'e1', 1), await open(id, 'e2', 2)];
        for (const e of editors) e.sync.onContent((change) => void (change.kind === 'reset' && reloads++));
        const typed: string[] = [];
        const cuts: Array<Promise<number | null>> = [];
        try {
          for (const [i, step] of actions.entries()) {
            if (step.type === 'cut') {
              // Not awaited: the cut runs while the edits around it commit.
              cuts.push(cutNow(id));
              continue;
            }
            if (step.type === 'settle') {
              await Promise.all(cuts.splice(0));
              await settled(id, editors.filter((e) => e.online));
              continue;
            }
            const e = editors[step.who]!;
            if (step.type === 'offline' || step.type === 'online') {
              e.online = step.type === 'online';
              e.sync.setNetworkOnline(e.online);
              continue;
            }
            const mark = `{${run}.${i}.${e.name}}`;
            typed.push(mark);
            const length = e.sync.contentLength;
            // Between characters of the text, never inside another mark: every mark stays whole.
            const content = text(e.sync.content);
            let at = Math.min(length - 1, Math.floor(step.at * length));
            while (at > 0 && content.lastIndexOf('{', at - 1) > content.lastIndexOf('}', at - 1)) at--;
            expect(e.sync.applyLocal(new Delta().retain(at).insert(mark))).toBe(true);
          }
          await Promise.all(cuts.splice(0));
          for (const e of editors) {
            e.online = true;
            e.sync.setNetworkOnline(true);
          }
          await settled(id, editors);
          const final = await head(id);
          const written = text(final.content);
          for (const mark of typed) expect(written.split(mark).length - 1, mark).toBe(1);
          for (const e of editors) {
            expect(e.sync.content.ops).toEqual(final.content.ops);
            expect(e.sync.getSnapshot().error).toBeNull();
          }
        } finally {
          await Promise.allSettled(cuts);
          await close(editors);
        }
      }),
      { numRuns: 8, examples: [[across]] },
    );
    // The runs did come back from before a cut.
    expect(reloads).toBeGreaterThan(0);
  }, 600_000);
});
