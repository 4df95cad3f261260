// Ends a document stream the moment its viewer loses access (removed from
// the document, or the document deleted), on whichever node the change
// happened: AccessWatch hears it on the access bus. The stream ends with one
// last result carrying NOT_FOUND (what a stranger sees), then completes; or
// UNAUTHENTICATED when the session or API token it acts in is revoked.
// A stream that needs more than reading (`needed`, e.g. COMMENTER for
// comment threads) also ends, with FORBIDDEN, when a demotion takes its
// viewer below that role.
import type { AccessEvent } from '../auth/access-watch.ts';
import type { Role } from '../auth/roles.ts';
import type { BusSubscription } from '../collab/types.ts';
import { requireViewer } from '../documents/documents.ts';
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
  const { userId } = viewer;
  let inner: AsyncIterator<T> | undefined;
  let lost: AppError | null = null;
  let finished = false;
  const lose = (error: AppError) => {
    lost ??= error;
    // Ends a pending next() at once (the op stream and presence queue both end on return()).
    void inner?.return?.();
  };
  // The session or API token it acts in, revoked: on a socket the socket
  // closes too, but a stream over HTTP (server-sent events) has only this.
  const unwatchSession = ctx.services.access.watchSession(viewer.sessionId, () => lose(revokedError(viewer.token !== undefined)));
  const unwatchDocument = ctx.services.access.watchDocument(documentId, userId, (event) => lose(lostError(event)));
  // Any member may read: only a stream that needs more re-checks on a role change.
  const unwatchRole =
    needed === 'VIEWER'
      ? () => {}
      : ctx.services.access.watchRole(documentId, userId, () => {
          ctx.services.documents.role(ctx.viewer, documentId, needed).then(
            () => {},
            (error: unknown) => {
              if (error instanceof AppError) lose(error);
            },
          );
        });
  const unwatch = () => {
    unwatchSession();
    unwatchDocument();
    unwatchRole();
  };
  try {
    inner = await start();
  } catch (error) {
    unwatch();
    throw error;
  }
  const source = inner;
  if (lost) void source.return?.();

  const finish = async (): Promise<IteratorResult<T | AccessLost>> => {
    finished = true;
    unwatch();
    await source.return?.();
    return { value: undefined, done: true };
  };
  /** Ends the stream: with the access-lost event if that is why, else as the source ended. */
  const end = async (): Promise<IteratorResult<T | AccessLost>> => {
    const error: AppError | null = lost;
    await finish();
    if (error) return { value: { [LOST]: true, error } as AccessLost, done: false };
    return { value: undefined, done: true };
  };
  const iterator: AsyncIterableIterator<T | AccessLost> = {
    // A plain promise chain, not an async function: this runs once per subscriber per batch.
    next() {
      if (finished) return Promise.resolve({ value: undefined, done: true });
      if (lost) return end();
      return source.next().then(
        (result) => (!result.done && !lost ? result : end()),
        // A typed refusal from the source (SNAPSHOT_REQUIRED: the log was cut
        // under a starting stream) ends the stream with that error as its
        // last result, as access loss does, instead of failing the socket.
        (error: unknown) => {
          if (!(error instanceof AppError)) throw error;
          lost ??= error;
          return end();
        },
      );
    },
    return: finish,
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
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
