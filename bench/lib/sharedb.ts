// Headless ShareDB clients: writers are ShareDB's own client (Connection +
// Doc with the rich-text type, which keeps one op in flight and composes
// later edits, like ours); watchers speak ShareDB's wire protocol bare and
// only note what arrives when, like our bare graphql-ws watchers.
import { randomUUID } from 'node:crypto';
import richText from 'rich-text';
import client, { type Doc, type LocalPresence } from 'sharedb/lib/client/index.js';
import WebSocket from 'ws';
import { Delta, type DeltaOp } from '../../web/src/sync/index.ts';
import type { Writer } from './ours.ts';

client.types.register(richText.type);

async function postJson<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(`${url}: ${json.error ?? res.status}`);
  return json;
}

function subscribeDoc(doc: Doc): Promise<void> {
  return new Promise((resolve, reject) => doc.subscribe((error) => (error ? reject(error) : resolve())));
}

export class ShareDbApi {
  readonly url: string;
  constructor(url: string) {
    this.url = url;
  }

  get wsUrl(): string {
    return this.url.replace(/^http/, 'ws');
  }

  async createDocument(content: DeltaOp[]): Promise<string> {
    const id = randomUUID();
    await postJson(this.url + '/create', { id, ops: content });
    return id;
  }

  /** Memory db only: a document with this history, written straight into the db. */
  async seed(id: string, ops: DeltaOp[][], content: DeltaOp[]): Promise<void> {
    await postJson(this.url + '/seed', { id, ops, content });
  }

  /** With `presence`, the writer also sees the others' cursors and can send its own (ShareDB's doc presence). */
  async openWriter(documentId: string, options: { presence?: boolean } = {}): Promise<ShareDbWriter> {
    const socket = new WebSocket(this.wsUrl);
    const connection = new client.Connection(socket);
    const doc = connection.get('docs', documentId);
    await subscribeDoc(doc);
    let local: LocalPresence | null = null;
    if (options.presence) {
      const presence = connection.getDocPresence('docs', documentId);
      await new Promise<void>((resolve, reject) => presence.subscribe((error) => (error ? reject(error) : resolve())));
      local = presence.create();
    }
    return new ShareDbWriter(connection, doc, local);
  }

  /** Opens the document on a fresh connection: resolves once its content is in hand and the subscription is live. */
  async open(documentId: string): Promise<{ version: number; text: string; close(): void }> {
    const socket = new WebSocket(this.wsUrl);
    const connection = new client.Connection(socket);
    const doc = connection.get('docs', documentId);
    await subscribeDoc(doc);
    return { version: doc.version ?? 0, text: doc.data ? textOfOps(doc.data.ops) : '', close: () => connection.close() };
  }

  /**
   * A bare subscription that reports each op's version (after it, as ours
   * counts) and arrival; resolves once subscribed. With `presence`, it also
   * subscribes to the document's presence channel and drops what comes.
   */
  openWatcher(documentId: string, onOp: (version: number) => void, options: { presence?: boolean } = {}): Promise<{ version: number; close(): Promise<void> }> {
    const ws = new WebSocket(this.wsUrl);
    return new Promise((resolve, reject) => {
      ws.on('error', reject);
      ws.on('message', (raw) => {
        const m = JSON.parse(String(raw)) as { a: string; d?: string; v?: number; data?: { v: number }; error?: unknown };
        if (m.a === 'op') {
          if (m.d === documentId) onOp(m.v! + 1);
        } else if (m.a === 'init') {
          ws.send(JSON.stringify({ a: 'hs', id: null, protocol: 1, protocolMinor: 2 }));
        } else if (m.a === 'hs') {
          ws.send(JSON.stringify({ a: 's', c: 'docs', d: documentId, v: null }));
          if (options.presence) ws.send(JSON.stringify({ a: 'ps', ch: `docs.${documentId}`, seq: 1 }));
        } else if (m.a === 's') {
          if (m.error) reject(new Error(JSON.stringify(m.error)));
          else
            resolve({
              version: m.data?.v ?? 0,
              close: () =>
                new Promise<void>((done) => {
                  if (ws.readyState === WebSocket.CLOSED) return done();
                  ws.once('close', () => done());
                  ws.close();
                }),
            });
        }
      });
    });
  }
}

const textOfOps = (ops: ReadonlyArray<{ insert?: unknown }>) => ops.map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('');

export class ShareDbWriter implements Writer {
  private failure: Error | null = null;

  private readonly connection: InstanceType<typeof client.Connection>;
  private readonly doc: Doc;
  private readonly presence: LocalPresence | null;
  constructor(connection: InstanceType<typeof client.Connection>, doc: Doc, presence: LocalPresence | null = null) {
    this.connection = connection;
    this.doc = doc;
    this.presence = presence;
    doc.on('error', (error) => {
      this.failure = error;
    });
  }

  length(): number {
    return this.doc.data!.length();
  }

  edit(ops: DeltaOp[]): void {
    // ShareDB's client applies the op locally, sends it if nothing is in
    // flight, and otherwise composes it into its pending op.
    this.doc.submitOp(ops, (error) => {
      if (error) this.failure = error;
    });
  }

  editAcked(ops: DeltaOp[]): Promise<number> {
    // ShareDB calls every composed op's callback when the op that carries them is acknowledged.
    return new Promise((resolve, reject) => this.doc.submitOp(ops, (error) => (error ? reject(error) : resolve(this.doc.version ?? 0))));
  }

  onRemoteEdit(listener: (change: Delta) => void): void {
    // ShareDB's 'op' event: `source` is false for another client's op, transformed over what is pending here.
    this.doc.on('op', (op: unknown, source: unknown) => {
      if (!source) listener(new Delta(op as DeltaOp[]));
    });
  }

  setCursor(index: number): void {
    // ShareDB's client sends each submit (no throttle) and transforms it over ops still pending.
    this.presence?.submit({ index, length: 0 }, (error) => {
      if (error) this.failure = error;
    });
  }

  synced(): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.doc.hasPending()) return Promise.resolve(this.doc.version ?? 0);
    return new Promise((resolve, reject) =>
      this.doc.whenNothingPending(() => (this.failure ? reject(this.failure) : resolve(this.doc.version ?? 0))),
    );
  }

  content(): Array<{ insert?: unknown }> {
    return this.doc.data!.ops;
  }

  async close(): Promise<void> {
    this.connection.close();
  }
}
