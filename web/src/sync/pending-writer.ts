// Keeps the PendingStore up to date with the engine's pending edits, one
// write at a time (the newest state next), and says which op in flight is
// durable. Write-ahead: an op is sent only once the state that contains it
// (same clientSeq, same delta) is saved, so a reload may lose the last
// keystrokes but can never bring back an op that differs from one the
// server may already hold under that (clientId, clientSeq), which would
// make the server's ack mean something else than ours.
import type { ChunkedDocument } from '../../../protocol/chunked-document.ts';
import type { DeltaJSON } from '../../../protocol/delta.ts';
import type { OtClient } from './ot-client.ts';
import type { PendingStore, PersistedState } from './pending-store.ts';

export interface PendingWriterOptions {
  documentId: string;
  store: PendingStore;
  ot: OtClient;
  /** The content at ot.version, as the server has it. */
  server: ChunkedDocument;
  /** Local edits in the op in flight and in the buffer. */
  pendingEdits(): { inflight: number; buffer: number };
  /** A saved state exists in the store already (taken over from a closed page). */
  stored: boolean;
  /** The store was refused at open, and this one keeps nothing. */
  storageFailed: boolean;
}

export interface PendingWriterEvents {
  /** `writing` became true; whoever called persist() notifies. */
  writingStarted(): void;
  /** The op in flight that is durable changed: it may be sent now. */
  durable(): void;
  /** `writing` or `storageFailed` changed. */
  changed(): void;
}

export class PendingWriter {
  private dirty = false;
  private isWriting = false;
  /** clientSeq of the op in flight in the last state written (rebasing keeps the seq: equivalent ops). */
  private durableSeq: number | null;
  private saving: Promise<void> = Promise.resolve();
  /** A saved state exists in the store (so it must be cleared once nothing is pending). */
  private hasStored: boolean;
  private failed: boolean;
  private savedContent: { version: number; json: DeltaJSON } | null = null;

  private readonly options: PendingWriterOptions;
  private readonly events: PendingWriterEvents;
  constructor(options: PendingWriterOptions, events: PendingWriterEvents) {
    this.options = options;
    this.events = events;
    this.hasStored = options.stored;
    this.failed = options.storageFailed;
    this.durableSeq = options.ot.pending?.clientSeq ?? null;
  }

  /** A write is under way (pending edits are safe from a reload once it is false). */
  get writing(): boolean {
    return this.isWriting;
  }

  /** Pending edits cannot be saved for a reload (storage refused). */
  get storageFailed(): boolean {
    return this.failed;
  }

  /** The store holds a state of this client (to be cleared once nothing is pending). */
  get stored(): boolean {
    return this.hasStored;
  }

  isDurable(clientSeq: number): boolean {
    return this.durableSeq === clientSeq;
  }

  /** Saves the current state (coalesced: one write at a time, the newest state next). */
  persist(): void {
    this.dirty = true;
    if (!this.isWriting) this.saving = this.writeLoop();
  }

  /** Resolves once the writes under way are done. */
  settled(): Promise<void> {
    return this.saving;
  }

  private persistedState(): PersistedState | null {
    const { ot } = this.options;
    if (!ot.pending && !ot.buffered) return null;
    // Spelled out: an object spread here took ~3 µs, on every keystroke.
    const { clientId, version, inflight, buffer, nextSeq, runEnd } = ot.snapshot();
    return {
      documentId: this.options.documentId,
      clientId,
      version,
      inflight,
      buffer,
      nextSeq,
      runEnd,
      content: this.serverContentJSON(),
      pendingEdits: this.options.pendingEdits(),
    };
  }

  /** The same object for as long as the server content is the same (PersistedState.content says why). */
  private serverContentJSON(): DeltaJSON {
    const version = this.options.ot.version;
    // Built only when a store reads it: a writer following a busy stream saves after every batch.
    if (this.savedContent?.version !== version) this.savedContent = { version, json: this.options.server.frozenJSON() };
    return this.savedContent.json;
  }

  private async writeLoop(): Promise<void> {
    this.isWriting = true;
    this.events.writingStarted();
    // Always asynchronous, so that `saving` is assigned before the loop can end.
    await null;
    const { store, documentId, ot } = this.options;
    while (this.dirty) {
      this.dirty = false;
      const state = this.persistedState();
      try {
        if (state) {
          await store.save(state);
          this.hasStored = true;
        } else if (this.hasStored) {
          await store.clear(documentId, ot.clientId);
          this.hasStored = false;
        }
      } catch {
        // Storage refused (quota, private mode): edits still sync, they
        // just would not survive a reload. Say so rather than stop.
        if (!this.failed) {
          this.failed = true;
          this.events.changed();
        }
      }
      const seq = state?.inflight?.clientSeq ?? null;
      if (seq !== this.durableSeq) {
        this.durableSeq = seq;
        this.events.durable();
      }
    }
    this.isWriting = false;
    this.events.changed();
  }
}
