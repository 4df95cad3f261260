// Who is where in a document: ephemeral, never in the log. A selection is
// sent with the version it refers to; receivers transform it to theirs.
// The registry validates and publishes; a PresenceStore keeps the current
// set (in memory on one node, in Redis across nodes) so that
// Document.presence is the same on every node.
import { badInput } from '../errors.js';

export interface PresenceState {
  documentId: string;
  clientId: string;
  userId: string | null;
  /** The document version that index/length refer to. */
  version: number;
  index: number;
  length: number;
  updatedAt: Date;
}

export interface PresenceStore {
  /** Keeps `state` until `expiresAt` (ms since epoch) unless replaced. */
  put(state: PresenceState, expiresAt: number): Promise<void>;
  /** The unexpired presences of a document at time `now`. */
  list(documentId: string, now: number): Promise<PresenceState[]>;
  forget(documentId: string): Promise<void>;
}

export class MemoryPresenceStore implements PresenceStore {
  private readonly byDocument = new Map<string, Map<string, { state: PresenceState; expiresAt: number }>>();

  async put(state: PresenceState, expiresAt: number): Promise<void> {
    let doc = this.byDocument.get(state.documentId);
    if (!doc) this.byDocument.set(state.documentId, (doc = new Map()));
    doc.set(state.clientId, { state, expiresAt });
  }

  async list(documentId: string, now: number): Promise<PresenceState[]> {
    const doc = this.byDocument.get(documentId);
    if (!doc) return [];
    for (const [clientId, entry] of doc) if (entry.expiresAt <= now) doc.delete(clientId);
    if (doc.size === 0) this.byDocument.delete(documentId);
    return [...doc.values()].map((e) => e.state);
  }

  async forget(documentId: string): Promise<void> {
    this.byDocument.delete(documentId);
  }
}

export interface PresenceOptions {
  /** A presence not refreshed for this long is gone (milliseconds). */
  ttlMs: number;
  store: PresenceStore;
  publish: (state: PresenceState) => Promise<void>;
  now?: () => number;
}

export class PresenceRegistry {
  private readonly now: () => number;

  constructor(private readonly options: PresenceOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Records and publishes a presence; `headVersion` bounds its version. */
  async update(input: Omit<PresenceState, 'updatedAt'>, headVersion: number): Promise<PresenceState> {
    for (const field of ['version', 'index', 'length'] as const) {
      if (!Number.isSafeInteger(input[field]) || input[field] < 0) throw badInput(`${field} must be a non-negative integer`);
    }
    if (input.version > headVersion) throw badInput(`version ${input.version} is ahead of the head version ${headVersion}`);
    if (input.clientId.length === 0 || input.clientId.length > 128) throw badInput('clientId must be 1 to 128 characters');
    const now = this.now();
    const state: PresenceState = { ...input, updatedAt: new Date(now) };
    await this.options.store.put(state, now + this.options.ttlMs);
    await this.options.publish(state);
    return state;
  }

  /** Live presences of a document. */
  list(documentId: string): Promise<PresenceState[]> {
    return this.options.store.list(documentId, this.now());
  }

  forget(documentId: string): Promise<void> {
    return this.options.store.forget(documentId);
  }
}
