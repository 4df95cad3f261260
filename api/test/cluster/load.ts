// Load and checks shared by the multi-node and fault tests.
import { expect } from 'vitest';
import { gql } from '../harness.js';
import { prng, randomEdit } from '../random-edits.js';
import type { Endpoint, SyncClient } from '../sync-client.js';

/**
 * Each client edits, waits for its ack (one op in flight, as real clients
 * do), and edits again, until stopped. Returns a stop function that
 * resolves when every loop has ended.
 */
export function editContinuously(clients: SyncClient[], seed: number): () => Promise<void> {
  let stopped = false;
  const rand = prng(seed);
  const loops = clients.map(async (c) => {
    while (!stopped) {
      c.edit(randomEdit(c.doc, rand));
      await c.until((x) => stopped || x.ot.state === 'synchronised');
    }
  });
  return async () => {
    stopped = true;
    for (const c of clients) c.poke();
    await Promise.all(loops);
  };
}

/** Total acknowledged ops over all clients. */
export const ackedCount = (clients: SyncClient[]) => clients.reduce((n, c) => n + c.acked.size, 0);

/** Waits until `predicate` holds, re-checking on every stream event of any client. */
export function untilAny(clients: SyncClient[], predicate: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    for (const c of clients) {
      void c.until(() => done || predicate()).then(() => {
        if (!done) {
          done = true;
          resolve();
        }
      });
    }
  });
}

async function fullLog(endpoint: Endpoint, token: string, documentId: string) {
  const ops: Array<{ version: number; clientId: string; clientSeq: number }> = [];
  for (;;) {
    const res = await gql(endpoint, 'query($id: ID!, $after: Int!) { document(id: $id) { operations(afterVersion: $after, first: 1000) { version clientId clientSeq } } }', { id: documentId, after: ops.length }, token);
    const page = res.data!.document.operations as typeof ops;
    ops.push(...page);
    if (page.length < 1000) return ops;
  }
}

/**
 * The invariants after a run: every client synchronised on the head and
 * equal to the server's content; the log gap-free and exactly-once; every
 * acknowledged op in the log at its acknowledged version.
 */
export async function expectConverged(clients: SyncClient[], endpoint: Endpoint, token: string, documentId: string): Promise<number> {
  await Promise.all(clients.map((c) => c.until((x) => x.ot.state === 'synchronised')));
  const state = await gql(endpoint, 'query($id: ID!) { document(id: $id) { version content } }', { id: documentId }, token);
  const { version, content } = state.data!.document as { version: number; content: { ops: unknown[] } };
  await Promise.all(clients.map((c) => c.until((x) => x.ot.version === version)));
  for (const c of clients) {
    expect(c.errors, c.clientId).toEqual([]);
    expect(c.doc.ops, c.clientId).toEqual(content.ops);
  }
  const log = await fullLog(endpoint, token, documentId);
  expect(log.map((op) => op.version)).toEqual(log.map((_, i) => i + 1));
  expect(new Set(log.map((op) => `${op.clientId}/${op.clientSeq}`)).size).toBe(log.length);
  for (const c of clients) {
    for (const [seq, at] of c.acked) expect(log[at - 1], `${c.clientId}#${seq} acked at ${at}`).toMatchObject({ clientId: c.clientId, clientSeq: seq });
  }
  return version;
}
