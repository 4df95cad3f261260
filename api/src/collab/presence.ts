// Who is where in a document: ephemeral, never in the log. A selection is
// sent with the version it refers to; receivers transform it to theirs.
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

export interface PresenceOptions {
  /** A presence not refreshed for this long is gone (milliseconds). */
  ttlMs: number;
  publish: (state: PresenceState) => Promise<void>;
  now?: () => number;
}

export class PresenceRegistry {
  private readonly byDocument = new Map<string, Map<string, PresenceState>>();
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
    const state: PresenceState = { ...input, updatedAt: new Date(this.now()) };
    this.remember(state);
    await this.options.publish(state);
    return state;
  }

  /** Records a presence that arrived from elsewhere (another node). */
  remember(state: PresenceState): void {
    let doc = this.byDocument.get(state.documentId);
    if (!doc) this.byDocument.set(state.documentId, (doc = new Map()));
    doc.set(state.clientId, state);
  }

  /** Live presences of a document; expired ones are dropped here. */
  list(documentId: string): PresenceState[] {
    const doc = this.byDocument.get(documentId);
    if (!doc) return [];
    const cutoff = this.now() - this.options.ttlMs;
    for (const [clientId, state] of doc) if (state.updatedAt.getTime() < cutoff) doc.delete(clientId);
    if (doc.size === 0) this.byDocument.delete(documentId);
    return [...doc.values()];
  }

  forget(documentId: string): void {
    this.byDocument.delete(documentId);
  }
}
