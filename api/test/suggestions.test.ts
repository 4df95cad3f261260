// Suggestions over real HTTP and sockets, in both modes: who may do what
// (stranger NOT_FOUND, VIEWER FORBIDDEN, COMMENTER suggests but does not
// accept), bad input refused with nothing changed, idempotency, suggestions
// that move with the text and become OUTDATED when their text is gone, two
// overlapping suggestions accepted one after the other, a double accept
// that commits once, editDocument(asSuggestion), and the live stream (ended
// by a demotion; scaled: across nodes).
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Delta } from '../../protocol/delta.ts';
import { transformOverCommitted } from '../../protocol/rebase.ts';
import { reach } from '../../protocol/suggestion.ts';
import { Suggestions } from '../src/suggestions/suggestions.ts';
import { prng, randomEdit } from './random-edits.ts';
import { availableModes, codeOf, createDocument, gql, hasScaled, SHARE, share, signUp, startServer, SUBMIT, subscribe, suiteNodeGroup, type TestServer, wsClient } from './harness.ts';

const SUGGESTION = 'id status version delta author { id } acceptedVersion acceptedBy { id } createdAt';
const SUGGEST = `mutation($input: SuggestInput!) { suggest(input: $input) { ${SUGGESTION} } }`;
const ACCEPT = 'mutation($s: ID!) { acceptSuggestion(suggestionId: $s) { version delta clientId clientSeq author { id } } }';
const REJECT = `mutation($s: ID!) { rejectSuggestion(suggestionId: $s) { ${SUGGESTION} } }`;
const LIST = `query($d: ID!, $s: SuggestionStatus) { document(id: $d) { suggestions(status: $s) { ${SUGGESTION} } } }`;
const WATCH = `subscription($d: ID!) { documentSuggestions(documentId: $d) { ${SUGGESTION} } }`;
const CONTENT = 'query($d: ID!) { document(id: $d) { version content } }';
const EDIT = 'mutation($input: EditDocumentInput!) { editDocument(input: $input) { version delta clientId clientSeq author { id } } }';

type User = { token: string; email: string; userId: string };
type Suggestion = { id: string; status: string; version: number; delta: { ops: unknown[] }; author: { id: string } | null; acceptedVersion: number | null; acceptedBy: { id: string } | null };
type Stream = { results: Array<{ data?: { documentSuggestions: Suggestion } }>; take(n: number): Promise<unknown[]> };

/** Waits until `stream` is live: makes probe suggestions until one arrives, then one more, and waits for it. Returns where the test's own events start. */
async function untilLive(stream: Stream, probe: () => Promise<Suggestion>): Promise<number> {
  while (stream.results.length === 0) await probe();
  const fence = await probe();
  for (let n = 1; !stream.results.some((r) => r.data?.documentSuggestions.id === fence.id); n++) {
    if ((await stream.take(n)).length < n) throw new Error(`the suggestion stream ended: ${JSON.stringify(stream.results.at(-1))}`);
  }
  return stream.results.length;
}

let seq = 0;

describe.each(availableModes())('suggestions (%s)', (mode) => {
  let server: TestServer;
  let owner: User, editor: User, commenter: User, viewer: User, stranger: User;

  const dbState = async (documentId: string) => {
    const prisma = server.services.db.prisma;
    return {
      suggestions: await prisma.suggestion.findMany({ where: { documentId }, orderBy: { id: 'asc' } }),
      doc: await prisma.document.findUnique({ where: { id: documentId }, select: { version: true } }),
      ops: await prisma.operation.count({ where: { documentId } }),
    };
  };

  async function rejects(documentId: string, expected: Record<string, unknown>, attempt: () => Promise<{ status?: number; errors?: Array<{ extensions?: Record<string, unknown> }> }>) {
    const before = await dbState(documentId);
    const res = await attempt();
    expect(res.errors?.[0]?.extensions, JSON.stringify(res.errors)).toMatchObject(expected);
    if (res.status !== undefined) expect(res.status).toBeLessThan(500);
    expect(await dbState(documentId)).toEqual(before);
  }

  /** "Hello world\n" at version 1, shared with everyone but the stranger. */
  async function newDocument(text = 'Hello world\n'): Promise<string> {
    const id = await createDocument(server, owner.token, { ops: [{ insert: text }] });
    for (const [who, role] of [[editor, 'EDITOR'], [commenter, 'COMMENTER'], [viewer, 'VIEWER']] as const) {
      expect((await gql(server, SHARE, { id, e: who.email, r: role }, owner.token)).data?.shareDocument).toEqual({ role });
    }
    return id;
  }

  const suggest = (token: string, documentId: string, baseVersion: number, ops: unknown[], clientSeq = ++seq, clientId = 'tab') =>
    gql<{ suggest: Suggestion }>(server, SUGGEST, { input: { documentId, baseVersion, delta: { ops }, clientId, clientSeq } }, token);
  const suggested = async (token: string, documentId: string, baseVersion: number, ops: unknown[]) => {
    const res = await suggest(token, documentId, baseVersion, ops);
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    return res.data.suggest;
  };
  const accept = (token: string, s: string) => gql(server, ACCEPT, { s }, token);
  const list = async (d: string, status?: string) => (await gql<{ document: { suggestions: Suggestion[] } }>(server, LIST, { d, s: status ?? null }, commenter.token)).data!.document.suggestions;
  const text = async (d: string) => {
    const doc = (await gql(server, CONTENT, { d }, owner.token)).data!.document;
    return { version: doc.version as number, text: (doc.content.ops as Array<{ insert: string }>).map((o) => o.insert).join('') };
  };
  const edit = async (d: string, baseVersion: number, ops: unknown[]) => {
    const res = await gql(server, SUBMIT, { input: { documentId: d, baseVersion, delta: { ops }, clientId: 'editor-tab', clientSeq: ++seq } }, editor.token);
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    return res.data.submitOperation.version as number;
  };

  beforeAll(async () => {
    server = await startServer(mode, { MAX_DELTA_INSERT_BYTES: '1000' });
    const users = await Promise.all(['viewer', 'stranger'].map((n) => signUp(server, n)));
    [viewer, stranger] = users as [User, User];
  });
  // The ones who suggest, accept, create and share: a person's budgets for those
  // (RATE_LIMIT_COMMENT_*, _CREATE_*, _SHARE_*) are for a person, not for a whole suite.
  beforeEach(async () => {
    [owner, editor, commenter] = (await Promise.all(['owner', 'editor', 'commenter'].map((n) => signUp(server, n)))) as [User, User, User];
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('lets a COMMENTER suggest but not accept; a VIEWER gets FORBIDDEN and a stranger NOT_FOUND, changing nothing', async () => {
    const d = await newDocument();
    const ops = [{ retain: 6 }, { insert: 'there' }, { delete: 5 }];
    await rejects(d, { code: 'NOT_FOUND' }, () => suggest(stranger.token, d, 1, ops));
    await rejects(d, { code: 'FORBIDDEN' }, () => suggest(viewer.token, d, 1, ops));
    await rejects(d, { code: 'UNAUTHENTICATED' }, () => gql(server, SUGGEST, { input: { documentId: d, baseVersion: 1, delta: { ops }, clientId: 'x', clientSeq: 0 } }));
    const s = await suggested(commenter.token, d, 1, ops);
    expect(s).toMatchObject({ status: 'OPEN', version: 1, delta: { ops }, author: { id: commenter.userId }, acceptedVersion: null, acceptedBy: null });
    // Suggesting changes no text.
    expect(await text(d)).toEqual({ version: 1, text: 'Hello world\n' });

    for (const query of [ACCEPT, REJECT]) {
      await rejects(d, { code: 'NOT_FOUND' }, () => gql(server, query, { s: s.id }, stranger.token));
      await rejects(d, { code: 'FORBIDDEN' }, () => gql(server, query, { s: s.id }, viewer.token));
    }
    // A stranger cannot tell a suggestion that exists from one that does not.
    const errorOf = async (id: string) => (await gql(server, ACCEPT, { s: id }, stranger.token)).errors;
    expect(await errorOf(s.id)).toEqual(await errorOf('00000000-0000-4000-8000-000000000000'));
    await rejects(d, { code: 'FORBIDDEN' }, () => accept(commenter.token, s.id));
    // Another commenter may not reject it; its author may withdraw it.
    const other = await signUp(server, 'other-commenter');
    await share(server, owner.token, d, other.email, 'COMMENTER');
    await rejects(d, { code: 'FORBIDDEN' }, () => gql(server, REJECT, { s: s.id }, other.token));
    expect(codeOf(await gql(server, LIST, { d }, viewer.token))).toBe('FORBIDDEN');
    expect((await gql(server, LIST, { d }, stranger.token)).data?.document).toBeNull();

    const withdrawn = await gql(server, REJECT, { s: s.id }, commenter.token);
    expect(withdrawn.data?.rejectSuggestion).toMatchObject({ id: s.id, status: 'REJECTED' });
    // Idempotent, and closed for accepting.
    expect((await gql(server, REJECT, { s: s.id }, editor.token)).data?.rejectSuggestion.status).toBe('REJECTED');
    await rejects(d, { code: 'BAD_USER_INPUT', reason: 'SUGGESTION_CLOSED' }, () => accept(editor.token, s.id));
    expect(await list(d, 'REJECTED')).toHaveLength(1);
    expect(await list(d, 'OPEN')).toEqual([]);
  });

  it('refuses bad input with a typed error that changes nothing, and is idempotent by (clientId, clientSeq)', async () => {
    const d = await newDocument();
    await edit(d, 1, [{ insert: 'Oh! ' }]); // "Oh! Hello world\n" at version 2
    const cases: Array<[string, number, unknown[], Record<string, unknown>]> = [
      ['does not apply at its base', 1, [{ retain: 13 }, { insert: 'x' }], { code: 'BAD_USER_INPUT', field: 'delta' }],
      ['future baseVersion', 3, [{ insert: 'x' }], { code: 'BAD_USER_INPUT', field: 'baseVersion', headVersion: 2 }],
      ['negative baseVersion', -1, [{ insert: 'x' }], { code: 'BAD_USER_INPUT' }],
      ['changes nothing', 1, [{ retain: 3 }], { code: 'BAD_USER_INPUT', field: 'delta' }],
      ['oversized insert', 2, [{ insert: 'x'.repeat(1001) }], { code: 'BAD_USER_INPUT', limit: 'deltaInsertBytes' }],
      ['unsupported format', 2, [{ retain: 2, attributes: { onclick: 'x' } }], { code: 'BAD_USER_INPUT' }],
      ['not a delta', 2, [{ bogus: 1 }], { code: 'BAD_USER_INPUT' }],
      ['half a surrogate pair', 1, [{ retain: 1 }, { insert: '\uD83D' }], { code: 'BAD_USER_INPUT' }],
    ];
    for (const [what, base, ops, expected] of cases) {
      await rejects(d, expected, async () => {
        const res = await suggest(commenter.token, d, base, ops);
        expect(res.errors, what).toBeDefined();
        return res;
      });
    }
    // Checked at its base: 12 characters at version 1, though the head has 16.
    const ok = await suggest(commenter.token, d, 1, [{ retain: 11 }, { insert: '!' }], 7, 'idem');
    expect(ok.data?.suggest).toMatchObject({ version: 2, delta: { ops: [{ retain: 15 }, { insert: '!' }] } });
    const again = await suggest(commenter.token, d, 1, [{ retain: 11 }, { insert: '!' }], 7, 'idem');
    expect(again.data?.suggest.id).toBe(ok.data?.suggest.id);
    await rejects(d, { code: 'BAD_USER_INPUT', reason: 'IDEMPOTENCY_KEY_REUSED' }, () => suggest(commenter.token, d, 1, [{ retain: 11 }, { insert: '?' }], 7, 'idem'));
    await rejects(d, { code: 'BAD_USER_INPUT', reason: 'IDEMPOTENCY_KEY_REUSED' }, () => suggest(editor.token, d, 1, [{ retain: 11 }, { insert: '!' }], 7, 'idem'));
    expect(await list(d)).toHaveLength(1);
  });

  it('shows a suggestion moved to the head, writes it back now and then, and makes it OUTDATED once its text is gone', async () => {
    const d = await newDocument('The quick brown fox\n');
    const replace = await suggested(commenter.token, d, 1, [{ retain: 4 }, { insert: 'slow' }, { delete: 5 }]); // quick -> slow
    const bold = await suggested(commenter.token, d, 1, [{ retain: 10 }, { retain: 5, attributes: { bold: true } }]); // brown
    let v = await edit(d, 1, [{ insert: 'Look: ' }]);
    expect((await list(d)).map((s) => [s.version, s.delta.ops])).toEqual([
      [v, [{ retain: 10 }, { insert: 'slow' }, { delete: 5 }]],
      [v, [{ retain: 16 }, { retain: 5, attributes: { bold: true } }]],
    ]);
    const { prisma } = server.services.db;
    expect(await prisma.suggestion.findUnique({ where: { id: replace.id } })).toMatchObject({ version: 1 });
    v = await edit(d, v, [{ retain: 6 }, { insert: '>' }]);
    // A service that writes back after 2 ops: what the node's does after its setting (100).
    const { sequencer, log, documents, suggestionsBus } = server.services;
    const eager = new Suggestions(prisma, sequencer, log, documents, suggestionsBus, { writeBackAfter: 2 });
    await eager.list({ userId: commenter.userId, sessionId: 'test' }, d, null);
    await eager.settled(); // stored after the answer
    expect(await prisma.suggestion.findUnique({ where: { id: replace.id } })).toMatchObject({ version: v, delta: { ops: [{ retain: 11 }, { insert: 'slow' }, { delete: 5 }] } });
    // Half of "quick" deleted: still OPEN, deleting what is left.
    v = await edit(d, v, [{ retain: 11 }, { delete: 2 }]);
    expect((await list(d))[0]).toMatchObject({ status: 'OPEN', version: v, delta: { ops: [{ retain: 11 }, { insert: 'slow' }, { delete: 3 }] } });
    // All of "quick" and "brown" deleted: both OUTDATED, for good.
    v = await edit(d, v, [{ retain: 10 }, { delete: 10 }]);
    expect((await list(d)).map((s) => s.status)).toEqual(['OUTDATED', 'OUTDATED']);
    expect(await list(d, 'OPEN')).toEqual([]);
    expect(await prisma.suggestion.findUnique({ where: { id: bold.id } })).toMatchObject({ status: 'OUTDATED' });
    for (const s of [replace, bold]) await rejects(d, { code: 'BAD_USER_INPUT', reason: 'SUGGESTION_OUTDATED' }, () => accept(editor.token, s.id));
    v = await edit(d, v, [{ retain: 10 }, { insert: 'quick brown ' }]);
    expect((await list(d)).map((s) => s.status)).toEqual(['OUTDATED', 'OUTDATED']);
  });

  it('writes back the suggestions one read found OUTDATED, with when they were settled, and keeps moving the others from where they are stored', async () => {
    const d = await newDocument('The quick brown fox\n');
    const gone = await suggested(commenter.token, d, 1, [{ retain: 4 }, { delete: 6 }]); // "quick "
    const bold = await suggested(commenter.token, d, 1, [{ retain: 10 }, { retain: 5, attributes: { bold: true } }]); // "brown"
    const insert = await suggested(commenter.token, d, 1, [{ retain: 16 }, { insert: 'red ' }]); // before "fox"
    const v = await edit(d, 1, [{ retain: 4 }, { delete: 12 }]); // "The fox\n"
    const before = Date.now();
    const shown = await list(d);
    const after = Date.now();
    expect(shown.map((s) => [s.id, s.status, s.version, s.delta.ops])).toEqual([
      [gone.id, 'OUTDATED', v, []],
      [bold.id, 'OUTDATED', v, []],
      [insert.id, 'OPEN', v, [{ retain: 4 }, { insert: 'red ' }]],
    ]);
    const rows = await server.services.db.prisma.suggestion.findMany({ where: { documentId: d }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    expect(rows.map((r) => [r.id, r.status, r.version, r.delta])).toEqual([
      [gone.id, 'OUTDATED', v, { ops: [] }],
      [bold.id, 'OUTDATED', v, { ops: [] }],
      // Moved over one op (the node writes back after 100): stored where it was made.
      [insert.id, 'OPEN', 1, { ops: [{ retain: 16 }, { insert: 'red ' }] }],
    ]);
    for (const r of rows.slice(0, 2)) {
      // Settled by that read, in UTC like every other time Prisma stores.
      expect(r.settledAt!.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(r.settledAt!.getTime()).toBeLessThanOrEqual(after + 1000);
    }
    expect(rows[2]!.settledAt).toBeNull();
  });

  it('keeps overlapping suggestions right as one is accepted: the other moves over it, and applies or is OUTDATED', async () => {
    const d = await newDocument('The quick brown fox\n');
    const a = await suggested(commenter.token, d, 1, [{ retain: 4 }, { insert: 'lazy' }, { delete: 11 }]); // "quick brown" -> "lazy"
    const b = await suggested(commenter.token, d, 1, [{ retain: 10 }, { insert: 'red' }, { delete: 5 }]); // "brown" -> "red"
    const c = await suggested(commenter.token, d, 1, [{ retain: 4 }, { retain: 5, attributes: { italic: true } }, { retain: 6 }, { insert: 'big ' }]); // italic "quick", "big " before "fox"
    // b first: a still deletes "quick " and the "red" b put in is not in a's range (an insert at its end is outside it).
    const opB = await accept(editor.token, b.id);
    expect(opB.data?.acceptSuggestion).toMatchObject({ version: 2, clientId: `suggestion-${b.id}`, clientSeq: 0, author: { id: editor.userId } });
    expect(await text(d)).toEqual({ version: 2, text: 'The quick red fox\n' });
    const shown = await list(d);
    expect(shown.find((s) => s.id === b.id)).toMatchObject({ status: 'ACCEPTED', acceptedVersion: 2, acceptedBy: { id: editor.userId }, author: { id: commenter.userId } });
    expect(shown.find((s) => s.id === a.id)).toMatchObject({ status: 'OPEN', version: 2, delta: { ops: [{ retain: 4 }, { insert: 'lazy' }, { delete: 6 }] } });
    const opA = await accept(owner.token, a.id);
    expect(opA.data?.acceptSuggestion.version).toBe(3);
    expect(await text(d)).toEqual({ version: 3, text: 'The lazyred fox\n' });
    // c's "quick" is gone: OUTDATED, though its insert had a place.
    expect((await list(d)).find((s) => s.id === c.id)).toMatchObject({ status: 'OUTDATED' });
    // Accepting an accepted one answers its op again and commits nothing.
    const before = await server.services.db.prisma.operation.count({ where: { documentId: d } });
    expect((await accept(editor.token, b.id)).data?.acceptSuggestion).toEqual(opB.data?.acceptSuggestion);
    await rejects(d, { code: 'BAD_USER_INPUT', reason: 'SUGGESTION_CLOSED' }, () => gql(server, REJECT, { s: b.id }, editor.token));
    expect(await server.services.db.prisma.operation.count({ where: { documentId: d } })).toBe(before);
  });

  it('shows a suggestion at the head as a client holding it as a pending op would have it, and accepting it gives that text (property)', async () => {
    const step = fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), kind: fc.integer({ min: 0, max: 4 }), size: fc.integer({ min: 1, max: 8 }), text: fc.constantFrom('a', 'bc', ' ') });
    /** An insert, delete, format, replace, or a delete of all but the last newline, in a text of `length`. */
    const changeAt = (length: number, s: { at: number; kind: number; size: number; text: string }): Delta => {
      const pos = Math.min(Math.floor(s.at * length), length - 1);
      const n = Math.min(s.size, length - 1 - pos);
      if (s.kind === 0 || n === 0) return new Delta().retain(pos).insert(s.text);
      if (s.kind === 1) return new Delta().retain(pos).delete(n);
      if (s.kind === 2) return new Delta().retain(pos).retain(n, { bold: true });
      if (s.kind === 3) return new Delta().retain(pos).insert(s.text).delete(n);
      return new Delta().delete(length - 1);
    };
    await fc.assert(
      fc.asyncProperty(step, fc.array(step, { maxLength: 5 }), async (first, steps) => {
        const d = await newDocument('The quick brown fox\n');
        let content = new Delta().insert('The quick brown fox\n');
        const original = changeAt(content.length(), first);
        const s = await suggested(commenter.token, d, 1, original.ops);
        // The model: a client holding the suggestion as its pending op, moved over each op as it is committed.
        let pending = original;
        let version = 1;
        for (const st of steps) {
          const op = changeAt(content.length(), st);
          version = await edit(d, version, op.ops);
          content = content.compose(op);
          pending = transformOverCommitted(op, pending);
        }
        const [shown] = await list(d);
        const gone = (reach(original).deletes > 0 && reach(pending).deletes === 0) || (reach(original).formats > 0 && reach(pending).formats === 0);
        expect(shown).toMatchObject({ id: s.id, status: gone ? 'OUTDATED' : 'OPEN', version, delta: { ops: pending.ops } });
        const accepted = await accept(editor.token, s.id);
        if (gone) {
          expect(accepted.errors?.[0]?.extensions).toMatchObject({ reason: 'SUGGESTION_OUTDATED' });
        } else {
          expect(accepted.data?.acceptSuggestion).toMatchObject({ version: version + 1, delta: { ops: pending.ops } });
          const doc = (await gql(server, CONTENT, { d }, owner.token)).data!.document;
          expect(new Delta(doc.content.ops)).toEqual(content.compose(pending));
        }
      }),
      { numRuns: 15 },
    );
  });

  it('moves suggestions as a reader that keeps nothing would, read after read, whatever the edits (property)', async () => {
    const d = await newDocument('The quick brown fox jumps over the lazy dog\n');
    let content = new Delta().insert('The quick brown fox jumps over the lazy dog\n');
    let version = 1;
    const rand = prng(29);
    const { sequencer, log, documents, suggestionsBus } = server.services;
    const me = { userId: commenter.userId, sessionId: 'test' };
    for (let step = 0; step < 60; step++) {
      const change = randomEdit(content, rand);
      if (rand() < 0.3) {
        await suggested(commenter.token, d, version, change.ops);
      } else {
        version = await edit(d, version, change.ops);
        content = content.compose(change);
      }
      // Every other step a read through the node, which moves suggestions on from where its last read placed them…
      if (step % 2 === 0) continue;
      const shown = await list(d);
      // …against a reader that starts from the rows as stored.
      const fresh = await new Suggestions(server.services.db.prisma, sequencer, log, documents, suggestionsBus).list(me, d, null);
      expect(shown.map((x) => [x.id, x.status, x.version, x.delta.ops])).toEqual(fresh.map((x) => [x.id, x.status, x.version, x.delta.ops]));
    }
  });

  it('commits a suggestion accepted by two people at once once: both get the same op', async () => {
    const d = await newDocument();
    const s = await suggested(commenter.token, d, 1, [{ retain: 5 }, { insert: ',' }]);
    await edit(d, 1, [{ retain: 11 }, { insert: '!' }]);
    const results = await Promise.all([accept(editor.token, s.id), accept(owner.token, s.id), accept(editor.token, s.id)]);
    for (const r of results) expect(r.errors).toBeUndefined();
    const ops = results.map((r) => r.data?.acceptSuggestion);
    expect(ops[1]).toEqual(ops[0]);
    expect(ops[2]).toEqual(ops[0]);
    expect(await text(d)).toEqual({ version: 3, text: 'Hello, world!\n' });
    expect((await list(d))[0]).toMatchObject({ status: 'ACCEPTED', acceptedVersion: 3 });
  });

  it('lands editDocument(asSuggestion) as a suggestion, for a COMMENTER too, idempotent by its key', async () => {
    const d = await newDocument();
    const input = { documentId: d, edits: [{ replaceText: { find: 'world', replace: 'there' } }], idempotencyKey: 'k1', asSuggestion: true };
    const res = await gql(server, EDIT, { input }, commenter.token);
    expect(res.data?.editDocument).toMatchObject({ version: 2, delta: { ops: [{ retain: 6 }, { insert: 'there' }, { delete: 5 }] }, clientSeq: 0, author: { id: commenter.userId } });
    expect(await text(d)).toEqual({ version: 1, text: 'Hello world\n' });
    const [s] = await list(d);
    expect(res.data?.editDocument.clientId).toBe(`suggestion-${s!.id}`);
    expect((await gql(server, EDIT, { input }, commenter.token)).data).toEqual(res.data);
    await rejects(d, { code: 'BAD_USER_INPUT', reason: 'IDEMPOTENCY_KEY_REUSED' }, () => gql(server, EDIT, { input: { ...input, edits: [{ insertText: { index: 0, text: 'x' } }] } }, commenter.token));
    await rejects(d, { code: 'FORBIDDEN' }, () => gql(server, EDIT, { input: { ...input, idempotencyKey: 'k2' } }, viewer.token));
    expect((await accept(editor.token, s!.id)).data?.acceptSuggestion.version).toBe(2);
    expect(await text(d)).toEqual({ version: 2, text: 'Hello there\n' });
  });

  it('streams suggestions as they are made and settled; refuses a stranger and a VIEWER, and ends with FORBIDDEN on a demotion below COMMENTER', async () => {
    const d = await newDocument();
    for (const [who, code] of [[stranger, 'NOT_FOUND'], [viewer, 'FORBIDDEN']] as const) {
      const client = wsClient(server, who.token);
      expect(await subscribe(client, WATCH, { d }).refusal()).toBe(code);
      await client.dispose();
    }
    const demoted = await signUp(server, 'demoted');
    await share(server, owner.token, d, demoted.email, 'COMMENTER');
    const client = wsClient(server, demoted.token);
    const stream = subscribe<{ documentSuggestions: Suggestion }>(client, WATCH, { d });
    try {
      const base = await untilLive(stream, () => suggested(demoted.token, d, 1, [{ insert: 'x' }]));
      const s = await suggested(commenter.token, d, 1, [{ retain: 5 }, { insert: '!' }]);
      await accept(editor.token, s.id);
      const events = (await stream.take(base + 2)).slice(base).map((r) => (r as { data: { documentSuggestions: Suggestion } }).data.documentSuggestions);
      expect(events.map((e) => [e.id, e.status])).toEqual([[s.id, 'OPEN'], [s.id, 'ACCEPTED']]);
      await share(server, owner.token, d, demoted.email, 'VIEWER');
      await stream.ended();
      expect(stream.results.at(-1)?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    } finally {
      stream.dispose();
      await client.dispose();
    }
  });
});

describe('suggestions within the response budget and the rate limit', () => {
  let server: TestServer;
  afterAll(async () => {
    await server?.stop();
  });

  it('counts deltas against MAX_RESPONSE_BYTES, and shares the comment writes\' budget per user: refusals change nothing', async () => {
    server = await startServer('embedded', { MAX_DOCUMENT_BYTES: '20000', MAX_RESPONSE_BYTES: '25000', RATE_LIMIT_COMMENT_PER_USER_RATE: '1', RATE_LIMIT_COMMENT_PER_USER_BURST: '2' });
    const alice = await signUp(server, 'alice');
    const d = await createDocument(server, alice.token, { ops: [{ insert: 'Hello\n' }] });
    const make = (n: number) => gql(server, SUGGEST, { input: { documentId: d, baseVersion: 1, delta: { ops: [{ insert: 'x'.repeat(9_000) }] }, clientId: 'big', clientSeq: n } }, alice.token);
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await make(i));
    const limited = results.filter((r) => codeOf(r) === 'RATE_LIMITED');
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]?.errors?.[0]?.extensions).toMatchObject({ limit: 'commentPerUser' });
    const stored = await server.services.db.prisma.suggestion.count({ where: { documentId: d } });
    expect(stored).toBe(results.length - limited.length);
    expect(stored).toBeGreaterThanOrEqual(3);
    const res = await gql(server, LIST, { d }, alice.token);
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.extensions).toMatchObject({ limit: 'responseBytes', max: 25_000 });
  });
});

describe.runIf(hasScaled())('suggestions across nodes', () => {
  const group = suiteNodeGroup();

  it('streams a suggestion made and accepted on one node to a watcher on the other', async () => {
    const a = await group.start();
    const b = await group.start();
    const alice = await signUp(a, 'alice');
    const bob = await signUp(a, 'bob');
    const d = await createDocument(a, alice.token, { ops: [{ insert: 'Hello world\n' }] });
    await share(a, alice.token, d, bob.email, 'COMMENTER');
    const client = wsClient(b, bob.token);
    const stream = subscribe<{ documentSuggestions: Suggestion }>(client, WATCH, { d });
    const make = async () => (await gql<{ suggest: Suggestion }>(a, SUGGEST, { input: { documentId: d, baseVersion: 1, delta: { ops: [{ insert: 'x' }] }, clientId: 'a', clientSeq: ++seq } }, alice.token)).data!.suggest;
    try {
      const base = await untilLive(stream, make);
      const s = await make();
      await gql(a, ACCEPT, { s: s.id }, alice.token);
      const events = (await stream.take(base + 2)).slice(base).map((r) => (r as { data: { documentSuggestions: Suggestion } }).data.documentSuggestions);
      expect(events.map((e) => [e.id, e.status, e.delta])).toEqual([[s.id, 'OPEN', { ops: [{ insert: 'x' }] }], [s.id, 'ACCEPTED', { ops: [{ insert: 'x' }] }]]);
    } finally {
      stream.dispose();
      await client.dispose();
    }
  });
});
