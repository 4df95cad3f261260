// Load and checks shared by the multi-node and fault tests.
import { expect } from 'vitest';
import { gql } from '../harness.ts';
import { prng, randomEdit } from '../random-edits.ts';
import type { Endpoint, SyncClient } from '../sync-client.ts';
import { waitFor } from '../wait-for.ts';
import type { NodeProcess } from './processes.ts';

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

/** What a failed wait reports: every client's state, and the last lines of the nodes' logs. */
export function loadState(clients: SyncClient[], nodes: NodeProcess[] = []): () => unknown {
  return () => ({
    clients: clients.map((c) => c.state()),
    nodes: Object.fromEntries(nodes.map((n) => [n.url, n.child.exitCode !== null || n.child.signalCode !== null ? ['(exited)'] : n.logTail().slice(-15)])),
  });
}

export interface UntilOptions {
  /** What the condition means, for the failure message. */
  what: string;
  /** Nodes whose recent log lines the failure message shows. */
  nodes?: NodeProcess[];
  timeoutMs?: number;
}

/**
 * Waits until `predicate` holds, re-checking on every stream event and
 * acknowledgement of any client; fails after a bound, saying what it waited for.
 */
export function untilAny(clients: SyncClient[], predicate: () => boolean, options: UntilOptions): Promise<void> {
  let done = false;
  const met = new Promise<void>((resolve) => {
    for (const c of clients) {
      void c.until(() => done || predicate()).then(() => {
        if (!done) {
          done = true;
          resolve();
        }
      });
    }
  });
  return waitFor(met, { what: options.what, timeoutMs: options.timeoutMs, state: loadState(clients, options.nodes) }).finally(() => {
    if (done) return;
    // Timed out: release the other clients' pending checks.
    done = true;
    for (const c of clients) c.poke();
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
export async function expectConverged(clients: SyncClient[], endpoint: Endpoint, token: string, documentId: string, nodes: NodeProcess[] = []): Promise<number> {
  const state = loadState(clients, nodes);
  await waitFor(Promise.all(clients.map((c) => c.until((x) => x.ot.state === 'synchronised'))), { what: 'every client to have its last op acknowledged on its stream', state });
  const res = await gql(endpoint, 'query($id: ID!) { document(id: $id) { version content } }', { id: documentId }, token);
  const { version, content } = res.data!.document as { version: number; content: { ops: unknown[] } };
  await waitFor(Promise.all(clients.map((c) => c.until((x) => x.ot.version === version))), { what: `every client's stream to reach the head, version ${version}`, state });
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
