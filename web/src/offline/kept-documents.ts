// The last opened state of each document (title, role, content at a
// version), kept in IndexedDB so that a reload while offline can open the
// editor: the sync engine then starts from the edits it left pending
// (PendingStore) or, with none, from this content, and catches up once the
// network is back. Written once per opening from the server, not per edit;
// each copy is for the person who opened it, and logging out forgets them all.
import { useEffect, useState } from 'react';
import type { OpenDocumentQuery } from '../gql/graphql.ts';

export type KeptDocument = NonNullable<OpenDocumentQuery['document']>;

const DB_NAME = 'collab-offline';
const STORE = 'documents';

let db: Promise<IDBDatabase> | null = null;

function open(): Promise<IDBDatabase> {
  db ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'id' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB unavailable'));
  });
  return db;
}

interface Kept extends KeptDocument {
  userId: string;
}

export async function keepDocument(userId: string, doc: KeptDocument): Promise<void> {
  const tx = (await open()).transaction(STORE, 'readwrite');
  const kept: Kept = { id: doc.id, title: doc.title, myRole: doc.myRole, version: doc.version, content: doc.content, userId };
  tx.objectStore(STORE).put(kept);
  await new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(tx.error ?? new Error('IndexedDB write failed'));
  });
}

export async function keptDocument(userId: string, id: string): Promise<KeptDocument | null> {
  const req = (await open()).transaction(STORE, 'readonly').objectStore(STORE).get(id) as IDBRequest<Kept | undefined>;
  return new Promise((resolve, reject) => {
    req.onsuccess = () => {
      const kept = req.result;
      if (!kept || kept.userId !== userId) return resolve(null);
      const { userId: _owner, ...doc } = kept;
      resolve(doc);
    };
    req.onerror = () => reject(req.error ?? new Error('IndexedDB read failed'));
  });
}

/** Logging out: no copy of any document stays behind for the next person at this browser. */
export async function forgetKeptDocuments(): Promise<void> {
  if (typeof indexedDB === 'undefined') return;
  const tx = (await open()).transaction(STORE, 'readwrite');
  tx.objectStore(STORE).clear();
  await new Promise<void>((resolve) => {
    tx.oncomplete = tx.onerror = tx.onabort = () => resolve();
  });
}

/**
 * Keeps `loaded` when the server sent it; when the server could not be
 * reached (`unreachable`), the kept copy: undefined while reading it, null
 * when there is none (or no IndexedDB).
 */
export function useKeptDocument(userId: string, id: string, loaded: KeptDocument | null | undefined, unreachable: boolean): KeptDocument | null | undefined {
  const [kept, setKept] = useState<KeptDocument | null | undefined>(undefined);
  useEffect(() => {
    if (loaded && typeof indexedDB !== 'undefined') keepDocument(userId, loaded).catch(() => {});
  }, [userId, loaded]);
  useEffect(() => {
    if (!unreachable) return;
    let cancelled = false;
    const found = typeof indexedDB === 'undefined' ? Promise.resolve(null) : keptDocument(userId, id).catch(() => null);
    void found.then((doc) => !cancelled && setKept(doc));
    return () => {
      cancelled = true;
    };
  }, [userId, id, unreachable]);
  return unreachable ? kept : null;
}
