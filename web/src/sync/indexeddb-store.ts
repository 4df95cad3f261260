// PendingStore in the browser: states in IndexedDB, ownership with Web
// Locks. Each page holds a lock named after its (document, client id) for
// as long as it lives; the browser frees it when the page goes away (also
// on a crash). A new page adopts a saved state only if it can take that
// lock, so two open tabs never share a client id (which would make the
// server treat one tab's op as the other's resubmission).
import type { PendingStore, PersistedState } from './pending-store.ts';
import { holdWebLock, webLocksSupported } from './web-lock.ts';

const DB_NAME = 'collab-sync';
const STORE = 'pending';

const lockName = (documentId: string, clientId: string) => `collab-sync:${documentId}:${clientId}`;

/**
 * How long a new page waits for the lock of a saved state, milliseconds. A
 * page being replaced (reload, or React remounting in development) frees its
 * lock a moment after the new one starts; a live tab never does, and then
 * its state stays with it.
 */
const CLAIM_WAIT_MS = 1_000;

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

export class IndexedDbPendingStore implements PendingStore {
  private db: Promise<IDBDatabase> | null = null;
  private readonly releases = new Map<string, () => void>();

  /** IndexedDB and Web Locks are both there (Web Locks needs a secure context: https or localhost). */
  static supported(): boolean {
    return typeof indexedDB !== 'undefined' && webLocksSupported();
  }

  async claim(documentId: string, freshClientId: string): Promise<PersistedState | null> {
    const db = await this.open();
    const tx = db.transaction(STORE, 'readonly');
    const saved = await request(tx.objectStore(STORE).index('documentId').getAll(documentId) as IDBRequest<PersistedState[]>);
    for (const state of saved) {
      if (await this.lock(lockName(documentId, state.clientId), CLAIM_WAIT_MS)) return state;
    }
    await this.lock(lockName(documentId, freshClientId), 0);
    return null;
  }

  async save(state: PersistedState): Promise<void> {
    const db = await this.open();
    // 'strict' durability: the write is on disk before we send the op it holds.
    const tx = db.transaction(STORE, 'readwrite', { durability: 'strict' });
    tx.objectStore(STORE).put(state);
    await done(tx);
  }

  async clear(documentId: string, clientId: string): Promise<void> {
    const db = await this.open();
    const tx = db.transaction(STORE, 'readwrite');
    tx.objectStore(STORE).delete([documentId, clientId]);
    await done(tx);
  }

  release(documentId: string, clientId: string): void {
    const name = lockName(documentId, clientId);
    this.releases.get(name)?.();
    this.releases.delete(name);
  }

  private open(): Promise<IDBDatabase> {
    this.db ??= new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => {
        const store = req.result.createObjectStore(STORE, { keyPath: ['documentId', 'clientId'] });
        store.createIndex('documentId', 'documentId');
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('IndexedDB unavailable'));
    });
    return this.db;
  }

  /** Takes the lock if it is free within `waitMs`, and keeps it until release(). */
  private async lock(name: string, waitMs: number): Promise<boolean> {
    const release = await holdWebLock(name, waitMs);
    if (release) this.releases.set(name, release);
    return release !== null;
  }
}
