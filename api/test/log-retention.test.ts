// Log retention over real HTTP and WebSocket, on PGlite (and PostgreSQL +
// Redis when CI gives them): the cut keeps the head, named versions and
// idempotent answers; everything that would need a dropped op gets a typed
// SNAPSHOT_REQUIRED and changes nothing. Commit times are set in the log
// directly (retention is about days; tests do not wait).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogRetention } from '../src/store/log-retention.ts';
import { availableModes, codeOf, createDocument, DOC_STATE, gql, OPS_SUBSCRIPTION, signUp, startServer, SUBMIT, subscribe, wsClient, type TestServer } from './harness.ts';

const DAY = 86_400_000;
const CONTENT_AT = `query($id: ID!, $v: Int!) { document(id: $id) { contentAt(version: $v) } }`;
const EXPORT = `query($id: ID!, $v: Int) { document(id: $id) { export(format: TEXT, version: $v) } }`;
const OPERATIONS = `query($id: ID!, $after: Int!) { document(id: $id) { operations(afterVersion: $after) { version } } }`;
const HISTORY = `query($id: ID!, $before: Int) { document(id: $id) { history(first: 100, beforeVersion: $before) { fromVersion toVersion name trimmed authors { id } } } }`;
const NAME = `mutation($id: ID!, $v: Int!, $n: String!) { nameVersion(documentId: $id, version: $v, name: $n) { version name } }`;
const RESTORE = `mutation($id: ID!, $v: Int!) { restoreVersion(documentId: $id, version: $v) { version } }`;
const REVERT = `mutation($doc: ID!, $run: String!) { revertRun(documentId: $doc, runId: $run) { version } }`;
const EDIT = `mutation($input: EditDocumentInput!) { editDocument(input: $input) { version } }`;

describe.each(availableModes())('log retention (%s)', (mode) => {
  let server: TestServer;
  let owner: { token: string; userId: string; email: string };
  let editor: { token: string; userId: string; email: string };

  const state = async (id: string) => (await gql(server, DOC_STATE, { id }, owner.token)).data!.document as { version: number; content: unknown };
  const submit = (id: string, token: string, baseVersion: number, ops: unknown[], clientId: string, clientSeq: number) =>
    gql(server, SUBMIT, { input: { documentId: id, baseVersion, delta: { ops }, clientId, clientSeq } }, token);
  /** Makes versions 1..upTo look `days` old, once the snapshots under way are stored (after their commits: a cut lands on one). */
  const age = async (id: string, upTo: number, days: number) => {
    await server.services.sequencer.idle();
    await server.services.db.sql.query(`UPDATE "Operation" SET "createdAt" = $3::timestamptz AT TIME ZONE 'UTC' WHERE "documentId" = $1 AND "version" <= $2`, [
      id,
      upTo,
      new Date(Date.now() - days * DAY).toISOString(),
    ]);
  };
  const retention = (days = 30) =>
    new LogRetention({ sql: server.services.db.sql, days, onCut: (documentId) => server.services.sequencer.forget(documentId) });

  beforeAll(async () => {
    // A snapshot every 5 versions: cuts can land at 5, 10, 15...
    server = await startServer(mode, { SNAPSHOT_EVERY: '5' });
    [owner, editor] = await Promise.all([signUp(server, 'owner'), signUp(server, 'editor')]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  describe('a document cut at version 10 of 12', () => {
    let id: string;
    let before: { version: number; content: unknown };
    let at4: unknown;
    let at7: unknown;

    beforeAll(async () => {
      id = await createDocument(server, owner.token, { ops: [{ insert: 'x\n' }] }); // v1
      const share = await gql(server, 'mutation($id: ID!, $e: String!) { shareDocument(id: $id, email: $e, role: EDITOR) { role } }', { id, e: editor.email }, owner.token);
      expect(share.errors).toBeUndefined();
      // v2: the editor's op, whose ack we pretend was lost (resubmitted below, after the cut).
      expect((await submit(id, editor.token, 1, [{ insert: 'E' }], 'ed', 0)).errors).toBeUndefined();
      for (let v = 3; v <= 12; v++) expect((await submit(id, owner.token, v - 1, [{ insert: String(v % 10) }], 'own', v)).errors).toBeUndefined();
      // v11 and v12 stay recent; the rest is 40 days old.
      await age(id, 10, 40);
      expect((await gql(server, NAME, { id, v: 4, n: 'draft' }, owner.token)).errors).toBeUndefined();
      at4 = (await gql(server, CONTENT_AT, { id, v: 4 }, owner.token)).data!.document.contentAt;
      at7 = (await gql(server, CONTENT_AT, { id, v: 7 }, owner.token)).data!.document.contentAt;
      before = await state(id);

      // Two passes at once (two nodes): one cuts, the other finds nothing left to do.
      const cuts = await Promise.all([retention().trim(id), retention().trim(id)]);
      expect(cuts.sort()).toEqual([10, null].sort());
      expect(await retention().runOnce()).toEqual([]);
    });

    it('drops the old ops and the snapshots no name needs, and keeps the head', async () => {
      const rows = await server.services.db.sql.query<{ version: number }>(`SELECT "version" FROM "Operation" WHERE "documentId" = $1 ORDER BY "version"`, [id]);
      expect(rows.map((r) => r.version)).toEqual([11, 12]);
      const snaps = await server.services.db.sql.query<{ version: number }>(`SELECT "version" FROM "Snapshot" WHERE "documentId" = $1 ORDER BY "version"`, [id]);
      expect(snaps.map((r) => r.version)).toEqual([4, 10]);
      expect(await state(id)).toEqual(before);
      // Reloaded from the log, not from this node's cache.
      server.services.sequencer.forget(id);
      expect(await state(id)).toEqual(before);
    });

    it('keeps named versions readable, and answers versions below the cut with SNAPSHOT_REQUIRED', async () => {
      expect((await gql(server, CONTENT_AT, { id, v: 4 }, owner.token)).data!.document.contentAt).toEqual(at4);
      const text = (at4 as { ops: Array<{ insert: string }> }).ops.map((o) => o.insert).join('');
      expect((await gql(server, EXPORT, { id, v: 4 }, owner.token)).data!.document.export).toBe(text);
      for (const query of [CONTENT_AT, EXPORT]) {
        const res = await gql(server, query, { id, v: 7 }, owner.token);
        expect(codeOf(res)).toBe('SNAPSHOT_REQUIRED');
        expect(res.errors![0]!.extensions).toMatchObject({ snapshotVersion: 10 });
      }
      expect(at7).not.toEqual(at4);
      expect((await gql(server, CONTENT_AT, { id, v: 10 }, owner.token)).errors).toBeUndefined();
      expect(codeOf(await gql(server, OPERATIONS, { id, after: 3 }, owner.token))).toBe('SNAPSHOT_REQUIRED');
      expect((await gql(server, OPERATIONS, { id, after: 10 }, owner.token)).data!.document.operations).toEqual([{ version: 11 }, { version: 12 }]);
      // Restoring a dropped version, or naming one, is refused and changes nothing.
      expect(codeOf(await gql(server, RESTORE, { id, v: 7 }, owner.token))).toBe('SNAPSHOT_REQUIRED');
      expect(codeOf(await gql(server, NAME, { id, v: 7, n: 'too late' }, owner.token))).toBe('SNAPSHOT_REQUIRED');
      expect((await gql(server, NAME, { id, v: 4, n: 'first draft' }, owner.token)).data!.nameVersion).toEqual({ version: 4, name: 'first draft' });
      expect((await gql(server, RESTORE, { id, v: 4 }, owner.token)).errors).toBeUndefined();
      before = await state(id);
    });

    it('refuses a submission based below the cut with SNAPSHOT_REQUIRED and the snapshot version, and changes nothing', async () => {
      const res = await submit(id, owner.token, 5, [{ insert: 'late' }], 'new-client', 0);
      expect(codeOf(res)).toBe('SNAPSHOT_REQUIRED');
      expect(res.errors![0]!.extensions).toMatchObject({ code: 'SNAPSHOT_REQUIRED', snapshotVersion: 10, committed: false, clientSeq: 0 });
      expect(await state(id)).toEqual(before);
      // A fresh submission at the cut itself is fine.
      expect((await submit(id, owner.token, 10, [{ insert: 'ok' }], 'new-client', 1)).errors).toBeUndefined();
      before = await state(id);
    });

    it('tells a client that resubmits an op committed below the cut that it was committed, and applies it no second time', async () => {
      const res = await submit(id, editor.token, 1, [{ insert: 'E' }], 'ed', 0);
      expect(codeOf(res)).toBe('SNAPSHOT_REQUIRED');
      expect(res.errors![0]!.extensions).toMatchObject({ snapshotVersion: 10, committed: true });
      // Its key under another author is not "committed" for that author.
      const other = await submit(id, owner.token, 1, [{ insert: 'E' }], 'ed', 0);
      expect(other.errors![0]!.extensions).toMatchObject({ committed: false });
      // An op committed above the cut but resubmitted from below it: committed, with its version.
      const above = await submit(id, owner.token, 9, [{ insert: '1' }], 'own', 11);
      expect(above.errors![0]!.extensions).toMatchObject({ code: 'SNAPSHOT_REQUIRED', committed: true, committedVersion: 11 });
      expect(await state(id)).toEqual(before);
    });

    it('refuses a stream from below the cut with a typed SNAPSHOT_REQUIRED, and serves one from the cut', async () => {
      const client = wsClient(server, owner.token);
      try {
        const below = subscribe(client, OPS_SUBSCRIPTION, { id, after: 3 });
        expect(await below.refusal()).toBe('SNAPSHOT_REQUIRED');
        expect(below.results[0]!.errors![0]!.extensions).toMatchObject({ snapshotVersion: 10 });
        const from = subscribe(client, OPS_SUBSCRIPTION, { id, after: 10 });
        const ops = await from.take(2);
        expect(ops.map((r) => r.data!.documentOperations.version)).toEqual([11, 12]);
        from.dispose();
      } finally {
        await client.dispose();
      }
    });

    it('shows the dropped versions as one history entry, after the sessions still in the log', async () => {
      const entries = (await gql(server, HISTORY, { id, before: null }, owner.token)).data!.document.history as Array<{ fromVersion: number; toVersion: number; name: string | null; trimmed: boolean; authors: Array<{ id: string }> }>;
      const last = entries.at(-1)!;
      expect(last).toMatchObject({ fromVersion: 1, toVersion: 10, trimmed: true });
      expect(last.authors.map((a) => a.id).sort()).toEqual([owner.userId, editor.userId].sort());
      expect(entries.slice(0, -1).every((e) => !e.trimmed && e.fromVersion > 10)).toBe(true);
      // Entries still cover every version once.
      const covered = entries.flatMap((e) => Array.from({ length: e.toVersion - e.fromVersion + 1 }, (_, i) => e.fromVersion + i)).sort((a, b) => a - b);
      expect(covered).toEqual(Array.from({ length: before.version }, (_, i) => i + 1));
      // Paging into the dropped range: the entry straddles beforeVersion, so it is not on that page.
      expect((await gql(server, HISTORY, { id, before: 8 }, owner.token)).data!.document.history).toEqual([]);
      expect((await gql(server, HISTORY, { id, before: 11 }, owner.token)).data!.document.history).toEqual([expect.objectContaining({ fromVersion: 1, toVersion: 10, trimmed: true })]);
    });
  });

  it('keeps everything newer than the retention period, and cuts nothing when no snapshot is old enough', async () => {
    const id = await createDocument(server, owner.token, { ops: [{ insert: 'y\n' }] });
    for (let v = 2; v <= 12; v++) expect((await submit(id, owner.token, v - 1, [{ insert: 'a' }], 'c', v)).errors).toBeUndefined();
    await age(id, 4, 40); // old, but below the first snapshot (5)
    expect(await retention().trim(id)).toBeNull();
    await age(id, 12, 10); // every op 10 days old: within 30 days
    expect(await retention().trim(id)).toBeNull();
    expect(await retention(7).trim(id)).toBe(10);
  });

  it('does not cut past what a comment anchor or an open suggestion still moves from', async () => {
    const id = await createDocument(server, owner.token, { ops: [{ insert: 'hello world\n' }] });
    for (let v = 2; v <= 6; v++) expect((await submit(id, owner.token, v - 1, [{ insert: 'a' }], 'c', v)).errors).toBeUndefined();
    const thread = await gql(server, `mutation($d: ID!) { openThread(documentId: $d, version: 6, index: 0, length: 5, body: "hi") { id } }`, { d: id }, owner.token);
    expect(thread.errors).toBeUndefined();
    for (let v = 7; v <= 16; v++) expect((await submit(id, owner.token, v - 1, [{ insert: 'b' }], 'c', v)).errors).toBeUndefined();
    await age(id, 16, 40);
    // Snapshots at 5, 10, 15; the anchor at 6 keeps 6..: the cut stops at 5.
    expect(await retention().trim(id)).toBe(5);
    expect(codeOf(await gql(server, CONTENT_AT, { id, v: 4 }, owner.token))).toBe('SNAPSHOT_REQUIRED');
    // The thread still moves to the head (its anchor's ops are kept).
    const threads = await gql(server, `query($id: ID!) { document(id: $id) { threads { anchor { index length version } } } }`, { id }, owner.token);
    expect(threads.data!.document.threads).toEqual([{ anchor: expect.objectContaining({ length: 5, version: 16 }) }]);
  });

  it('refuses to revert an agent run whose ops may be below the cut', async () => {
    const id = await createDocument(server, owner.token, { ops: [{ insert: 'z\n' }] });
    expect((await gql(server, EDIT, { input: { documentId: id, idempotencyKey: 'bot-1', edits: [{ insertText: { index: 0, text: 'bot ' } }], runId: 'old-run' } }, owner.token)).errors).toBeUndefined();
    for (let v = 3; v <= 11; v++) expect((await submit(id, owner.token, v - 1, [{ insert: 'a' }], 'c', v)).errors).toBeUndefined();
    await age(id, 11, 40);
    expect(await retention().trim(id)).toBe(10);
    const headBefore = await state(id);
    const res = await gql(server, REVERT, { doc: id, run: 'old-run' }, owner.token);
    expect(codeOf(res)).toBe('SNAPSHOT_REQUIRED');
    expect(res.errors![0]!.extensions).toMatchObject({ snapshotVersion: 10, reason: 'RUN_BEFORE_CUT' });
    expect(await state(id)).toEqual(headBefore);
  });
});
