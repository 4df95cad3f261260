// Hostile Delta input over real HTTP (fast-check): whatever a client sends
// as a Delta, the server answers without a 5xx, a rejection carries a typed
// code and changes nothing, and an acceptance is exactly one new version.
// A viewer's submissions never change anything, whatever they contain.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocument, DOC_STATE, gql, signUp, startServer, SUBMIT, type TestServer } from '../harness.ts';

const CODES = ['BAD_USER_INPUT', 'FORBIDDEN', 'NOT_FOUND', 'UNAUTHENTICATED', 'RATE_LIMITED', 'CONFLICT_RETRY_EXHAUSTED'];

/** Values that break naive code: wrong types, extremes, prototype tricks. */
const nasty = fc.oneof(
  fc.constantFrom(0, -1, 1.5, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, -0, 1e308, '', '1', 'x'.repeat(300), null, true, [], {}, { __proto__: null }),
  fc.constantFrom({ constructor: { prototype: { polluted: true } } }, JSON.parse('{"__proto__": {"polluted": true}}') as unknown),
  fc.string({ maxLength: 20 }),
  fc.integer({ min: -5, max: 40 }),
  fc.jsonValue({ maxDepth: 2 }),
);

const attributes = fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), nasty, { maxKeys: 3 }), nasty);

/** Ops that are often valid and often subtly not. */
const op = fc.oneof(
  fc.record({ insert: fc.oneof(fc.string({ minLength: 1, maxLength: 12 }), nasty) }, { requiredKeys: ['insert'] }),
  fc.record({ insert: fc.string({ minLength: 1, maxLength: 5 }), attributes }),
  fc.record({ retain: fc.oneof(fc.integer({ min: 1, max: 12 }), nasty) }),
  fc.record({ retain: fc.integer({ min: 1, max: 12 }), attributes }),
  fc.record({ delete: fc.oneof(fc.integer({ min: 1, max: 12 }), nasty) }),
  fc.record({ insert: fc.dictionary(fc.string({ maxLength: 6 }), nasty, { minKeys: 0, maxKeys: 2 }) }),
  fc.record({ insert: fc.constant('a'), delete: fc.constant(1) }),
  fc.dictionary(fc.string({ maxLength: 8 }), nasty, { maxKeys: 3 }),
  nasty,
);

const delta = fc.oneof(
  { weight: 6, arbitrary: fc.record({ ops: fc.array(op, { maxLength: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ ops: fc.array(op, { maxLength: 3 }), extra: nasty }) },
  { weight: 1, arbitrary: nasty },
);

describe('Delta fuzzing over HTTP', () => {
  let server: TestServer;
  let editor: { token: string };
  let viewer: { token: string; email: string };
  let id: string;
  const state = async () => (await gql(server, DOC_STATE, { id }, editor.token)).data?.document as { version: number; content: unknown };

  beforeAll(async () => {
    server = await startServer('embedded');
    editor = await signUp(server, 'editor');
    viewer = await signUp(server, 'viewer');
    id = await createDocument(server, editor.token, { ops: [{ insert: 'Hello world\n' }] });
    await gql(server, 'mutation($id: ID!, $e: String!) { shareDocument(id: $id, email: $e, role: VIEWER) { role } }', { id, e: viewer.email }, editor.token);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('never answers 5xx; a rejection is typed and changes nothing; an acceptance adds exactly one version', async () => {
    let seq = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(delta, fc.boolean(), async (input, atHead) => {
        const before = await state();
        const res = await gql(server, SUBMIT, {
          input: { documentId: id, baseVersion: atHead ? before.version : 0, delta: input, clientId: 'fuzz', clientSeq: seq++ },
        }, editor.token);
        expect(res.status).toBeLessThan(500);
        const after = await state();
        if (res.errors) {
          expect(CODES).toContain(res.errors[0]?.extensions?.code);
          expect(after).toEqual(before);
        } else {
          accepted++;
          expect(res.data?.submitOperation.version).toBe(before.version + 1);
          expect(after.version).toBe(before.version + 1);
        }
      }),
      { numRuns: 150, seed: 4 },
    );
    expect(accepted).toBeGreaterThan(0); // the generator does reach valid deltas
  });

  it('never lets a viewer change the document, whatever the delta', async () => {
    let seq = 0;
    await fc.assert(
      fc.asyncProperty(delta, async (input) => {
        const before = await state();
        const res = await gql(server, SUBMIT, { input: { documentId: id, baseVersion: before.version, delta: input, clientId: 'viewer', clientSeq: seq++ } }, viewer.token);
        expect(res.status).toBeLessThan(500);
        expect(['BAD_USER_INPUT', 'FORBIDDEN']).toContain(res.errors?.[0]?.extensions?.code);
        expect(await state()).toEqual(before);
      }),
      { numRuns: 60, seed: 5 },
    );
  });

  it('treats inline Delta literals the same way (the scalar parses literals too)', async () => {
    const before = await state();
    for (const literal of ['{ ops: [{ retain: -1 }] }', '{ ops: [{ insert: $x }] }', '{ ops: "x" }', '[1, 2]', '{ ops: [{ insert: { a: 1, b: 2 } }] }', '{ ops: [{ delete: 1.5 }] }']) {
      const res = await gql(server, `mutation { submitOperation(input: { documentId: "${id}", baseVersion: 0, clientId: "lit", clientSeq: 0, delta: ${literal} }) { version } }`, {}, editor.token);
      expect(res.status, literal).toBeLessThan(500);
      expect(res.errors?.length, literal).toBeGreaterThan(0);
    }
    expect(await state()).toEqual(before);
  });
});
