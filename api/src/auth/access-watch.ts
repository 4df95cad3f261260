// Ends what a lost access must end, at once and on every node: a removed
// member's streams of that document, every stream of a deleted document,
// and the sockets of revoked sessions.
//
// Changes are published on the access bus (in-process, or Redis: every node
// hears them) and also dispatched here locally, so this node acts even while
// Redis is away. Dispatching twice is harmless: ending is idempotent.
//
// Order matters for a stream that starts while access is being removed:
// watch FIRST, then check access. A change committed in between is then
// either seen by the check or delivered to the watcher; checking first would
// let a stream start after the event and live on.
import type { Bus } from '../collab/types.ts';
import { ACCESS_TOPIC } from '../pubsub/channels.ts';

export type AccessEvent =
  | { kind: 'member-removed'; documentId: string; userId: string }
  /** A member's role changed: nothing ends, but cached roles must go (AccessCache). */
  | { kind: 'role-changed'; documentId: string; userId: string }
  | { kind: 'document-deleted'; documentId: string }
  | { kind: 'sessions-revoked'; userId: string; sessionIds: string[] };

/**
 * What a session watch calls. An object rather than a function, so that a
 * watcher that is already an object (an access lease, a stream guard: one
 * or two per idle socket) costs no closures; it must tolerate being told
 * twice.
 */
export interface SessionWatcher {
  sessionRevoked(): void;
}

/** What a document watch calls, for events about `userId` (a deletion: whoever watches); like SessionWatcher, it may be told twice. */
export interface DocumentWatcher {
  readonly userId: string;
  accessLost(event: AccessEvent): void;
}

export class AccessWatch {
  private readonly documents = new Map<string, Set<DocumentWatcher>>();
  private readonly sessions = new Map<string, Set<SessionWatcher>>();
  private readonly roles = new Map<string, Set<DocumentWatcher>>();

  private readonly observers = new Set<(event: AccessEvent) => void>();

  private readonly bus: Bus<AccessEvent>;
  private readonly onError: (error: unknown) => void;
  constructor(bus: Bus<AccessEvent>, onError: (error: unknown) => void = () => {}) {
    this.bus = bus;
    this.onError = onError;
  }

  /** Calls `observer` with every event, from this node or another (caches forget what changed). */
  observe(observer: (event: AccessEvent) => void): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /** Tells `watcher` when its user loses access to the document; undone by removeDocumentWatcher. */
  addDocumentWatcher(documentId: string, watcher: DocumentWatcher): void {
    add(this.documents, documentId, watcher);
  }

  removeDocumentWatcher(documentId: string, watcher: DocumentWatcher): void {
    remove(this.documents, documentId, watcher);
  }

  /**
   * Calls `onChange` each time `userId`'s role on the document changes (the
   * AccessCache has forgotten the old one by then): a stream that needs more
   * than reading re-checks the role and ends if it fell below.
   */
  watchRole(documentId: string, userId: string, onChange: () => void): () => void {
    const watcher: DocumentWatcher = { userId, accessLost: onChange };
    add(this.roles, documentId, watcher);
    return () => remove(this.roles, documentId, watcher);
  }

  /** Tells `watcher` when the session is revoked; undone by removeSessionWatcher. */
  addSessionWatcher(sessionId: string, watcher: SessionWatcher): void {
    add(this.sessions, sessionId, watcher);
  }

  removeSessionWatcher(sessionId: string, watcher: SessionWatcher): void {
    remove(this.sessions, sessionId, watcher);
  }

  /** Acts on this node now, and tells the others. Never throws: the change itself is already committed. */
  async publish(event: AccessEvent): Promise<void> {
    this.dispatch(event);
    try {
      await this.bus.publish(ACCESS_TOPIC, event);
    } catch (error) {
      this.onError(error);
    }
  }

  /** Listens to the bus until the returned function is called. Resolves once the subscription is confirmed. */
  async listen(): Promise<() => void> {
    const subscription = await this.bus.subscribe(ACCESS_TOPIC);
    void (async () => {
      try {
        for await (const event of subscription) this.dispatch(event);
      } catch (error) {
        this.onError(error);
      }
    })();
    return () => subscription.close();
  }

  dispatch(event: AccessEvent): void {
    for (const observer of this.observers) observer(event);
    if (event.kind === 'role-changed') {
      // Still a member: only what needs more than the new role ends (watchRole).
      for (const watcher of [...(this.roles.get(event.documentId) ?? [])]) if (watcher.userId === event.userId) watcher.accessLost(event);
      return;
    }
    if (event.kind === 'sessions-revoked') {
      for (const id of event.sessionIds) for (const watcher of [...(this.sessions.get(id) ?? [])]) watcher.sessionRevoked();
      return;
    }
    for (const watcher of [...(this.documents.get(event.documentId) ?? [])]) {
      if (event.kind === 'document-deleted' || watcher.userId === event.userId) watcher.accessLost(event);
    }
  }

  /** Live watchers (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const set of [...this.documents.values(), ...this.sessions.values(), ...this.roles.values()]) n += set.size;
    return n;
  }
}

function add<T>(map: Map<string, Set<T>>, key: string, value: T): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

function remove<T>(map: Map<string, Set<T>>, key: string, value: T): void {
  const set = map.get(key);
  if (set?.delete(value) && set.size === 0) map.delete(key);
}

/** Redis hands back parsed JSON; anything that is not an access event is dropped. */
export function decodeAccessEvent(detail: unknown): AccessEvent {
  const e = detail as Partial<AccessEvent> | null;
  if (e && (e.kind === 'member-removed' || e.kind === 'role-changed' || e.kind === 'document-deleted' || e.kind === 'sessions-revoked')) return e as AccessEvent;
  return { kind: 'sessions-revoked', userId: '', sessionIds: [] };
}
