// GraphiQL's default tabs are the README's walk-through: run them in order
// against a real server, with the placeholders filled in as a reader
// would, and check each one does what its comment promises.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, subscribe, wsClient, type TestServer } from '../../test/harness.ts';
import { DOCUMENT_PLACEHOLDER, graphiqlTabs, TOKEN_PLACEHOLDER, type GraphiQLTab } from './graphiql-examples.ts';

describe('GraphiQL default tabs', () => {
  let server: TestServer;
  const filled = { token: '', documentId: '' };
  const fill = (text: string) => text.replaceAll(TOKEN_PLACEHOLDER, filled.token).replaceAll(DOCUMENT_PLACEHOLDER, filled.documentId);
  const tab = (n: number) => graphiqlTabs[n - 1]!;
  const variablesOf = (t: GraphiQLTab, override: Record<string, unknown> = {}) => ({ ...JSON.parse(fill(t.variables ?? '{}')), ...override });

  /** What GraphiQL does over HTTP: the tab's query, variables and headers, one operation of it. */
  async function run(t: GraphiQLTab, operationName: string, override: Record<string, unknown> = {}) {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...JSON.parse(fill(t.headers ?? '{}')) },
      body: JSON.stringify({ query: t.query, variables: variablesOf(t, override), operationName }),
    });
    const body = (await res.json()) as { data?: Record<string, any>; errors?: unknown[] };
    expect(body.errors, `${operationName}: ${JSON.stringify(body.errors)}`).toBeUndefined();
    return body.data!;
  }

  /** A subscription tab, over graphql-ws with the tab's Authorization header as connectionParams. */
  function subscribeTo(t: GraphiQLTab) {
    const headers = JSON.parse(fill(t.headers ?? '{}')) as { Authorization: string };
    const client = wsClient(server, headers.Authorization.replace(/^Bearer /, ''));
    return { client, stream: subscribe(client, t.query, variablesOf(t)) };
  }

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('are the six steps, in order, then the history and events tabs, each with its headers and placeholders', () => {
    const names = graphiqlTabs.map((t) => [...t.query.matchAll(/^(?:query|mutation|subscription) (\w+)/gm)].map((m) => m[1]));
    expect(names).toEqual([['SignUp', 'LogIn'], ['CreateDocument'], ['DocumentOperations'], ['SubmitOperation', 'UpdatePresence', 'Document'], ['DocumentPresence'], ['CreateApiToken', 'EditDocument', 'RevertRun'], ['NameVersion', 'History'], ['DocumentEvents', 'CreateWebhook']]);
    expect(tab(1).headers).toBe('{}');
    for (const n of [2, 3, 4, 5, 6]) expect(tab(n).headers).toContain(`Bearer ${TOKEN_PLACEHOLDER}`);
    for (const n of [3, 4, 5, 6]) expect(tab(n).variables).toContain(DOCUMENT_PLACEHOLDER);
  });

  it('run end to end: sign up, create, subscribe, submit, resubmit, rebase, presence', async () => {
    const signedUp = await run(tab(1), 'SignUp');
    filled.token = signedUp.signUp.accessToken;
    expect((await run(tab(1), 'LogIn')).logIn.user).toEqual(signedUp.signUp.user);

    const created = (await run(tab(2), 'CreateDocument')).createDocument;
    expect(created).toMatchObject({ title: 'Notes', version: 1, content: { ops: [{ insert: 'Hello\n' }] } });
    filled.documentId = created.id;

    const ops = subscribeTo(tab(3));
    const presence = subscribeTo(tab(5));
    const [first] = await ops.stream.take(1);
    expect(first?.data?.documentOperations).toMatchObject({ version: 1, clientSeq: 0, author: { name: 'Ann' } });

    const submitted = (await run(tab(4), 'SubmitOperation')).submitOperation;
    expect(submitted).toEqual({ version: 2, delta: { ops: [{ insert: 'Hi! ' }] }, clientId: 'graphiql-tab-4', clientSeq: 0 });
    // "Run it again": the same op, nothing added.
    expect((await run(tab(4), 'SubmitOperation')).submitOperation).toEqual(submitted);
    // "Set clientSeq to 1 … still at baseVersion 1": rebased, the committed op first.
    const rebased = (await run(tab(4), 'SubmitOperation', { clientSeq: 1 })).submitOperation;
    expect(rebased).toEqual({ version: 3, delta: { ops: [{ retain: 4 }, { insert: 'Hi! ' }] }, clientId: 'graphiql-tab-4', clientSeq: 1 });
    const live = await ops.stream.take(3);
    expect(live.map((r) => r.data?.documentOperations.version)).toEqual([1, 2, 3]);

    expect((await run(tab(4), 'UpdatePresence')).updatePresence).toBe(true);
    const [seen] = await presence.stream.take(1);
    expect(seen?.data?.documentPresence).toMatchObject({ clientId: 'graphiql-tab-4', user: { name: 'Ann' }, version: 1, index: 0, length: 5 });

    const doc = (await run(tab(4), 'Document')).document;
    expect(doc).toMatchObject({ version: 3, content: { ops: [{ insert: 'Hi! Hi! Hello\n' }] }, contentAt: { ops: [{ insert: 'Hello\n' }] } });
    expect(doc.presence).toEqual([{ clientId: 'graphiql-tab-4', index: 0, length: 5, version: 1 }]);

    // Tab 6: a token for this document, then its edit (as the agent: its secret in the Headers), repeated.
    const made = (await run(tab(6), 'CreateApiToken')).createApiToken;
    expect(made).toMatchObject({ token: expect.stringMatching(/^cgat_/), apiToken: { name: 'Copy editor', role: 'EDITOR', documentId: filled.documentId } });
    const person = filled.token;
    filled.token = made.token;
    const edited = (await run(tab(6), 'EditDocument')).editDocument;
    expect(edited).toMatchObject({ version: 4, actor: { kind: 'TOKEN', tokenName: 'Copy editor', runId: 'tutorial', user: { name: 'Ann' } } });
    expect((await run(tab(6), 'EditDocument')).editDocument).toEqual(edited);
    filled.token = person;
    expect((await run(tab(4), 'Document')).document.content).toEqual({ ops: [{ insert: 'Notes: ', attributes: { bold: true } }, { insert: 'Hi! Hi! Hello, world\n' }] });
    const reverted = (await run(tab(6), 'RevertRun')).revertRun;
    expect(reverted).toMatchObject({ version: 5, actor: { kind: 'PERSON', runId: 'revert:tutorial', user: { name: 'Ann' } } });
    expect((await run(tab(6), 'RevertRun')).revertRun).toEqual(reverted);
    expect((await run(tab(4), 'Document')).document.content).toEqual({ ops: [{ insert: 'Hi! Hi! Hello\n' }] });
    // The history tab: sessions cover versions 5 down to 1 (one session, unless these
    // seconds crossed a half hour); naming version 1 makes it end one.
    const before = (await run(tab(7), 'History')).document;
    expect(before.history[0]).toMatchObject({ toVersion: 5, name: null, authors: [{ name: 'Ann' }] });
    expect(before.history.at(-1)).toMatchObject({ fromVersion: 1 });
    expect((await run(tab(7), 'NameVersion')).nameVersion).toEqual({ version: 1, name: 'First draft', author: { name: 'Ann' } });
    const after = (await run(tab(7), 'History')).document;
    expect(after.history.at(-1)).toMatchObject({ fromVersion: 1, toVersion: 1, name: 'First draft' });
    expect(after.history.at(-2)).toMatchObject({ fromVersion: 2, name: null });
    expect(after.namedVersions).toEqual([{ version: 1, name: 'First draft' }]);
    expect(after.markdown).toContain('Hi! Hi! Hello');
    expect(after.firstDraft).toContain('<p>Hello</p>');

    // The events tab: the document's events from the start, its CHANGED ranges reaching version 5.
    // GraphiQL sends the operation chosen at the run button: here the subscription alone.
    const eventsTab = { ...tab(8), query: tab(8).query.slice(0, tab(8).query.indexOf('mutation CreateWebhook')) };
    const events = subscribeTo(eventsTab);
    let got: Array<{ kind: string; documentId: string; toVersion: number | null }> = [];
    for (let n = 1; !got.some((e) => e.kind === 'CHANGED' && e.toVersion === 5); n++) {
      const results = await events.stream.take(n);
      if (results.length < n) throw new Error(`the events stream ended: ${JSON.stringify(results.at(-1) ?? events.stream.failure)}`);
      got = results.map((r) => r.data!.documentEvents);
    }
    expect(got[0]).toMatchObject({ kind: 'CREATED', documentId: filled.documentId });
    expect(got.map((e) => e.kind)).toContain('CHANGED');

    for (const { client, stream } of [ops, presence, events]) {
      stream.dispose();
      await client.dispose();
    }
  });
});
