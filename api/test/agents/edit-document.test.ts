// editDocument over real HTTP: text edits built at baseVersion and rebased
// to the head, requiredVersion, idempotency keys, attribution (Operation.actor
// in queries and streams), and every bad input refused with a typed error
// that changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableModes, codeOf, createDocument, gql, signUp, startServer, SUBMIT, subscribe, wsClient, type TestServer } from '../harness.ts';
import { waitFor } from '../wait-for.ts';
import { createToken, edit, EDIT, stateOf } from './agent-helpers.ts';

const type = (server: TestServer, token: string, documentId: string, baseVersion: number, seq: number, delta: unknown) =>
  gql(server, SUBMIT, { input: { documentId, baseVersion, delta, clientId: 'typist', clientSeq: seq } }, token);

describe.each(availableModes())('editDocument (%s)', (mode) => {
  let server: TestServer;
  let ann: { token: string; userId: string; email: string };
  beforeAll(async () => {
    server = await startServer(mode, { MAX_DELTA_INSERT_BYTES: '1000' });
    ann = await signUp(server, 'ann');
  });
  afterAll(() => server.stop());

  const doc = (text = 'Hello world\n') => createDocument(server, ann.token, { ops: [{ insert: text }] });

  it('applies insert, delete, format and replace as one op at the head', async () => {
    const id = await doc();
    const res = await edit(server, ann.token, {
      documentId: id,
      edits: [
        { insertText: { index: 5, text: ',' } },
        { replaceText: { find: 'world', replace: 'there' } },
        { formatText: { index: 0, length: 5, attributes: { bold: true } } },
        { deleteText: { index: 11, length: 1 } },
        { insertText: { index: 11, text: '!', attributes: { italic: true } } },
      ],
      runId: 'run-1',
    });
    expect(res.data?.editDocument).toMatchObject({ version: 2, actor: { kind: 'PERSON', tokenName: null, runId: 'run-1', user: { id: ann.userId } } });
    const content = await gql(server, 'query($id: ID!) { document(id: $id) { content } }', { id }, ann.token);
    expect(content.data?.document.content.ops).toEqual([{ insert: 'Hello', attributes: { bold: true } }, { insert: ', ther' }, { insert: '!', attributes: { italic: true } }, { insert: '\n' }]);
  });

  it('replaces every match with all, and only the first without', async () => {
    const id = await doc('a cat, a cat, a cat\n');
    await edit(server, ann.token, { documentId: id, edits: [{ replaceText: { find: 'cat', replace: 'dog' } }] });
    expect((await stateOf(server, ann.token, id)).text).toBe('a dog, a cat, a cat\n');
    await edit(server, ann.token, { documentId: id, edits: [{ replaceText: { find: 'cat', replace: 'bird', all: true } }] });
    expect((await stateOf(server, ann.token, id)).text).toBe('a dog, a bird, a bird\n');
  });

  it('builds the edits at baseVersion and rebases them over what others typed meanwhile', async () => {
    const id = await doc(); // version 1: "Hello world\n"
    // Someone types at the start, one op at a time, while the agent's edit (positions of version 1) goes in.
    // Each keystroke based on the typist's own last commit, as a client that has not yet seen the agent's op.
    let base = 1;
    const key = async (seq: number) => (base = (await type(server, ann.token, id, base, seq, { ops: [{ insert: String(seq) }] })).data?.submitOperation.version);
    for (let seq = 0; seq < 3; seq++) await key(seq); // so the agent's edit is at least three versions behind
    const typing = (async () => {
      for (let seq = 3; seq < 10; seq++) await key(seq);
    })();
    const agent = edit(server, ann.token, {
      documentId: id,
      baseVersion: 1,
      edits: [{ replaceText: { find: 'world', replace: 'there' } }, { insertText: { index: 5, text: ',' } }],
    });
    const [, res] = await Promise.all([typing, agent]);
    expect(codeOf(res)).toBeUndefined();
    expect(await stateOf(server, ann.token, id)).toEqual({ version: 12, text: '9876543210Hello, there\n' });
  });

  it('refuses with CONFLICT when the head is not requiredVersion, and applies when it is', async () => {
    const id = await doc();
    await type(server, ann.token, id, 1, 0, { ops: [{ insert: '>' }] }); // version 2
    const stale = await edit(server, ann.token, { documentId: id, requiredVersion: 1, edits: [{ insertText: { index: 0, text: 'x' } }] });
    expect(stale.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', headVersion: 2 });
    expect(await stateOf(server, ann.token, id)).toEqual({ version: 2, text: '>Hello world\n' });
    const fresh = await edit(server, ann.token, { documentId: id, requiredVersion: 2, edits: [{ insertText: { index: 1, text: ' ' } }] });
    expect(fresh.data?.editDocument.version).toBe(3);
    expect((await stateOf(server, ann.token, id)).text).toBe('> Hello world\n');
  });

  it('answers a repeated idempotency key with the first commit, however the head moved, and refuses it for another input', async () => {
    const id = await doc();
    const input = { documentId: id, idempotencyKey: 'sync-42', edits: [{ insertText: { index: 0, text: 'Hi ' } }], runId: 'r' };
    const first = await gql(server, EDIT, { input }, ann.token);
    expect(first.data?.editDocument.version).toBe(2);
    expect((await gql(server, EDIT, { input }, ann.token)).data).toEqual(first.data);
    await type(server, ann.token, id, 2, 0, { ops: [{ insert: '#' }] });
    expect((await gql(server, EDIT, { input }, ann.token)).data).toEqual(first.data);
    const other = await gql(server, EDIT, { input: { ...input, edits: [{ insertText: { index: 0, text: 'Yo ' } }] } }, ann.token);
    expect(other.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await stateOf(server, ann.token, id)).toEqual({ version: 3, text: '#Hi Hello world\n' });
    // Keys belong to their actor: the same key from a token is another request.
    const { secret } = await createToken(server, ann.token, { name: 'bot' });
    expect((await gql(server, EDIT, { input }, secret)).data?.editDocument).toMatchObject({ version: 4, actor: { kind: 'TOKEN', tokenName: 'bot' } });
  });

  it('commits a request sent twice at once only once', async () => {
    const id = await doc();
    const input = { documentId: id, idempotencyKey: 'twice', edits: [{ insertText: { index: 0, text: '!' } }] };
    const [a, b] = await Promise.all([gql(server, EDIT, { input }, ann.token), gql(server, EDIT, { input }, ann.token)]);
    expect(a.data?.editDocument.version).toBe(2);
    expect(b.data).toEqual(a.data);
    expect(await stateOf(server, ann.token, id)).toEqual({ version: 2, text: '!Hello world\n' });
  });

  it('refuses every bad input with a typed error, changing nothing', async () => {
    const id = await doc();
    const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
      ['index past the end', { edits: [{ insertText: { index: 13, text: 'x' } }] }, { code: 'BAD_USER_INPUT', reason: 'OUT_OF_RANGE', edit: 0 }],
      ['negative index', { edits: [{ deleteText: { index: -1, length: 1 } }] }, { code: 'BAD_USER_INPUT', reason: 'OUT_OF_RANGE' }],
      ['range past the end', { edits: [{ formatText: { index: 10, length: 5, attributes: { bold: true } } }] }, { code: 'BAD_USER_INPUT', reason: 'OUT_OF_RANGE' }],
      ['a later edit out of range', { edits: [{ deleteText: { index: 0, length: 6 } }, { deleteText: { index: 5, length: 3 } }] }, { reason: 'OUT_OF_RANGE', edit: 1 }],
      ['empty length', { edits: [{ deleteText: { index: 0, length: 0 } }] }, { code: 'BAD_USER_INPUT', reason: 'EMPTY_EDIT' }],
      ['empty text', { edits: [{ insertText: { index: 0, text: '' } }] }, { reason: 'EMPTY_EDIT' }],
      ['no match', { edits: [{ replaceText: { find: 'planet', replace: 'x' } }] }, { code: 'BAD_USER_INPUT', reason: 'NO_MATCH' }],
      ['no kind', { edits: [{}] }, { code: 'BAD_USER_INPUT', reason: 'EDIT_SHAPE' }],
      ['two kinds', { edits: [{ insertText: { index: 0, text: 'x' }, deleteText: { index: 0, length: 1 } }] }, { reason: 'EDIT_SHAPE' }],
      ['no edits', { edits: [] }, { code: 'BAD_USER_INPUT', reason: 'EMPTY_EDIT' }],
      ['too many edits', { edits: Array.from({ length: 201 }, () => ({ insertText: { index: 0, text: 'x' } })) }, { limit: 'textEdits' }],
      ['oversized insert', { edits: [{ insertText: { index: 0, text: 'x'.repeat(1001) } }] }, { code: 'BAD_USER_INPUT', limit: 'deltaInsertBytes' }],
      ['oversized replace-all', { edits: [{ replaceText: { find: 'l', replace: 'y'.repeat(400), all: true } }] }, { limit: 'deltaInsertBytes' }],
      ['unsupported format', { edits: [{ formatText: { index: 0, length: 1, attributes: { onclick: 'x' } } }] }, { code: 'BAD_USER_INPUT', field: 'onclick' }],
      ['unsafe link', { edits: [{ formatText: { index: 0, length: 1, attributes: { link: 'javascript:alert(1)' } } }] }, { code: 'BAD_USER_INPUT', field: 'link' }],
      ['attributes not scalars', { edits: [{ formatText: { index: 0, length: 1, attributes: { bold: { deep: 1 } } } }] }, { code: 'BAD_USER_INPUT' }],
      ['baseVersion ahead', { baseVersion: 5, edits: [{ insertText: { index: 0, text: 'x' } }] }, { code: 'BAD_USER_INPUT', headVersion: 1 }],
      ['negative baseVersion', { baseVersion: -1, edits: [{ insertText: { index: 0, text: 'x' } }] }, { code: 'BAD_USER_INPUT' }],
      ['empty idempotencyKey', { idempotencyKey: '', edits: [{ insertText: { index: 0, text: 'x' } }] }, { code: 'BAD_USER_INPUT', field: 'idempotencyKey' }],
      ['oversized runId', { runId: 'r'.repeat(201), edits: [{ insertText: { index: 0, text: 'x' } }] }, { code: 'BAD_USER_INPUT', field: 'runId' }],
    ];
    for (const [what, input, expected] of cases) {
      const res = await edit(server, ann.token, { documentId: id, ...input });
      expect(res.status, what).toBeLessThan(500);
      expect(res.errors?.[0]?.extensions, what).toMatchObject(expected);
    }
    expect(await stateOf(server, ann.token, id)).toEqual({ version: 1, text: 'Hello world\n' });
  });

  it('refuses strangers (NOT_FOUND), viewers (FORBIDDEN) and nobody (UNAUTHENTICATED)', async () => {
    const id = await doc();
    const bob = await signUp(server, 'bob');
    const input = { documentId: id, edits: [{ insertText: { index: 0, text: 'x' } }] };
    expect(codeOf(await edit(server, bob.token, input))).toBe('NOT_FOUND');
    await gql(server, 'mutation($id: ID!, $e: String!) { shareDocument(id: $id, email: $e, role: VIEWER) { role } }', { id, e: bob.email }, ann.token);
    expect(codeOf(await edit(server, bob.token, input))).toBe('FORBIDDEN');
    const viewerToken = await createToken(server, ann.token, { role: 'VIEWER' });
    expect(codeOf(await edit(server, viewerToken.secret, input))).toBe('FORBIDDEN');
    expect(codeOf(await gql(server, EDIT, { input: { ...input, idempotencyKey: 'k' } }))).toBe('UNAUTHENTICATED');
    expect((await stateOf(server, ann.token, id)).version).toBe(1);
  });

  it("carries the actor on every op, in the log and in the stream; older ops read as PERSON", async () => {
    const id = await doc();
    const { secret } = await createToken(server, ann.token, { name: 'Release notes bot', documentId: id });
    const client = wsClient(server, ann.token);
    const stream = subscribe(client, `subscription($id: ID!) { documentOperations(documentId: $id, afterVersion: 0) { version actor { kind tokenName runId user { id } } } }`, { id });
    await waitFor(stream.take(1), { what: 'the stream to deliver version 1', state: () => stream.results });
    await edit(server, secret, { documentId: id, runId: 'nightly-7', edits: [{ insertText: { index: 0, text: 'Notes: ' } }] });
    await waitFor(stream.take(2), { what: "the stream to deliver the token's op", state: () => stream.results });
    const person = { kind: 'PERSON', tokenName: null, runId: null, user: { id: ann.userId } };
    const token = { kind: 'TOKEN', tokenName: 'Release notes bot', runId: 'nightly-7', user: { id: ann.userId } };
    expect(stream.results.map((r) => r.data?.documentOperations.actor)).toEqual([person, token]);
    const log = await gql(server, 'query($id: ID!) { document(id: $id) { operations(afterVersion: 0) { version actor { kind tokenName runId user { id } } } } }', { id }, ann.token);
    expect(log.data?.document.operations).toEqual([
      { version: 1, actor: person },
      { version: 2, actor: token },
    ]);
    await client.dispose();
  });
});
