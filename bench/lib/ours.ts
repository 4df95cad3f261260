// Headless clients of our product, as the web app's are: the sync engine of
// web/src/sync (DocumentSync) over a transport that speaks what the web
// client speaks: the batched op stream (documentOperationBatches) and
// submitOperation over one graphql-ws socket, other calls over HTTP. Watchers are bare graphql-ws subscriptions that
// only note what arrives when (ShareDB's watchers are as bare).
import http from 'node:http';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { Delta, DocumentSync, isServerErrorCode, SyncError, type DeltaOp, type SyncTransport, type WireOp, type WirePresence } from '../../web/src/sync/index.ts';

// Keep-alive sockets, as a browser keeps them; no cap, so that every client
// can have its one request in flight.
let agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

/**
 * Closes the kept-alive sockets, for when a server stops: a later server
 * may get the same port (PORT=0), and a request on a socket kept from the
 * old one fails with ECONNRESET or "socket hang up".
 */
export function dropKeptConnections(): void {
  agent.destroy();
  agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
}

interface GraphQLReply<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

function post<T>(url: string, token: string | null, query: string, variables: Record<string, unknown>): Promise<GraphQLReply<T>> {
  return postOnce<T>(url, token, JSON.stringify({ query, variables }), false);
}

/**
 * One POST. A kept-alive socket the server closes for idleness just as a
 * request goes out on it fails that request with ECONNRESET ("socket hang
 * up") before the server has read it: such a request, and only such, goes
 * again once on a new connection of its own (what Node's docs suggest, see
 * `request.reusedSocket`; the agent's other idle sockets may be as stale).
 * The bench's pauses (memory readings, warm-ups) leave its sockets idle for
 * about the server's 5 s keep-alive timeout.
 */
function postOnce<T>(url: string, token: string | null, body: string, again: boolean): Promise<GraphQLReply<T>> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url + '/graphql',
      {
        method: 'POST',
        agent: again ? false : agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...(token && { authorization: `Bearer ${token}` }) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as GraphQLReply<T>);
          } catch (error) {
            reject(error);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (!again && req.reusedSocket && error.code === 'ECONNRESET') postOnce<T>(url, token, body, true).then(resolve, reject);
      else reject(error);
    });
    req.end(body);
  });
}

function syncErrorOf(reply: GraphQLReply<unknown>): SyncError {
  const first = reply.errors?.[0];
  const code = first?.extensions?.code;
  return new SyncError(isServerErrorCode(code) ? code : 'NETWORK', first?.message ?? 'no data');
}

/**
 * The web client sends submitOperation over its graphql-ws socket (as a
 * single-result operation), as here; BENCH_SUBMIT=http posts it instead
 * (what any plain GraphQL client would do; the server takes both).
 */
const SUBMIT_OVER_WS = process.env.BENCH_SUBMIT !== 'http';

function submitOverSocket(socket: Client, input: unknown, query = SUBMIT): Promise<GraphQLReply<unknown>> {
  // submitOperation takes its input as one argument, updatePresence as separate ones.
  const variables = query === SUBMIT ? { input } : (input as Record<string, unknown>);
  return new Promise((resolve, reject) => {
    let reply: GraphQLReply<unknown> | null = null;
    socket.subscribe(
      { query, variables },
      { next: (result) => void (reply = result as GraphQLReply<unknown>), error: reject, complete: () => (reply ? resolve(reply) : reject(new Error('no reply'))) },
    );
  });
}

const SUBMIT = 'mutation Submit($input: SubmitOperationInput!) { submitOperation(input: $input) { version } }';
const OPS = 'subscription Ops($id: ID!, $after: Int!) { documentOperationBatches(documentId: $id, afterVersion: $after) { version delta clientId clientSeq } }';
const HEAD = 'query Head($id: ID!) { document(id: $id) { version content } }';
// What the web client selects (web/src/sync/graphql-ws-transport.ts).
const PRESENCE = 'subscription Presence($id: ID!) { documentPresenceBatches(documentId: $id) { clientId version index length left user { id name } } }';
const UPDATE_PRESENCE =
  'mutation Presence($documentId: ID!, $clientId: String!, $version: Int!, $index: Int!, $length: Int!) { updatePresence(documentId: $documentId, clientId: $clientId, version: $version, index: $index, length: $length) }';

/** One signed-in user on one node: documents, and clients for them. */
export class OursApi {
  readonly url: string;
  readonly token: string;
  constructor(url: string, token: string) {
    this.url = url;
    this.token = token;
  }

  static async signUp(url: string): Promise<OursApi> {
    const email = `bench-${Math.random().toString(36).slice(2)}@example.com`;
    const reply = await post<{ signUp: { accessToken: string } }>(url, null, 'mutation($e: String!) { signUp(email: $e, password: "correct horse battery", name: "Bench") { accessToken } }', { e: email });
    if (!reply.data) throw new Error(`signUp failed: ${JSON.stringify(reply.errors)}`);
    return new OursApi(url, reply.data.signUp.accessToken);
  }

  get wsUrl(): string {
    return this.url.replace(/^http/, 'ws') + '/graphql';
  }

  async createDocument(content: DeltaOp[]): Promise<string> {
    const reply = await post<{ createDocument: { id: string } }>(this.url, this.token, 'mutation($c: Delta) { createDocument(title: "Bench", content: $c) { id } }', { c: { ops: content } });
    if (!reply.data) throw new Error(`createDocument failed: ${JSON.stringify(reply.errors)}`);
    return reply.data.createDocument.id;
  }

  /** An API token acting for this user (EDITOR on every document of theirs): what an agent or a backend uses. */
  async createApiToken(name: string): Promise<string> {
    const reply = await post<{ createApiToken: { token: string } }>(this.url, this.token, 'mutation($n: String!) { createApiToken(name: $n, role: EDITOR) { token } }', { n: name });
    if (!reply.data) throw new Error(`createApiToken failed: ${JSON.stringify(reply.errors)}`);
    return reply.data.createApiToken.token;
  }

  async head(documentId: string): Promise<{ version: number; content: { ops: DeltaOp[] } }> {
    const reply = await post<{ document: { version: number; content: { ops: DeltaOp[] } } | null }>(this.url, this.token, HEAD, { id: documentId });
    if (!reply.data?.document) throw syncErrorOf(reply);
    return reply.data.document;
  }

  socket(): Client {
    return createClient({
      url: this.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${this.token}` },
      lazy: true,
      retryAttempts: 0,
    });
  }

  /**
   * The transport of one editor: its own socket for the stream and
   * submissions. Presence is left out unless asked for (most rows compare
   * edits alone); with `presence`, cursors go both ways over the same
   * socket, as the web client's.
   */
  transport(options: { presence?: boolean } = {}): { transport: SyncTransport; dispose(): Promise<void> } {
    const socket = this.socket();
    let connected = false;
    const opens = new Set<() => void>();
    socket.on('connected', () => {
      connected = true;
      for (const open of opens) open();
    });
    socket.on('closed', () => {
      connected = false;
    });
    const transport: SyncTransport = {
      loadDocument: (documentId) => this.head(documentId),
      subscribeOperations: (documentId, afterVersion, sink) => {
        let done = false;
        const open = () => !done && sink.open();
        opens.add(open);
        if (connected) queueMicrotask(open);
        const stop = socket.subscribe<{ documentOperationBatches: WireOp[] }>(
          { query: OPS, variables: { id: documentId, after: afterVersion } },
          {
            next: (result) => {
              if (done) return;
              if (result.data) for (const op of result.data.documentOperationBatches) sink.next(op);
              else if (result.errors) {
                done = true;
                sink.error(syncErrorOf(result as GraphQLReply<unknown>));
              }
            },
            error: () => {
              if (!done) sink.error(new SyncError('NETWORK', 'socket failed'));
              done = true;
            },
            complete: () => {
              if (!done) sink.complete();
              done = true;
            },
          },
        );
        return () => {
          done = true;
          opens.delete(open);
          stop();
        };
      },
      submitOperation: async (input) => {
        const reply = await (SUBMIT_OVER_WS ? submitOverSocket(socket, input) : post(this.url, this.token, SUBMIT, { input })).catch((error: unknown) => {
          if (process.env.BENCH_DEBUG) console.error('[bench] submit failed:', error);
          throw new SyncError('NETWORK', String(error));
        });
        if (process.env.BENCH_DEBUG && reply.errors) console.error('[bench] submit refused:', JSON.stringify(reply.errors));
        if (reply.errors) throw syncErrorOf(reply);
      },
      subscribePresence: (documentId, sink) => {
        if (!options.presence) return () => {};
        let done = false;
        const open = () => !done && sink.open();
        opens.add(open);
        if (connected) queueMicrotask(open);
        const stop = socket.subscribe<{ documentPresenceBatches: WirePresence[] }>(
          { query: PRESENCE, variables: { id: documentId } },
          {
            next: (result) => {
              if (!done && result.data) for (const p of result.data.documentPresenceBatches) sink.next(p);
            },
            error: () => void (done = true),
            complete: () => void (done = true),
          },
        );
        return () => {
          done = true;
          opens.delete(open);
          stop();
        };
      },
      updatePresence: async (input) => {
        if (!options.presence) return;
        const reply = await submitOverSocket(socket, { ...input }, UPDATE_PRESENCE).catch((error: unknown) => {
          throw new SyncError('NETWORK', String(error));
        });
        if (reply.errors) throw syncErrorOf(reply);
      },
    };
    return { transport, dispose: () => socket.dispose() as Promise<void> };
  }

  /** An editor of the document: DocumentSync, one op in flight, later edits composed meanwhile. */
  async openWriter(documentId: string, options: { presence?: boolean } = {}): Promise<OursWriter> {
    const { transport, dispose } = this.transport(options);
    const sync = await DocumentSync.open({ documentId, transport });
    return new OursWriter(sync, dispose);
  }

  /** A bare subscription from `afterVersion` that reports each op's version and arrival; with `presence`, also the document's presence, dropped unread. */
  openWatcher(documentId: string, afterVersion: number, onOp: (version: number) => void, options: { presence?: boolean } = {}): { close(): Promise<void> } {
    const socket = this.socket();
    if (options.presence) socket.subscribe({ query: PRESENCE, variables: { id: documentId } }, { next: () => {}, error: () => {}, complete: () => {} });
    socket.subscribe<{ documentOperationBatches: Array<{ version: number }> }>(
      { query: OPS, variables: { id: documentId, after: afterVersion } },
      {
        next: (result) => {
          if (result.data) for (const op of result.data.documentOperationBatches) onOp(op.version);
        },
        error: () => {},
        complete: () => {},
      },
    );
    return { close: () => socket.dispose() as Promise<void> };
  }
}

/** A writer as the workloads see it (ShareDB's has the same shape). */
export interface Writer {
  /** Local document length (Quill units). */
  length(): number;
  /** A local edit: sent now, or composed into the buffer while one is in flight. */
  edit(ops: DeltaOp[]): void;
  /** Resolves with the server version once every local edit is acknowledged. */
  synced(): Promise<number>;
  /** A local edit, as edit(); resolves with the server version once this edit is acknowledged (with the op it went out in), whatever was typed after it. */
  editAcked(ops: DeltaOp[]): Promise<number>;
  /** The local content as plain ops. */
  content(): Array<{ insert?: unknown }>;
  /** Moves the caret (a collapsed selection) and sends it as presence, as the client does; nothing is sent by a writer opened without presence. */
  setCursor(index: number): void;
  /** Calls `listener` with every remote change as it reaches the local content (what moves a caret in an editor). */
  onRemoteEdit(listener: (change: Delta) => void): void;
  close(): Promise<void>;
}

export class OursWriter implements Writer {
  private waiters: Array<{ resolve: (v: number) => void; reject: (e: Error) => void }> = [];
  /** editAcked's waiters: the count of local edits that must be acknowledged. */
  private editWaiters: Array<{ upTo: number; resolve: (v: number) => void; reject: (e: Error) => void }> = [];
  private edits = 0;
  private readonly unsubscribe: () => void;

  private readonly sync: DocumentSync;
  private readonly dispose: () => Promise<void>;
  constructor(sync: DocumentSync, dispose: () => Promise<void>) {
    this.sync = sync;
    this.dispose = dispose;
    this.unsubscribe = sync.subscribe(() => this.check());
  }

  private check(): void {
    if (this.waiters.length === 0 && this.editWaiters.length === 0) return;
    const snapshot = this.sync.getSnapshot();
    if (snapshot.status === 'closed' && snapshot.error) {
      for (const w of this.editWaiters.splice(0)) w.reject(snapshot.error);
    } else {
      // pendingEdits counts local edits not yet acknowledged, in order.
      const acked = this.edits - snapshot.pendingEdits;
      while (this.editWaiters.length > 0 && this.editWaiters[0]!.upTo <= acked) this.editWaiters.shift()!.resolve(snapshot.version);
    }
    if (this.waiters.length === 0) return;
    if (snapshot.status === 'closed' && snapshot.error) {
      for (const w of this.waiters.splice(0)) w.reject(snapshot.error);
    } else if (snapshot.pendingEdits === 0) {
      for (const w of this.waiters.splice(0)) w.resolve(snapshot.version);
    }
  }

  length(): number {
    return this.sync.contentLength;
  }

  edit(ops: DeltaOp[]): void {
    this.sync.applyLocal(new Delta(ops));
    this.edits++;
  }

  editAcked(ops: DeltaOp[]): Promise<number> {
    const acked = new Promise<number>((resolve, reject) => this.editWaiters.push({ upTo: this.edits + 1, resolve, reject }));
    this.edit(ops);
    this.check();
    return acked;
  }

  synced(): Promise<number> {
    const snapshot = this.sync.getSnapshot();
    if (snapshot.pendingEdits === 0) return Promise.resolve(snapshot.version);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  content(): Array<{ insert?: unknown }> {
    return this.sync.content.ops;
  }

  onRemoteEdit(listener: (change: Delta) => void): void {
    this.sync.onContent((change) => {
      if (change.kind === 'remote') listener(change.delta);
    });
  }

  setCursor(index: number): void {
    // DocumentSync throttles (100 ms by default) and sends it against the version it knows, as in the editor.
    this.sync.setSelection({ index, length: 0 });
  }

  get error(): SyncError | null {
    return this.sync.getSnapshot().error;
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await this.sync.close();
    await this.dispose();
  }
}
