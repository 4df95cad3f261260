// revertRun over real HTTP: a run's ops taken back as one forward op while
// people's edits around and after them stay, once per run however many ask
// at once, by EDITORs only, and every refusal typed and changing nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revertClientId } from '../../src/documents/revert-run.ts';
import { availableModes, codeOf, createDocument, gql, signUp, startServer, SUBMIT, type TestServer } from '../harness.ts';
import { createToken, edit, stateOf } from './agent-helpers.ts';

const REVERT = `mutation($doc: ID!, $run: String!) {
  revertRun(documentId: $doc, runId: $run) { version delta clientId actor { kind tokenName runId user { id } } }
}`;
const revert = (server: TestServer, token: string, doc: string, run: string) => gql(server, REVERT, { doc, run }, token);

const share = (server: TestServer, owner: string, id: string, email: string, role: string) =>
  gql(server, 'mutation($id: ID!, $e: String!, $r: Role!) { shareDocument(id: $id, email: $e, role: $r) { role } }', { id, e: email, r: role }, owner);

describe.each(availableModes())('revertRun (%s)', (mode) => {
  let server: TestServer;
  let ann: { token: string; userId: string; email: string };
  let bob: { token: string; userId: string; email: string };
  beforeAll(async () => {
    server = await startServer(mode);
    ann = await signUp(server, 'ann');
    bob = await signUp(server, 'bob');
  });
  afterAll(() => server.stop());

  /** A person's keystroke: a submitOperation at `base`. */
  let seq = 0;
  const type = (token: string, documentId: string, baseVersion: number, delta: unknown) =>
    gql(server, SUBMIT, { input: { documentId, baseVersion, delta, clientId: 'typist', clientSeq: seq++ } }, token);

  /** A document where an agent's run "tidy" fixed things while Ann typed; returns what Ann's typing alone gives. */
  async function runWithTyping(agentToken: string) {
    const id = await createDocument(server, ann.token, { ops: [{ insert: 'hello  world. it  works\n' }] }); // version 1
    // The agent read version 1; Ann types at the start and the end meanwhile.
    await type(ann.token, id, 1, { ops: [{ insert: '> ' }] }); // 2: "> hello  world. it  works\n"
    const first = await edit(server, agentToken, { documentId: id, baseVersion: 1, runId: 'tidy', edits: [{ replaceText: { find: '  ', replace: ' ', all: true } }] }); // 3
    expect(codeOf(first)).toBeUndefined();
    await type(ann.token, id, 3, { ops: [{ retain: 23 }, { insert: ' fine' }] }); // 4: after "works"
    const second = await edit(server, agentToken, { documentId: id, baseVersion: 3, runId: 'tidy', edits: [{ formatText: { index: 2, length: 5, attributes: { bold: true } } }, { insertText: { index: 2, text: 'H' } }, { deleteText: { index: 3, length: 1 } }] }); // 5
    expect(codeOf(second)).toBeUndefined();
    await edit(server, agentToken, { documentId: id, runId: 'other-run', edits: [{ insertText: { index: 0, text: '#' } }] }); // 6: another run stays
    expect(await stateOf(server, ann.token, id)).toEqual({ version: 6, text: '#> Hello world. it works fine\n' });
    return { id, expected: '#> hello  world. it  works fine\n' };
  }

  it("takes back every op of the run, keeping people's edits and other runs, as one op by the caller", async () => {
    const agent = await createToken(server, ann.token, { name: 'Tidy bot' });
    const { id, expected } = await runWithTyping(agent.secret);
    const res = await revert(server, bob.token, id, 'tidy');
    expect(codeOf(res)).toBe('NOT_FOUND'); // Bob is a stranger so far
    await share(server, ann.token, id, bob.email, 'EDITOR');
    const done = await revert(server, bob.token, id, 'tidy');
    expect(done.data?.revertRun).toMatchObject({ version: 7, clientId: revertClientId('tidy'), actor: { kind: 'PERSON', tokenName: null, runId: 'revert:tidy', user: { id: bob.userId } } });
    expect(await stateOf(server, ann.token, id)).toEqual({ version: 7, text: expected });
    const content = await gql(server, 'query($id: ID!) { document(id: $id) { content } }', { id }, ann.token);
    expect(content.data?.document.content.ops).toEqual([{ insert: expected }]); // the bold is gone too

    // Reverting the revert puts the run back.
    await revert(server, ann.token, id, 'revert:tidy');
    expect((await stateOf(server, ann.token, id)).text).toBe('#> Hello world. it works fine\n');
  });

  it('reverts a run once: a second call, later or at the same time, by anyone, answers the first revert', async () => {
    const agent = await createToken(server, ann.token);
    const { id, expected } = await runWithTyping(agent.secret);
    await share(server, ann.token, id, bob.email, 'EDITOR');
    const [a, b, c] = await Promise.all([revert(server, ann.token, id, 'tidy'), revert(server, bob.token, id, 'tidy'), revert(server, agent.secret, id, 'tidy')]);
    for (const res of [a, b, c]) expect(codeOf(res)).toBeUndefined();
    expect(b.data?.revertRun).toEqual(a.data?.revertRun);
    expect(c.data?.revertRun).toEqual(a.data?.revertRun);
    expect(await stateOf(server, ann.token, id)).toEqual({ version: 7, text: expected });

    // Later, after more typing: the same op again, nothing applied.
    await type(ann.token, id, 7, { ops: [{ insert: '!' }] });
    const again = await revert(server, bob.token, id, 'tidy');
    expect(again.data?.revertRun).toEqual(a.data?.revertRun);
    expect(await stateOf(server, ann.token, id)).toEqual({ version: 8, text: `!${expected}` });
  });

  it('walks a log longer than one page read (200 ops) between and after the run\'s ops', async () => {
    const id = await createDocument(server, ann.token, { ops: [{ insert: 'abc\n' }] }); // version 1
    const dots = (from: number, n: number) =>
      Promise.all(Array.from({ length: n }, (_, i) => gql(server, SUBMIT, { input: { documentId: id, baseVersion: 1, delta: { ops: [{ insert: '.' }] }, clientId: 'dots', clientSeq: from + i } }, ann.token)));
    expect(codeOf(await edit(server, ann.token, { documentId: id, baseVersion: 1, runId: 'long', edits: [{ insertText: { index: 3, text: 'X' } }] }))).toBeUndefined();
    for (let i = 0; i < 6; i++) await dots(i * 50, 50);
    expect(codeOf(await edit(server, ann.token, { documentId: id, baseVersion: 1, runId: 'long', edits: [{ deleteText: { index: 1, length: 1 } }] }))).toBeUndefined();
    await dots(300, 150);
    expect(await stateOf(server, ann.token, id)).toEqual({ version: 453, text: `${'.'.repeat(450)}acX\n` });
    expect(codeOf(await revert(server, ann.token, id, 'long'))).toBeUndefined();
    expect(await stateOf(server, ann.token, id)).toEqual({ version: 454, text: `${'.'.repeat(450)}abc\n` });
  });

  it('lets a token within its limits revert, attributed to the token', async () => {
    const id = await createDocument(server, ann.token, { ops: [{ insert: 'abc\n' }] });
    const docToken = await createToken(server, ann.token, { name: 'Doc bot', documentId: id });
    await edit(server, docToken.secret, { documentId: id, runId: 'r1', edits: [{ insertText: { index: 3, text: 'def' } }] });
    const res = await revert(server, docToken.secret, id, 'r1');
    expect(res.data?.revertRun).toMatchObject({ version: 3, actor: { kind: 'TOKEN', tokenName: 'Doc bot', runId: 'revert:r1', user: { id: ann.userId } } });
    expect(await stateOf(server, ann.token, id)).toEqual({ version: 3, text: 'abc\n' });
  });

  it('refuses every caller without EDITOR, unknown runs and bad input with a typed error, changing nothing', async () => {
    const id = await createDocument(server, ann.token, { ops: [{ insert: 'abc\n' }] });
    await edit(server, ann.token, { documentId: id, runId: 'r1', edits: [{ insertText: { index: 0, text: 'X' } }] });
    const carl = await signUp(server, 'carl');
    const viewer = await signUp(server, 'vera');
    await share(server, ann.token, id, viewer.email, 'VIEWER');
    const viewerToken = await createToken(server, ann.token, { role: 'VIEWER' });
    const elsewhere = await createToken(server, ann.token, { documentId: await createDocument(server, ann.token) });
    const before = await stateOf(server, ann.token, id);
    expect(before).toEqual({ version: 2, text: 'Xabc\n' });

    const cases: Array<[string | undefined, string, string, Record<string, unknown>]> = [
      [undefined, id, 'r1', { code: 'UNAUTHENTICATED' }],
      [carl.token, id, 'r1', { code: 'NOT_FOUND' }],
      [viewer.token, id, 'r1', { code: 'FORBIDDEN' }],
      [viewerToken.secret, id, 'r1', { code: 'FORBIDDEN' }],
      [elsewhere.secret, id, 'r1', { code: 'NOT_FOUND' }],
      [ann.token, 'no-such-document', 'r1', { code: 'NOT_FOUND' }],
      [ann.token, id, 'no-such-run', { code: 'BAD_USER_INPUT', reason: 'NO_SUCH_RUN' }],
      [ann.token, id, '', { code: 'BAD_USER_INPUT', field: 'runId' }],
      [ann.token, id, 'x'.repeat(257), { code: 'BAD_USER_INPUT', field: 'runId' }],
    ];
    for (const [token, doc, run, error] of cases) {
      const res = token ? await revert(server, token, doc, run) : await gql(server, REVERT, { doc, run });
      expect(res.data?.revertRun ?? null, `${run} as ${token?.slice(0, 8)}`).toBeNull();
      expect(res.errors?.[0]?.extensions, `${run} as ${token?.slice(0, 8)}`).toMatchObject(error);
      expect(res.status).toBeLessThan(500);
    }
    // The revert's runId is not an agent's to take.
    const reserved = await edit(server, ann.token, { documentId: id, runId: 'revert:r1', edits: [{ insertText: { index: 0, text: 'Z' } }] });
    expect(reserved.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'runId', reason: 'RESERVED_RUN_ID' });
    expect(await stateOf(server, ann.token, id)).toEqual(before);
    // None of them used up the run's one revert.
    expect((await revert(server, ann.token, id, 'r1')).data?.revertRun).toMatchObject({ version: 3 });
    expect(await stateOf(server, ann.token, id)).toEqual({ version: 3, text: 'abc\n' });
  });

  it("refuses a person's op that takes the server's key forms, so the run's revert stays possible", async () => {
    const id = await createDocument(server, ann.token, { ops: [{ insert: 'abc\n' }] });
    await edit(server, ann.token, { documentId: id, runId: 'r1', edits: [{ insertText: { index: 0, text: 'X' } }] });
    const before = await stateOf(server, ann.token, id);
    for (const clientId of [revertClientId('r1'), `create-${id}`, 'restore-1', 'suggestion-1', 'edit-1']) {
      const claim = await gql(server, SUBMIT, { input: { documentId: id, baseVersion: 2, delta: { ops: [{ insert: 'Y' }] }, clientId, clientSeq: 0 } }, ann.token);
      expect(claim.errors?.[0]?.extensions, clientId).toMatchObject({ code: 'BAD_USER_INPUT', field: 'clientId', reason: 'RESERVED_CLIENT_ID' });
      expect(claim.status).toBeLessThan(500);
    }
    const suggestion = await gql(server, 'mutation($input: SuggestInput!) { suggest(input: $input) { id } }', { input: { documentId: id, baseVersion: 2, delta: { ops: [{ insert: 'Y' }] }, clientId: 'edit-1', clientSeq: 0 } }, ann.token);
    expect(suggestion.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'RESERVED_CLIENT_ID' });
    expect(await stateOf(server, ann.token, id)).toEqual(before);
    expect((await revert(server, ann.token, id, 'r1')).data?.revertRun).toMatchObject({ version: 3 });
    expect(await stateOf(server, ann.token, id)).toEqual({ version: 3, text: 'abc\n' });
  });
});
