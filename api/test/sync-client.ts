// A headless collaborator for integration tests: the OT state machine of
// web/src/sync over a real graphql-ws stream and real HTTP mutations. It
// can move to another node (resume from its version, resubmit the op in
// flight) and retries submissions the server calls retryable.
import type { Client } from 'graphql-ws';
import { Delta, OtClient, type OutgoingOp } from '../../web/src/sync/ot-client.ts';
import { codeOf, gql, OPS_SUBSCRIPTION, SUBMIT, wsClient, type TestServer } from './harness.ts';

/** graphql-ws's close code when connection_init did not arrive in time. */
const INIT_TIMEOUT = 4408;

export type Endpoint = Pick<TestServer, 'url' | 'wsUrl'>;

interface WireOp {
  version: number;
  delta: { ops: Delta['ops'] };
  clientId: string;
  clientSeq: number;
}

const RETRYABLE = new Set(['UNAVAILABLE', 'CONFLICT_RETRY_EXHAUSTED']);

function show(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === 'object' && value !== null && 'code' in value) return `close ${String((value as { code: unknown }).code)} ${String((value as { reason?: unknown }).reason ?? '')}`;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

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
  /** Every op the stream delivered, in order: version and author client. */
  readonly received: Array<{ version: number; clientId: string }> = [];
  private client: Client | null = null;
  private stopStream: (() => void) | null = null;
  private listeners: Array<() => void> = [];
  private lastEvent: { version: number; clientId: string; clientSeq: number; at: string } | null = null;

  private endpoint: Endpoint;
  private readonly token: string;
  readonly documentId: string;
  readonly clientId: string;
  constructor(endpoint: Endpoint, token: string, documentId: string, clientId: string) {
    this.endpoint = endpoint;
    this.token = token;
    this.documentId = documentId;
    this.clientId = clientId;
    this.ot = new OtClient(clientId, 0);
  }

  /** Opens the stream after the client's version (resume), resubmitting the op in flight. */
  connect(): void {
    const client = (this.client = wsClient(this.endpoint, this.token));
    this.stopStream = this.client.subscribe<{ documentOperations: WireOp }>(
      { query: OPS_SUBSCRIPTION, variables: { id: this.documentId, after: this.ot.version } },
      {
        next: ({ data, errors }) => {
          if (errors) this.errors.push(errors);
          if (data) this.receive(data.documentOperations);
        },
        error: (error) => {
          this.streamErrors.push(error);
          // The node closed the socket before it saw connection_init in time
          // (a loaded node, or one taking over a killed node's clients): a
          // client tries again, as the web client does.
          if ((error as { code?: number } | undefined)?.code === INIT_TIMEOUT && this.client === client) void this.moveTo(this.endpoint);
        },
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

  /** What a failed wait reports about this client. */
  state(): Record<string, unknown> {
    const versions = [...this.acked.values()];
    return {
      clientId: this.clientId,
      endpoint: this.endpoint.url,
      connected: this.client !== null,
      version: this.ot.version,
      otState: this.ot.state,
      pending: this.ot.pending ? { clientSeq: this.ot.pending.clientSeq, baseVersion: this.ot.pending.baseVersion } : null,
      acked: this.acked.size,
      highestAcked: versions.length > 0 ? Math.max(...versions) : null,
      lastEvent: this.lastEvent,
      retried: this.retried.length,
      lastRetried: this.retried.slice(-3),
      errors: this.errors.slice(-3).map(show),
      streamErrors: this.streamErrors.slice(-3).map(show),
    };
  }

  /** How many ops of `clientId` with a version above `afterVersion` this client's stream has delivered. */
  receivedFrom(clientId: string, afterVersion: number): number {
    return this.received.filter((op) => op.clientId === clientId && op.version > afterVersion).length;
  }

  private receive(wire: WireOp): void {
    this.received.push({ version: wire.version, clientId: wire.clientId });
    this.lastEvent = { version: wire.version, clientId: wire.clientId, clientSeq: wire.clientSeq, at: new Date().toISOString() };
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
    const input = { documentId: this.documentId, baseVersion: op.baseVersion, delta: { ops: op.delta.ops }, clientId: op.clientId, clientSeq: op.clientSeq, runEnd: op.runEnd };
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
        else {
          this.acked.set(op.clientSeq, res.data!.submitOperation.version);
          this.poke(); // waits on acknowledgements must not depend on the stream's next event
        }
      },
      () => retry('network'),
    );
  }
}
