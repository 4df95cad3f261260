// One document's failing write never fails another document's commit. In
// embedded mode the commits of documents ready together go to the database
// as one statement (group commit): an attacker sending ops the database
// could not store made every victim whose commit shared the statement fail
// with INTERNAL_SERVER_ERROR. Now bad ops are refused before any write, and
// a group that fails anyway is retried one document at a time (the log's
// own test: api/test/support/prisma-operation-log.suite.ts, "appendMany: a request the database
// refuses…").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableModes, codeOf, createDocument, DOC_STATE, gql, signUp, startServer, SUBMIT, type TestServer } from '../harness.ts';

type User = { token: string; userId: string; email: string };
const EMOJI = '\u{1F600}';

// Each was accepted by 5e120a2 and failed in the database.
const BAD_OPS: unknown[][] = [
  [{ insert: 'nul \u0000' }],
  [{ insert: 'half \uD83D' }],
  [{ insert: 'x', attributes: { link: 'nul\u0000' } }],
  [{ retain: 1 }, { insert: 'split' }],
];

describe.each(availableModes())('group commit isolation (%s)', (mode) => {
  let server: TestServer;
  let attacker: User;
  let victim: User;

  beforeAll(async () => {
    server = await startServer(mode, { SNAPSHOT_EVERY: '5' });
    [attacker, victim] = await Promise.all([signUp(server, 'attacker'), signUp(server, 'victim')]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("commits every victim's op on its document while an attacker's bad ops on another are refused", async () => {
    const target = await createDocument(server, attacker.token, { ops: [{ insert: `${EMOJI}\n` }] });
    const own = await createDocument(server, victim.token, { ops: [{ insert: '\n' }] });
    const before = (await gql(server, DOC_STATE, { id: target }, attacker.token)).data?.document;
    const rounds = 40;
    const outcomes = { victim: [] as Array<number | string | undefined>, attacker: [] as Array<[number, string | undefined]> };
    for (let i = 0; i < rounds; i++) {
      // Sent together, so that both documents' commits are ready in the same turn.
      const [bad, good] = await Promise.all([
        gql(server, SUBMIT, { input: { documentId: target, baseVersion: 1, delta: { ops: BAD_OPS[i % BAD_OPS.length] }, clientId: 'attack', clientSeq: i } }, attacker.token),
        gql(server, SUBMIT, { input: { documentId: own, baseVersion: i + 1, delta: { ops: [{ insert: 'v' }] }, clientId: 'victim', clientSeq: i } }, victim.token),
      ]);
      outcomes.attacker.push([bad.status, codeOf(bad)]);
      outcomes.victim.push(good.data?.submitOperation.version ?? codeOf(good));
    }
    expect(outcomes.victim).toEqual(Array.from({ length: rounds }, (_, i) => i + 2));
    expect(outcomes.attacker.every(([status, code]) => status < 500 && code === 'BAD_USER_INPUT'), JSON.stringify(outcomes.attacker)).toBe(true);
    expect((await gql(server, DOC_STATE, { id: own }, victim.token)).data?.document).toEqual({ version: rounds + 1, content: { ops: [{ insert: `${'v'.repeat(rounds)}\n` }] } });
    // The attacked document is unchanged, and still takes edits past a snapshot.
    expect((await gql(server, DOC_STATE, { id: target }, attacker.token)).data?.document).toEqual(before);
    for (let v = 1; v < 7; v++) {
      const res = await gql(server, SUBMIT, { input: { documentId: target, baseVersion: v, delta: { ops: [{ insert: 'a' }] }, clientId: 'after', clientSeq: v } }, attacker.token);
      expect(res.data?.submitOperation.version, JSON.stringify(res.errors)).toBe(v + 1);
    }
  });
});
