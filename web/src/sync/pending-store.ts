// Where unacknowledged edits wait out a page reload. The engine writes its
// state here before it sends an op (write-ahead), so that whatever a reload
// brings back is exactly what the server may have seen under that
// (clientId, clientSeq); see DocumentSync.
import type { DeltaJSON } from '../../../protocol/delta.ts';
import type { OtClientSnapshot } from './ot-client.ts';

/**
 * A value: the engine builds a new state for every save and never changes
 * one it has handed over (nor the deltas in it: quill-delta ops are never
 * changed in place), so a store may keep it by reference.
 */
export interface PersistedState extends OtClientSnapshot {
  documentId: string;
  /**
   * The server's content at `version` (the local content minus the pending
   * ops). The engine saves on every keystroke but this changes only with
   * the server's version, and until then it is the same object, so a store
   * can tell that it need not write it again.
   */
  content: DeltaJSON;
  /** Local edits in the op in flight and in the buffer (for "n unsaved edits"). */
  pendingEdits: { inflight: number; buffer: number };
}

export interface PendingStore {
  /**
   * Takes over the saved state of a client of this document whose page is
   * gone, or returns null and reserves `freshClientId` instead. Either way,
   * the returned (or fresh) client id belongs to the caller until release().
   */
  claim(documentId: string, freshClientId: string): Promise<PersistedState | null>;
  /** Durably replaces the state of (documentId, clientId). `state` is never changed afterwards. */
  save(state: PersistedState): Promise<void>;
  /** Deletes the state of (documentId, clientId): nothing is pending. */
  clear(documentId: string, clientId: string): Promise<void>;
  /** The page is done with this client id; a later page may claim its state. */
  release(documentId: string, clientId: string): void;
}

const key = (documentId: string, clientId: string) => `${documentId}\u0000${clientId}`;

/** In memory: survives "reloads" within one process (tests), or nothing at all (no storage). */
export class MemoryPendingStore implements PendingStore {
  private readonly states = new Map<string, PersistedState>();
  private readonly held = new Set<string>();

  async claim(documentId: string, freshClientId: string): Promise<PersistedState | null> {
    for (const [k, state] of this.states) {
      if (state.documentId === documentId && !this.held.has(k)) {
        this.held.add(k);
        return structuredClone(state);
      }
    }
    this.held.add(key(documentId, freshClientId));
    return null;
  }

  async save(state: PersistedState): Promise<void> {
    // By reference: states are values (see PersistedState), and copying one
    // on every keystroke cost the engine a fifth of its time. claim() hands
    // out a copy, so a page never shares its state with the store.
    this.states.set(key(state.documentId, state.clientId), state);
  }

  async clear(documentId: string, clientId: string): Promise<void> {
    this.states.delete(key(documentId, clientId));
  }

  release(documentId: string, clientId: string): void {
    this.held.delete(key(documentId, clientId));
  }

  /** Saved states (for tests). */
  get size(): number {
    return this.states.size;
  }
}
