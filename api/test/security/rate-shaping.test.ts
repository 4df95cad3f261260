// Rate limits that shape instead of punish, and budgets that count the
// right thing. With the default settings a client submitting at full speed
// (one op in flight, as the reference client does) is never refused; a
// burst over a budget is refused for the rest of the second only; failed
// log-ins count per account and address, so guessing from one address
// does not lock the owner out elsewhere; createDocument and shareDocument
// have budgets. Every refusal is RATE_LIMITED with `limit` and
// `retryAfterMs`, and changes nothing.
import { setTimeout as wait } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableModes, codeOf, createDocument, DOC_STATE, gql, SHARE, signUp, startServer, SUBMIT, type TestServer } from '../harness.ts';
import { RETRY_MARGIN_MS } from '../../src/limits/rate-limits.ts';

type User = { token: string; userId: string; email: string };
const LOG_IN = 'mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { accessToken } }';
const CREATE = 'mutation { createDocument(title: "budget") { id } }';
const from = (address: string) => ({ 'x-forwarded-for': address });

describe.each(availableModes())('rate shaping with the default budgets (%s)', (mode) => {
  let server: TestServer;
  let owner: User;

  beforeAll(async () => {
    // Defaults, except that the address comes from X-Forwarded-For so that one test can speak from several.
    server = await startServer(mode, { TRUST_PROXY: 'true' });
    owner = await signUp(server, 'owner');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('never refuses one user submitting at full speed in eight documents (1,280 submissions, one op in flight in each)', async () => {
    // Each document's writer sends its next op as soon as the last is
    // acknowledged: the most a client with one op in flight can send.
    // 1,280 is more than a whole minute's budget was before (1,200).
    const ids = await Promise.all(Array.from({ length: 8 }, () => createDocument(server, owner.token)));
    const started = performance.now();
    const refused: unknown[] = [];
    await Promise.all(
      ids.map(async (id) => {
        for (let seq = 0; seq < 160; seq++) {
          const reply = await gql(server, SUBMIT, { input: { documentId: id, baseVersion: seq, delta: { ops: [{ insert: 'x' }] }, clientId: 'full-speed', clientSeq: seq } }, owner.token);
          if (reply.errors) refused.push(reply.errors[0]?.extensions);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    console.info(`[rate-shaping] ${mode}: 1280 submissions in ${seconds.toFixed(1)} s (${Math.round(1280 / seconds)}/s)`);
    expect(refused).toEqual([]);
    for (const id of ids) expect((await gql(server, DOC_STATE, { id }, owner.token)).data?.document.version).toBe(160);
  });

  it('does not let failed log-ins from one address lock the owner out at another; the guesser stays bounded', async () => {
    const victim = await signUp(server, 'victim');
    const attempts = [];
    for (let i = 0; i < 20; i++) attempts.push(await gql(server, LOG_IN, { e: victim.email, p: `guess ${i}` }, undefined, from('203.0.113.7')));
    expect(attempts.slice(0, 5).map(codeOf)).toEqual(Array(5).fill('UNAUTHENTICATED'));
    for (const refused of attempts.slice(5)) expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'authFailuresPerAccountIp' });
    // The guesser's address stays refused even with the right password: a refusal tells nothing.
    expect(codeOf(await gql(server, LOG_IN, { e: victim.email, p: 'correct horse' }, undefined, from('203.0.113.7')))).toBe('RATE_LIMITED');
    // The owner, elsewhere, signs in; a few typos of their own first do not matter.
    for (let i = 0; i < 4; i++) expect(codeOf(await gql(server, LOG_IN, { e: victim.email, p: 'typo' }, undefined, from('198.51.100.20')))).toBe('UNAUTHENTICATED');
    expect((await gql(server, LOG_IN, { e: victim.email, p: 'correct horse' }, undefined, from('198.51.100.20'))).data?.logIn.accessToken).toBeTruthy();
    // A success there starts that address's count again.
    for (let i = 0; i < 4; i++) expect(codeOf(await gql(server, LOG_IN, { e: victim.email, p: 'typo' }, undefined, from('198.51.100.20')))).toBe('UNAUTHENTICATED');
    expect((await gql(server, LOG_IN, { e: victim.email, p: 'correct horse' }, undefined, from('198.51.100.20'))).data?.logIn.accessToken).toBeTruthy();
  });

  it('caps failed log-ins per account from all addresses together (30 a minute)', async () => {
    const target = await signUp(server, 'target');
    const codes: Array<string | undefined> = [];
    for (let address = 1; address <= 7; address++) {
      for (let i = 0; i < 5; i++) codes.push(codeOf(await gql(server, LOG_IN, { e: target.email, p: `guess ${i}` }, undefined, from(`192.0.2.${address}`))));
    }
    expect(codes.slice(0, 30)).toEqual(Array(30).fill('UNAUTHENTICATED'));
    const capped = await gql(server, LOG_IN, { e: target.email, p: 'another guess' }, undefined, from('192.0.2.99'));
    expect(capped.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'authPerAccount' });
  });
});

describe.each(availableModes())('small budgets (%s)', (mode) => {
  let server: TestServer;
  let owner: User;
  let friend: User;

  beforeAll(async () => {
    server = await startServer(mode, {
      RATE_LIMIT_SUBMIT_PER_USER_RATE: '5',
      RATE_LIMIT_SUBMIT_PER_USER_BURST: '3',
      RATE_LIMIT_CREATE_PER_USER_RATE: '2',
      RATE_LIMIT_CREATE_PER_USER_BURST: '0',
      RATE_LIMIT_SHARE_PER_USER_RATE: '1',
      RATE_LIMIT_SHARE_PER_USER_BURST: '1',
    });
    [owner, friend] = await Promise.all([signUp(server, 'owner'), signUp(server, 'friend')]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('refuses a burst over rate + reserve for less than a second; after that wait the refused op is accepted', async () => {
    const id = await createDocument(server, owner.token);
    const submit = (clientSeq: number) =>
      gql(server, SUBMIT, { input: { documentId: id, baseVersion: 0, delta: { ops: [{ insert: 'x' }] }, clientId: 'burst', clientSeq } }, owner.token);
    // Twenty at once: 5 a second and the reserve of 3 pass, the rest are
    // refused (at least 7 even if the burst straddles two seconds).
    const replies = await Promise.all(Array.from({ length: 20 }, (_, seq) => submit(seq)));
    const refused = replies.map((r, seq) => ({ r, seq })).filter(({ r }) => r.errors);
    expect(refused.length).toBeGreaterThanOrEqual(7);
    for (const { r } of refused) {
      const details = r.errors?.[0]?.extensions as { code: string; limit: string; retryAfterMs: number };
      expect(details).toMatchObject({ code: 'RATE_LIMITED', limit: 'submitPerUser' });
      expect(details.retryAfterMs).toBeGreaterThan(0);
      expect(details.retryAfterMs).toBeLessThanOrEqual(1_000 + RETRY_MARGIN_MS);
    }
    const accepted = 20 - refused.length;
    expect((await gql(server, DOC_STATE, { id }, owner.token)).data?.document.version).toBe(accepted);
    // Resent now, a refused op is refused again (this second's points and the reserve are spent) or, if a new
    // second began meanwhile, accepted; refused, it waits the hint it got and then goes through.
    const again = await submit(refused[0]!.seq);
    if (again.errors) {
      const { retryAfterMs } = again.errors[0]?.extensions as { retryAfterMs: number };
      expect(retryAfterMs).toBeLessThanOrEqual(1_000 + RETRY_MARGIN_MS);
      await wait(retryAfterMs);
      expect((await submit(refused[0]!.seq)).data?.submitOperation.version).toBe(accepted + 1);
    } else {
      expect(again.data?.submitOperation.version).toBe(accepted + 1);
    }
  });

  it('limits createDocument per user: RATE_LIMITED (createPerUser), and a refused call creates nothing', async () => {
    const count = () => server.services.db.prisma.document.count();
    const before = await count();
    // 2 a second, no reserve: of six at once at least two are refused, even across two seconds.
    const replies = await Promise.all(Array.from({ length: 6 }, () => gql(server, CREATE, {}, owner.token)));
    const refused = replies.filter((r) => r.errors);
    expect(refused.length).toBeGreaterThanOrEqual(2);
    for (const r of refused) expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'createPerUser' });
    expect(await count()).toBe(before + 6 - refused.length);
  });

  it('limits shareDocument per user: RATE_LIMITED (sharePerUser), and membership is unchanged by a refused call', async () => {
    // Made in the database: the createDocument budget is not what this test spends.
    const made = () => server.services.db.prisma.document.create({ data: { title: 'shared', members: { create: { userId: friend.userId, role: 'OWNER' } } } });
    const ids = (await Promise.all(Array.from({ length: 5 }, made))).map((d) => d.id);
    // 1 a second and a reserve of 1: of five at once at least two are refused, even across two seconds.
    const replies = await Promise.all(ids.map((id) => gql(server, SHARE, { id, e: owner.email, r: 'VIEWER' }, friend.token)));
    const refused = ids.filter((_, i) => replies[i]!.errors);
    expect(refused.length).toBeGreaterThanOrEqual(2);
    for (const r of replies.filter((r) => r.errors)) expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'sharePerUser' });
    expect(await server.services.db.prisma.documentMember.count({ where: { documentId: { in: refused }, userId: owner.userId } })).toBe(0);
  });
});
