// What a node logs when operations fail: a client's mistake is logged at
// info with the code the client got (UNAUTHENTICATED, NOT_FOUND,
// BAD_USER_INPUT…), never at error and never as INTERNAL; error is kept for
// faults of ours. A real pino logger writes to memory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, signUp, startServer, SUBMIT, type TestServer } from './harness.ts';
import { captureLogs, LEVEL, type CapturedLogs } from './log-capture.ts';

describe('request log levels', () => {
  let server: TestServer;
  let logs: CapturedLogs;

  beforeAll(async () => {
    logs = captureLogs('info');
    server = await startServer('embedded', {}, { logger: logs.logger });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('logs client errors at info with their code, and nothing at warn or error', async () => {
    const owner = await signUp(server, 'logger');
    const from = logs.lines.length;
    await gql(server, 'query($id: ID!) { document(id: $id) { version } }', { id: 'x' }); // UNAUTHENTICATED
    const submit = (delta: unknown) =>
      gql(server, SUBMIT, { input: { documentId: '00000000-0000-4000-8000-000000000000', baseVersion: 0, delta, clientId: 'c', clientSeq: 0 } }, owner.token);
    await submit({ ops: [{ insert: 'x' }] }); // NOT_FOUND
    await submit({ ops: [{ retain: -1 }] }); // BAD_USER_INPUT (the delta is checked before the document is looked up) or NOT_FOUND
    await gql(server, '{ nope }'); // a validation error: never executed
    await gql(server, 'mutation($e: String!) { logIn(email: $e, password: "wrong password") { accessToken } }', { e: 'nobody@example.com' });

    const lines = logs.lines.slice(from);
    const failed = lines.filter((l) => l.msg === 'graphql operation failed');
    const codes = failed.flatMap((l) => l.errors as string[]);
    expect(codes).toContain('UNAUTHENTICATED');
    expect(codes).toContain('NOT_FOUND');
    expect(codes).not.toContain('INTERNAL');
    expect(codes).not.toContain('INTERNAL_SERVER_ERROR');
    for (const line of failed) expect(line.level).toBe(LEVEL.info);
    expect(lines.filter((l) => l.level >= LEVEL.warn)).toEqual([]);
  });
});
