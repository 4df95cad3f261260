// What an answer tells about whether an email has an account (README
// "Security model", account enumeration): logIn nothing; signUp and
// shareDocument say it, with the same code and shape as their other
// refusals, within their rate budgets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocument, gql, signUp, startServer, type TestServer } from '../harness.ts';

const SIGN_UP = 'mutation($e: String!) { signUp(email: $e, password: "correct horse", name: "Someone") { accessToken } }';
const LOG_IN = 'mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { accessToken } }';

describe('account enumeration', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer('embedded');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('logIn answers an unknown email exactly as a wrong password', async () => {
    const known = await signUp(server);
    const wrong = await gql(server, LOG_IN, { e: known.email, p: 'not the password' });
    const unknown = await gql(server, LOG_IN, { e: `nobody-${known.userId}@example.com`, p: 'not the password' });
    expect(unknown.status).toBe(wrong.status);
    expect(unknown.errors).toEqual(wrong.errors);
    expect(unknown.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED' });
  });

  it('signUp refuses a taken email with the code and fields of a malformed one, and creates nothing', async () => {
    const known = await signUp(server);
    const users = await server.services.db.prisma.user.count();
    const taken = await gql(server, SIGN_UP, { e: known.email.toUpperCase() });
    const malformed = await gql(server, SIGN_UP, { e: 'not an email' });
    expect(taken.status).toBe(malformed.status);
    expect(taken.errors?.[0]?.extensions).toEqual(malformed.errors?.[0]?.extensions);
    expect(taken.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'email' });
    expect(await server.services.db.prisma.user.count()).toBe(users);
  });

  it('shareDocument to an email without an account is NOT_FOUND and changes nothing', async () => {
    const owner = await signUp(server);
    const id = await createDocument(server, owner.token);
    const reply = await gql(server, 'mutation($id: ID!) { shareDocument(id: $id, email: "no-account@example.com", role: EDITOR) { role } }', { id }, owner.token);
    expect(reply.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND' });
    expect(await server.services.db.prisma.documentMember.count({ where: { documentId: id } })).toBe(1);
  });
});
