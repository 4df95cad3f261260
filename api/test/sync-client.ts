// A headless collaborator for integration tests: the OT state machine of
// web/src/sync over a real graphql-ws stream and real HTTP mutations.
import type { Client } from 'graphql-ws';
import { Delta, OtClient, type OutgoingOp } from '../../web/src/sync/ot-client.js';
import { gql, OPS_SUBSCRIPTION, SUBMIT, wsClient, type TestServer } from './harness.js';

interface WireOp {
  version: number;
  delta: { ops: Delta['ops'] };
  clientId: string;
  clientSeq: number;
}

export class SyncClient {
  readonly ot: OtClient;
  doc = new Delta();
  readonly errors: unknown[] = [];
  private client: Client | null = null;
  private stopStream: (() => void) | null = null;
  private listeners: Array<() => void> = [];

  constructor(private readonly server: TestServer, private readonly token: string, readonly documentId: string, readonly clientId: string) {
    this.ot = new OtClient(clientId, 0);
  }

  /** Opens the stream after the client's version (resume), resubmitting the op in flight. */
  connect(): void {
    this.client = wsClient(this.server, this.token);
    this.stopStream = this.client.subscribe<{ documentOperations: WireOp }>(
      { query: OPS_SUBSCRIPTION, variables: { id: this.documentId, after: this.ot.version } },
      {
        next: ({ data, errors }) => {
          if (errors) this.errors.push(errors);
          if (data) this.receive(data.documentOperations);
        },
        error: (error) => this.errors.push(error),
        complete: () => {},
      },
    );
    const pending = this.ot.pending;
    if (pending) this.send(pending);
  }

  /** Drops the socket as a network failure would. */
  async disconnect(): Promise<void> {
    this.stopStream?.();
    await this.client?.dispose();
    this.client = null;
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

  private receive(wire: WireOp): void {
    const { apply, send } = this.ot.receive({ ...wire, delta: new Delta(wire.delta.ops) });
    if (apply) this.doc = this.doc.compose(apply);
    if (send) this.send(send);
    for (const l of [...this.listeners]) l();
  }

  private send(op: OutgoingOp): void {
    const input = { documentId: this.documentId, baseVersion: op.baseVersion, delta: { ops: op.delta.ops }, clientId: op.clientId, clientSeq: op.clientSeq };
    gql(this.server, SUBMIT, { input }, this.token).then(
      (res) => {
        if (res.errors) this.errors.push(res.errors);
      },
      (error: unknown) => this.errors.push(error),
    );
  }
}
