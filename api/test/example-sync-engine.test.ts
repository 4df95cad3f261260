// examples/sync-engine.ts is the documented way for a third-party Node
// client to use the sync engine: run it against a real server, twice on one
// document, and check that the server's content has both lines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendLine } from '../../examples/sync-engine.ts';
import { availableModes, createDocument, DOC_STATE, gql, signUp, startServer, type TestServer } from './harness.ts';

describe.each(availableModes())('example sync-engine client (%s)', (mode) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(mode);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('appends a line to a document from Node and returns once the server has it', async () => {
    const { token } = await signUp(server, 'node-client');
    const id = await createDocument(server, token, { ops: [{ insert: 'Notes\n' }] });
    const first = await appendLine(`${server.url}/graphql`, token, id, 'first line');
    const second = await appendLine(`${server.url}/graphql`, token, id, 'second line');
    expect(second).toBeGreaterThan(first);
    const { version, content } = (await gql(server, DOC_STATE, { id }, token)).data!.document;
    expect(version).toBe(second);
    expect(content).toEqual({ ops: [{ insert: 'Notes\nfirst line\nsecond line\n' }] });
  });
});
