// Ends a document stream the moment its viewer loses access (removed from
// the document, or the document deleted), on whichever node the change
// happened: AccessWatch hears it on the access bus. The stream ends with one
// last result carrying NOT_FOUND (what a stranger sees), then completes; or
// UNAUTHENTICATED when the session or API token it acts in is revoked.
// A stream that needs more than reading (`needed`, e.g. COMMENTER for
// comment threads) also ends, with FORBIDDEN, when a demotion takes its
// viewer below that role.
import type { AccessEvent, AccessWatch, DocumentWatcher, SessionWatcher } from '../auth/access-watch.ts';
import type { Role } from '../auth/roles.ts';
import type { BusSubscription } from '../collab/types.ts';
import { requireViewer, type Viewer } from '../documents/documents.ts';
import { AppError } from '../errors.ts';
import type { Context } from './builder.ts';

const LOST = Symbol('access lost');

/** The last event of a guarded stream: its field resolver throws `error`. */
export interface AccessLost {
  [LOST]: true;
  error: AppError;
}

export const isAccessLost = (value: unknown): value is AccessLost => typeof value === 'object' && value !== null && LOST in value;

/** For a subscription field's `resolve`: the event itself, or the typed error that ends the stream. */
export function unlessAccessLost<T>(event: T | AccessLost): T {
  if (isAccessLost(event)) throw event.error;
  return event;
}

const lostError = (event: AccessEvent) =>
  new AppError('NOT_FOUND', 'Document not found', { reason: event.kind === 'document-deleted' ? 'DOCUMENT_DELETED' : 'ACCESS_REVOKED' });

const revokedError = (token: boolean) =>
  token
    ? new AppError('UNAUTHENTICATED', 'This API token was revoked', { reason: 'TOKEN_REVOKED' })
    : new AppError('UNAUTHENTICATED', 'Session revoked; log in again', { reason: 'SESSION_REVOKED' });

/**
 * Starts a stream of `documentId` for the viewer with `start` (which must
 * check access) and ends it when access goes. The watch is set up BEFORE
 * `start` checks access, so a removal racing with the start is never missed
 * (see AccessWatch).
 */
export async function guardedStream<T>(ctx: Context, documentId: string, start: () => Promise<AsyncIterator<T>>, needed: Role = 'VIEWER'): Promise<AsyncIterableIterator<T | AccessLost>> {
  const viewer = requireViewer(ctx.viewer);
  const stream = new GuardedStream<T>();
  stream.watch(ctx, viewer, documentId, needed);
  try {
    stream.inner = await start();
  } catch (error) {
    stream.unwatch();
    throw error;
  }
  if (stream.lost) void stream.inner.return?.();
  return stream;
}

const noop = () => {};

/**
 * A class, not closures: most streams of a node sit idle, each holding one
 * of these (its methods are shared), plus the watches' listeners.
 */
class GuardedStream<T> implements AsyncIterableIterator<T | AccessLost>, SessionWatcher, DocumentWatcher {
  inner: AsyncIterator<T> | undefined;
  lost: AppError | null = null;
  private finished = false;
  private access: AccessWatch | null = null;
  private sessionId = '';
  private documentId = '';
  userId = '';
  /** Acts in an API token (its revocation says so). */
  private token = false;
  private unwatchRole: () => void = noop;

  watch(ctx: Context, viewer: Viewer, documentId: string, needed: Role): void {
    const { access, documents } = ctx.services;
    this.access = access;
    this.sessionId = viewer.sessionId;
    this.documentId = documentId;
    this.userId = viewer.userId;
    this.token = viewer.token !== undefined;
    // The session or API token it acts in, revoked: on a socket the socket
    // closes too, but a stream over HTTP (server-sent events) has only this.
    access.addSessionWatcher(this.sessionId, this);
    access.addDocumentWatcher(documentId, this);
    // Any member may read: only a stream that needs more re-checks on a role change.
    if (needed !== 'VIEWER') {
      this.unwatchRole = access.watchRole(documentId, this.userId, () => {
        documents.role(ctx.viewer, documentId, needed).then(
          () => {},
          (error: unknown) => {
            if (error instanceof AppError) this.lose(error);
          },
        );
      });
    }
  }

  sessionRevoked(): void {
    this.lose(revokedError(this.token));
  }

  accessLost(event: AccessEvent): void {
    this.lose(lostError(event));
  }

  unwatch(): void {
    this.access?.removeSessionWatcher(this.sessionId, this);
    this.access?.removeDocumentWatcher(this.documentId, this);
    this.unwatchRole();
  }

  private lose(error: AppError): void {
    this.lost ??= error;
    // Ends a pending next() at once (the op stream and presence queue both end on return()).
    void this.inner?.return?.();
  }

  // A plain promise chain, not an async function: this runs once per subscriber per batch.
  next(): Promise<IteratorResult<T | AccessLost>> {
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    if (this.lost) return this.end();
    return this.inner!.next().then(
      (result) => (!result.done && !this.lost ? result : this.end()),
      // A typed refusal from the source (SNAPSHOT_REQUIRED: the log was cut
      // under a starting stream) ends the stream with that error as its
      // last result, as access loss does, instead of failing the socket.
      (error: unknown) => {
        if (!(error instanceof AppError)) throw error;
        this.lost ??= error;
        return this.end();
      },
    );
  }

  /** Ends the stream: with the access-lost event if that is why, else as the source ended. */
  private async end(): Promise<IteratorResult<T | AccessLost>> {
    const error: AppError | null = this.lost;
    await this.return();
    if (error) return { value: { [LOST]: true, error } as AccessLost, done: false };
    return { value: undefined, done: true };
  }

  async return(): Promise<IteratorResult<T | AccessLost>> {
    this.finished = true;
    this.unwatch();
    await this.inner?.return?.();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T | AccessLost> {
    return this;
  }
}

/**
 * A document's events from one bus topic, live only, for viewers with at
 * least `needed` (checked after the watch is set up, as guardedStream
 * requires), ended as guardedStream ends streams. The subscription closes
 * with the stream.
 */
export function busStream<T>(ctx: Context, documentId: string, needed: Role, subscribe: () => Promise<BusSubscription<T>>): Promise<AsyncIterableIterator<T | AccessLost>> {
  return guardedStream(
    ctx,
    documentId,
    async () => {
      await ctx.services.documents.role(ctx.viewer, documentId, needed);
      const live = await subscribe();
      return live[Symbol.asyncIterator](); // its return() closes the subscription
    },
    needed,
  );
}
