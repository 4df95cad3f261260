// The MCP server as an MCP client sees it: `node mcp/server.ts` spawned over
// stdio by the SDK's own Client, talking to a real API node over HTTP with
// an API token, while a person edits the same document at the same time.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { buildSchema, isInputObjectType, isObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken, stateOf } from '../api/test/agents/agent-helpers.ts';
import { createDocument, gql, signUp, startServer, SUBMIT, type TestServer } from '../api/test/harness.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SERVER = path.join(root, 'mcp', 'server.ts');

// What this API has: the tools that need newer fields answer NOT_AVAILABLE
// without them, and must work with them (the committed schema is the API's,
// schema.test.ts holds them equal).
const schema = buildSchema(readFileSync(path.join(root, 'schema.graphql'), 'utf8'));
const fieldsOf = (name: string) => {
  const type = schema.getType(name);
  return isObjectType(type) || isInputObjectType(type) ? Object.keys(type.getFields()) : [];
};
const has = {
  export: fieldsOf('Document').includes('export'),
  openThread: fieldsOf('Mutation').includes('openThread'),
  revertRun: fieldsOf('Mutation').includes('revertRun'),
  suggestions: Boolean(schema.getType('Suggestion')),
};

interface ToolResult { isError?: boolean; content: Array<{ type: string; text?: string }>; structuredContent?: Record<string, any> }

describe('MCP server over stdio', () => {
  let server: TestServer;
  let ann: Awaited<ReturnType<typeof signUp>>;
  let bob: Awaited<ReturnType<typeof signUp>>;
  let client: Client;
  let transport: StdioClientTransport;
  let stderr = '';

  beforeAll(async () => {
    server = await startServer('embedded');
    ann = await signUp(server, 'ann');
    bob = await signUp(server, 'bob');
    const { secret } = await createToken(server, ann.token, { name: 'MCP agent' });
    transport = new StdioClientTransport({
      command: process.execPath,
      args: [SERVER],
      cwd: root,
      env: { COLLAB_URL: server.url, COLLAB_TOKEN: secret, PATH: process.env.PATH ?? '' },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    client = new Client({ name: 'mcp-server-test', version: '1.0.0' });
    await client.connect(transport);
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  const call = (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args }) as Promise<ToolResult>;
  /** A tool error's API code and extensions, or a failure naming the unexpected success. */
  const refusal = (result: ToolResult) => {
    expect(result.isError, JSON.stringify(result.content)).toBe(true);
    return result.structuredContent?.error as { code: string; reason?: string; [k: string]: unknown };
  };
  const doc = (text = 'Hello world\n', title = 'Test doc') =>
    gql(server, 'mutation($t: String!, $c: Delta) { createDocument(title: $t, content: $c) { id } }', { t: title, c: { ops: [{ insert: text }] } }, ann.token).then(
      (res) => res.data!.createDocument.id as string,
    );

  it('lists its tools, each with an input schema', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['comment', 'edit_document', 'list_documents', 'read_document', 'revert_run', 'suggest']);
    for (const tool of tools) expect(tool.description, tool.name).toBeTruthy();
    expect(tools.find((tool) => tool.name === 'edit_document')?.inputSchema.required).toEqual(['documentId', 'edits']);
  });

  it("lists the token's documents, by title, and not another person's", async () => {
    const mine = await doc('Plan\n', 'Quarterly plan MCP');
    const theirs = await createDocument(server, bob.token, { ops: [{ insert: 'Secret\n' }] });
    const all = (await call('list_documents', { first: 100 })).structuredContent!;
    // myRole is the token's: the lower of its role (EDITOR) and its creator's (OWNER).
    const ids = all.documents.map((d: { id: string }) => d.id);
    expect(ids).toContain(mine);
    expect(ids).not.toContain(theirs);
    const found = (await call('list_documents', { titleContains: 'quarterly PLAN' })).structuredContent!;
    expect(found).toEqual({ documents: [expect.objectContaining({ id: mine, title: 'Quarterly plan MCP', version: 1, myRole: 'EDITOR' })], nextCursor: null });
  });

  it('reads a document with its version, as Markdown where the API exports it, else as plain text', async () => {
    const id = await doc('Hello world\n');
    const read = await call('read_document', { documentId: id });
    expect(read.isError).toBeFalsy();
    // Markdown of one plain paragraph is that paragraph; an exporter may or may not end it with a newline.
    const expected = has.export ? expect.stringMatching(/^Hello world\n*$/) : 'Hello world\n';
    expect(read.structuredContent).toEqual({ id, title: 'Test doc', version: 1, format: has.export ? 'markdown' : 'text', text: expected });
    expect(read.content[1]?.text).toEqual(expected);
    const text = await call('read_document', { documentId: id, format: 'text' });
    expect(text.structuredContent).toMatchObject({ version: 1, format: 'text', text: 'Hello world\n' });
  });

  it('edits at the version it read while a person types, and everyone converges', async () => {
    const id = await doc('Hello world\n');
    const { version } = (await call('read_document', { documentId: id, format: 'text' })).structuredContent!;
    expect(version).toBe(1);
    // The person types at the start, one op at a time, each based on their own last commit.
    let base = 1;
    const key = async (seq: number) => {
      const res = await gql(server, SUBMIT, { input: { documentId: id, baseVersion: base, delta: { ops: [{ insert: String(seq) }] }, clientId: 'typist', clientSeq: seq } }, ann.token);
      base = res.data!.submitOperation.version;
    };
    for (let seq = 0; seq < 3; seq++) await key(seq); // the agent's positions are at least three versions old
    const typing = (async () => {
      for (let seq = 3; seq < 10; seq++) await key(seq);
    })();
    const editing = call('edit_document', {
      documentId: id,
      baseVersion: version,
      edits: [{ replaceText: { find: 'world', replace: 'there' } }, { insertText: { index: 5, text: ',' } }],
      runId: 'mcp-run-1',
    });
    const [, edited] = await Promise.all([typing, editing]);
    expect(edited.isError, JSON.stringify(edited.content)).toBeFalsy();
    expect(edited.structuredContent).toMatchObject({ documentId: id, runId: 'mcp-run-1', idempotencyKey: expect.any(String) });
    expect(edited.structuredContent!.version).toBeGreaterThan(4);
    // The MCP reader and the person read the same thing, with both sets of edits in it.
    const person = await stateOf(server, ann.token, id);
    expect(person).toEqual({ version: 12, text: '9876543210Hello, there\n' });
    const agent = (await call('read_document', { documentId: id, format: 'text' })).structuredContent!;
    expect({ version: agent.version, text: agent.text }).toEqual(person);
    // Attributed to the token and its run.
    const ops = await gql(server, 'query($id: ID!, $v: Int!) { document(id: $id) { operations(afterVersion: $v, first: 1) { actor { kind tokenName runId } } } }', { id, v: edited.structuredContent!.version - 1 }, ann.token);
    expect(ops.data?.document.operations[0].actor).toEqual({ kind: 'TOKEN', tokenName: 'MCP agent', runId: 'mcp-run-1' });
  });

  it('applies a retried idempotency key once, and answers requiredVersion with CONFLICT', async () => {
    const id = await doc('abc\n');
    const edit = { documentId: id, idempotencyKey: 'mcp-key-1', edits: [{ insertText: { index: 3, text: 'd' } }] };
    const first = await call('edit_document', edit);
    const again = await call('edit_document', edit);
    expect(again.structuredContent).toEqual(first.structuredContent);
    expect(await stateOf(server, ann.token, id)).toEqual({ version: 2, text: 'abcd\n' });
    const stale = refusal(await call('edit_document', { documentId: id, requiredVersion: 1, edits: [{ insertText: { index: 0, text: 'x' } }] }));
    expect(stale).toMatchObject({ code: 'CONFLICT', headVersion: 2 });
    expect(await stateOf(server, ann.token, id)).toEqual({ version: 2, text: 'abcd\n' });
  });

  it("refuses bad input with the API's code and changes nothing", async () => {
    const id = await doc('Hello\n');
    const theirs = await createDocument(server, bob.token, { ops: [{ insert: 'Secret\n' }] });
    for (const unknown of ['no-such-document', theirs]) {
      expect(refusal(await call('read_document', { documentId: unknown })).code).toBe('NOT_FOUND');
      expect(refusal(await call('edit_document', { documentId: unknown, edits: [{ insertText: { index: 0, text: 'x' } }] })).code).toBe('NOT_FOUND');
    }
    expect(refusal(await call('edit_document', { documentId: id, edits: [{ deleteText: { index: 3, length: 10 } }] }))).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'OUT_OF_RANGE', edit: 0 });
    expect(refusal(await call('edit_document', { documentId: id, edits: [{ insertText: { index: 0, text: 'x' } }, { replaceText: { find: 'nowhere', replace: 'y' } }] }))).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'NO_MATCH', edit: 1 });
    expect(refusal(await call('edit_document', { documentId: id, baseVersion: 99, edits: [{ insertText: { index: 0, text: 'x' } }] })).code).toBe('BAD_USER_INPUT');
    // Refused by the tool's own schema before any request: an edit of two shapes, no edits, a negative index.
    for (const edits of [[{ insertText: { index: 0, text: 'x' }, deleteText: { index: 0, length: 1 } }], [], [{ insertText: { index: -1, text: 'x' } }]]) {
      const result = await call('edit_document', { documentId: id, edits });
      expect(result.isError, JSON.stringify(edits)).toBe(true);
    }
    expect(await stateOf(server, ann.token, id)).toEqual({ version: 1, text: 'Hello\n' });
    expect(await stateOf(server, bob.token, theirs)).toEqual({ version: 1, text: 'Secret\n' });
  });

  it(has.suggestions ? 'suggests without changing the text' : 'answers suggest with NOT_AVAILABLE and changes nothing', async () => {
    const id = await doc('Hello world\n');
    const result = await call('suggest', { documentId: id, baseVersion: 1, edits: [{ replaceText: { find: 'world', replace: 'there' } }] });
    if (has.suggestions) expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    else expect(refusal(result)).toMatchObject({ code: 'NOT_AVAILABLE', reason: 'SUGGESTIONS_NOT_AVAILABLE' });
    expect(await stateOf(server, ann.token, id)).toEqual({ version: 1, text: 'Hello world\n' });
  });

  it(has.openThread ? 'opens a comment thread on a range' : 'answers comment with NOT_AVAILABLE on an API without openThread', async () => {
    const id = await doc('Hello world\n');
    const result = await call('comment', { documentId: id, index: 6, length: 5, body: 'Which world?' });
    if (has.openThread) expect(result.structuredContent).toMatchObject({ documentId: id, version: 1, threadId: expect.any(String) });
    else expect(refusal(result)).toMatchObject({ code: 'NOT_AVAILABLE', reason: 'NOT_ON_THIS_SERVER', field: 'openThread' });
    expect(await stateOf(server, ann.token, id)).toEqual({ version: 1, text: 'Hello world\n' });
  });

  it(has.revertRun ? "reverts a run's edits, keeping what the person wrote" : 'answers revert_run with NOT_AVAILABLE on an API without revertRun', async () => {
    const id = await doc('Hello world\n');
    await call('edit_document', { documentId: id, runId: 'to-revert', edits: [{ replaceText: { find: 'world', replace: 'there' } }] });
    await gql(server, SUBMIT, { input: { documentId: id, baseVersion: 2, delta: { ops: [{ insert: '> ' }] }, clientId: 'person', clientSeq: 0 } }, ann.token);
    const result = await call('revert_run', { documentId: id, runId: 'to-revert' });
    if (has.revertRun) {
      expect(result.structuredContent).toMatchObject({ documentId: id, runId: 'to-revert', version: 4 });
      expect(await stateOf(server, ann.token, id)).toEqual({ version: 4, text: '> Hello world\n' });
    } else {
      expect(refusal(result)).toMatchObject({ code: 'NOT_AVAILABLE', reason: 'NOT_ON_THIS_SERVER', field: 'revertRun' });
      expect(await stateOf(server, ann.token, id)).toEqual({ version: 3, text: '> Hello there\n' });
    }
  });

  it('offers documents as resources', async () => {
    const id = await doc('Resource text\n', 'As a resource');
    const { resources } = await client.listResources();
    const uri = `collab://documents/${encodeURIComponent(id)}`;
    expect(resources).toContainEqual(expect.objectContaining({ uri, name: 'As a resource' }));
    const { contents } = await client.readResource({ uri });
    expect(contents).toEqual([{ uri, mimeType: has.export ? 'text/markdown' : 'text/plain', text: has.export ? expect.stringMatching(/^Resource text\n*$/) : 'Resource text\n' }]);
  });

  it('says on stderr where it talks to, never on stdout', () => {
    expect(stderr).toContain(`API ${server.url}/graphql`);
  });
});

describe('MCP server settings', () => {
  /** Runs the server with `env` and stdin closed; resolves with its exit code and output. */
  async function run(env: Record<string, string>) {
    const child = spawn(process.execPath, [SERVER], { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let [stdout, stderr] = ['', ''];
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, stdout, stderr };
  }

  it('refuses to start without a token, or with one that is not an API token, saying why', async () => {
    const missing = await run({});
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toContain('COLLAB_TOKEN is not set');
    const access = await run({ COLLAB_TOKEN: 'eyJhbGciOi.not.an-api-token' });
    expect(access.code).toBe(2);
    expect(access.stderr).toContain('must be an API token');
    const url = await run({ COLLAB_TOKEN: 'cgat_x', COLLAB_URL: 'ftp://example.com' });
    expect(url.code).toBe(2);
    expect(url.stderr).toContain('COLLAB_URL');
  });
});
