// The audit trail: sign-ups, sign-ins (and failures), log-outs, refresh-token
// reuse, and who shared what with whom; never a password, token or cookie.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocument, gql, signUp, startServer, type TestServer } from '../harness.ts';

describe('audit log', () => {
  let server: TestServer;
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const audit = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => typeof l.audit === 'string');

  beforeAll(async () => {
    server = await startServer('embedded', {}, { logger });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('records sign-ins and sharing with who and whom, and leaks no secret', async () => {
    const ann = await signUp(server, 'ann');
    const bob = await signUp(server, 'bob');
    const wrong = 'wrong password 123';
    await gql(server, 'mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { accessToken } }', { e: ann.email, p: wrong });
    const login = await gql(server, 'mutation($e: String!) { logIn(email: $e, password: "correct horse") { accessToken } }', { e: ann.email });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const id = await createDocument(server, ann.token);
    await gql(server, 'mutation($id: ID!, $e: String!) { shareDocument(id: $id, email: $e, role: EDITOR) { role } }', { id, e: bob.email }, ann.token);
    await gql(server, 'mutation($id: ID!, $e: String!) { shareDocument(id: $id, email: $e, role: VIEWER) { role } }', { id, e: bob.email }, ann.token);
    await gql(server, 'mutation($id: ID!, $u: ID!) { removeMember(documentId: $id, userId: $u) }', { id, u: bob.userId }, ann.token);
    await gql(server, 'mutation($id: ID!) { shareDocument(id: $id, email: "nobody-here@example.com", role: VIEWER) { role } }', { id }, ann.token);
    const rotated = await gql(server, 'mutation { refreshSession { accessToken } }', {}, undefined, { cookie });
    await gql(server, 'mutation { refreshSession { accessToken } }', {}, undefined, { cookie }); // replay: reuse
    await gql(server, 'mutation($id: ID!) { deleteDocument(id: $id) }', { id }, ann.token);
    await gql(server, 'mutation { logOutEverywhere }', {}, bob.token);

    const events = audit();
    const of = (name: string) => events.filter((e) => e.audit === name);
    expect(of('sign-up').map((e) => e.userId)).toEqual([ann.userId, bob.userId]);
    expect(of('sign-in-failed')).toEqual([expect.objectContaining({ email: ann.email, ip: expect.any(String) })]);
    expect(of('sign-in')).toEqual([expect.objectContaining({ userId: ann.userId, email: ann.email })]);
    expect(of('document-shared')).toEqual([
      expect.objectContaining({ documentId: id, byUserId: ann.userId, userId: bob.userId, role: 'EDITOR', previousRole: null }),
      expect.objectContaining({ documentId: id, byUserId: ann.userId, userId: bob.userId, role: 'VIEWER', previousRole: 'EDITOR' }),
    ]);
    expect(of('member-removed')).toEqual([expect.objectContaining({ documentId: id, byUserId: ann.userId, userId: bob.userId, role: 'VIEWER' })]);
    expect(of('share-unknown-email')).toEqual([expect.objectContaining({ documentId: id, byUserId: ann.userId, email: 'nobody-here@example.com' })]);
    expect(of('refresh-token-reuse')).toEqual([expect.objectContaining({ userId: ann.userId })]);
    expect(of('document-deleted')).toEqual([expect.objectContaining({ documentId: id, byUserId: ann.userId })]);
    expect(of('log-out-everywhere')).toEqual([expect.objectContaining({ userId: bob.userId, sessions: 1 })]);

    const all = lines.join('\n');
    const secrets = [wrong, 'correct horse', ann.token, bob.token, login.data!.logIn.accessToken, cookie.split('=')[1]!, rotated.data!.refreshSession.accessToken];
    for (const secret of secrets) expect(all).not.toContain(secret);
  });
});
