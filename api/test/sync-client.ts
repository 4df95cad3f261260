// A headless collaborator for integration tests: the OT state machine of
// web/src/sync over a real graphql-ws stream and real HTTP mutations. It
// can move to another node (resume from its version, resubmit the op in
// flight) and retries submissions the server calls retryable.
import type { Client } from 'graphql-ws';
import { Delta, OtClient, type OutgoingOp } from '../../web/src/sync/ot-client.js';
import { codeOf, gql, OPS_SUBSCRIPTION, SUBMIT, wsClient, type TestServer } from './harness.js';

export type Endpoint = Pick<TestServer, 'url' | 'wsUrl'>;

interface WireOp {
  version: number;
  delta: { ops: Delta['ops'] };
  clientId: string;
  clientSeq: number;
}

const RETRYABLE = new Set(['UNAVAILABLE', 'CONFLICT_RETRY_EXHAUSTED']);

export class SyncClient {
  readonly ot: OtClient;
  doc = new Delta();
  /** Unexpected errors (a correct run has none). */
  readonly errors: unknown[] = [];
  /** Stream failures (expected when a node dies). */
  readonly streamErrors: unknown[] = [];
  /** Retryable rejections seen (codes), e.g. while the database restarts. */
  readonly retried: string[] = [];
  /** clientSeq -> version, from every acknowledgement (stream or mutation reply). */
  readonly acked = new Map<number, number>();
  private client: Client | null = null;
  private stopStream: (() => void) | null = null;
  private listeners: Array<() => void> = [];

  constructor(private endpoint: Endpoint, private readonly token: string, readonly documentId: string, readonly clientId: string) {
    this.ot = new OtClient(clientId, 0);
  }

  /** Opens the stream after the client's version (resume), resubmitting the op in flight. */
  connect(): void {
    this.client = wsClient(this.endpoint, this.token);
    this.stopStream = this.client.subscribe<{ documentOperations: WireOp }>(
      { query: OPS_SUBSCRIPTION, variables: { id: this.documentId, after: this.ot.version } },
      {
        next: ({ data, errors }) => {
          if (errors) this.errors.push(errors);
          if (data) this.receive(data.documentOperations);
        },
        error: (error) => this.streamErrors.push(error),
        complete: () => {},
      },
    );
    const pending = this.ot.pending;
    if (pending) this.send(pending);
  }

  /** Drops the socket as a network failure would. */
  async disconnect(): Promise<void> {
    this.stopStream?.();
    const client = this.client;
    this.client = null;
    await client?.dispose();
  }

  /** Reconnects to another node: resume from our version, resubmit the op in flight. */
  async moveTo(endpoint: Endpoint): Promise<void> {
    await this.disconnect();
    this.endpoint = endpoint;
    this.connect();
  }

  edit(delta: Delta): void {
    this.doc = this.doc.compose(delta);
    const send = this.ot.applyLocal(delta);
    if (send && this.client) this.send(send);
  }

  /** Resolves once `predicate` holds (checked after every stream event). */
  until(predicate: (c: SyncClient) => boolean): Promise<void> {
    if (predicate(this)) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (predicate(this)) {
          this.listeners = this.listeners.filter((l) => l !== check);
          resolve();
        }
      };
      this.listeners.push(check);
    });
  }

  /** Re-checks pending `until` predicates (after outside state changed). */
  poke(): void {
    for (const l of [...this.listeners]) l();
  }

  private receive(wire: WireOp): void {
    if (wire.clientId === this.clientId) this.acked.set(wire.clientSeq, wire.version);
    try {
      const { apply, send } = this.ot.receive({ ...wire, delta: new Delta(wire.delta.ops) });
      if (apply) this.doc = this.doc.compose(apply);
      if (send) this.send(send);
    } catch (error) {
      this.errors.push(error); // a gap or a duplicate in the stream
    }
    for (const l of [...this.listeners]) l();
  }

  private send(op: OutgoingOp, attempt = 0): void {
    const endpoint = this.endpoint;
    const input = { documentId: this.documentId, baseVersion: op.baseVersion, delta: { ops: op.delta.ops }, clientId: op.clientId, clientSeq: op.clientSeq };
    const retry = (reason: string) => {
      this.retried.push(reason);
      // Client-side backoff; stop once the op is acknowledged or superseded
      // (a move to another node resubmits the op in flight by itself).
      setTimeout(() => {
        if (this.ot.pending?.clientSeq === op.clientSeq && this.endpoint === endpoint && this.client) this.send(this.ot.pending, attempt + 1);
      }, Math.min(50 * 2 ** attempt, 1_000));
    };
    gql(endpoint, SUBMIT, { input }, this.token).then(
      (res) => {
        const code = codeOf(res);
        if (code && RETRYABLE.has(code)) retry(code);
        else if (res.errors) this.errors.push(res.errors);
        else this.acked.set(op.clientSeq, res.data!.submitOperation.version);
      },
      () => retry('network'),
    );
  }
}
