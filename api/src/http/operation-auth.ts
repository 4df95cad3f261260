// Operations signed in on their own. GraphiQL sends its Headers tab not in
// connectionParams but with each operation, as `extensions.headers`; on an
// anonymous socket such a bearer token signs in that operation alone. Such
// an operation is held to the same rules as a signed-in socket:
// - it holds its own access lease (access-lease.ts): when the token expires
//   or the session is revoked, on any node, its stream ends with one last
//   result carrying UNAUTHENTICATED and `reason` (TOKEN_EXPIRED /
//   SESSION_REVOKED), then completes; the socket and its other operations
//   go on;
// - each user it signs in on a socket counts once against that user's
//   socket budget (socketsPerUser), as if they had opened the socket.
import { GraphQLError, type ExecutionResult } from 'graphql';
import { bearerToken } from '../auth/access-tokens.ts';
import { rateSubject } from '../limits/rate-subject.ts';
import { contextViewer, viewerFromBearer, viewerIsLive } from './credentials.ts';
import { holdAccess, type AccessEnd, type AccessLease } from '../auth/access-lease.ts';
import type { Viewer } from '../documents/documents.ts';
import { AppError } from '../errors.ts';
import type { Services } from '../services.ts';
import type { OperationGrant, SocketCtx } from './socket-context.ts';

const toErrors = (error: AppError) => [new GraphQLError(error.message, { extensions: { code: error.code, ...error.details } })];

const accessEnded = (reason: AccessEnd, token = false): ExecutionResult => ({
  errors: [
    token
      ? new GraphQLError('This API token was revoked', { extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' } })
      : new GraphQLError(reason === 'TOKEN_EXPIRED' ? 'Access token expired; refresh it and subscribe again' : 'Session revoked; log in again', {
          extensions: { code: 'UNAUTHENTICATED', reason },
        }),
  ],
});

/**
 * The viewer of operation `id`: the socket's own, else the bearer token in
 * the operation's `extensions.headers.authorization` (checked like any
 * token, session included), else null. For the latter, holds the
 * operation's access lease until endOperation. Returns errors to refuse with.
 */
export async function operationViewer(
  services: Services,
  ctx: SocketCtx,
  id: string,
  payload: { extensions?: Record<string, unknown> | null },
): Promise<Viewer | null | readonly GraphQLError[]> {
  if (ctx.extra.viewer) return ctx.extra.viewer;
  const headers = payload.extensions?.headers;
  if (typeof headers !== 'object' || headers === null) return null;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === 'authorization');
  if (!key) return null;
  const token = bearerToken((headers as Record<string, unknown>)[key]);
  if (!token) return null;
  let grant: OperationGrant | undefined;
  try {
    const viewer = await viewerFromBearer(services, token);
    // Lease first, then the liveness read (see holdAccess): a revocation
    // between the read above and the lease is caught by the second.
    let onEnd!: (reason: AccessEnd) => void;
    const ended = new Promise<AccessEnd>((resolve) => (onEnd = resolve));
    grant = { lease: holdAccess(services.access, viewer.sessionId, viewer.expiresAt, onEnd), ended, token: viewer.token !== undefined };
    if (!(await viewerIsLive(services, viewer)) || grant.lease.ended) {
      throw viewer.token
        ? new AppError('UNAUTHENTICATED', 'This API token was revoked', { reason: 'TOKEN_REVOKED' })
        : new AppError('UNAUTHENTICATED', 'Session revoked; log in again', { reason: 'SESSION_REVOKED' });
    }
    await countUser(services, ctx, rateSubject(viewer));
    // The client may have completed the operation meanwhile; graphql-ws then drops it.
    if (!(id in ctx.subscriptions)) {
      grant.lease.release();
      return null;
    }
    (ctx.extra.operations ??= new Map()).get(id)?.lease.release();
    ctx.extra.operations.set(id, grant);
    return contextViewer(viewer);
  } catch (error) {
    grant?.lease.release();
    if (!(error instanceof AppError)) throw error;
    return toErrors(error);
  }
}

/** Takes one socketsPerUser point the first time `userId` (a user, or an API token: rate-subject.ts) signs in an operation on this socket. */
async function countUser(services: Services, ctx: SocketCtx, userId: string): Promise<void> {
  const users = (ctx.extra.operationUsers ??= new Map());
  let counted = users.get(userId);
  if (!counted) {
    counted = services.rateLimits.consume(['socketsPerUser', userId]);
    users.set(userId, counted);
    // Refused: not counted, so a later operation asks again.
    counted.catch(() => users.delete(userId));
  }
  await counted;
}

/**
 * For graphql-ws onOperation: a signed-in-on-its-own operation's stream,
 * ended when its access ends; a one-shot result computed while access ended
 * becomes that error. Other operations pass unchanged.
 */
export function guardOperation(ctx: SocketCtx, id: string, result: unknown): ExecutionResult | AsyncIterable<ExecutionResult> | undefined {
  const grant = ctx.extra.operations?.get(id);
  if (!grant) return undefined;
  if (!isStream(result)) {
    endOperation(ctx, id);
    return grant.lease.ended ? accessEnded(grant.lease.ended, grant.token) : undefined;
  }
  return untilAccessEnds(result, grant, () => endOperation(ctx, id));
}

// graphql-ws has awaited the operation before onOperation: a stream or one result.
const isStream = (result: unknown): result is AsyncIterable<ExecutionResult> => typeof result === 'object' && result !== null && Symbol.asyncIterator in result;

/** Releases operation `id`'s lease, if it holds one (idempotent). */
export function endOperation(ctx: SocketCtx, id: string): void {
  const grant = ctx.extra.operations?.get(id);
  if (!grant) return;
  ctx.extra.operations!.delete(id);
  grant.lease.release();
}

/** Releases every operation lease of the socket (it closed). */
export function endOperations(ctx: SocketCtx): void {
  for (const id of [...(ctx.extra.operations?.keys() ?? [])]) endOperation(ctx, id);
}

/**
 * `source`, until the grant's access ends: then one last result with the
 * error, and done. A pending next() is answered at once when access ends,
 * whether or not the source ends on return() while a next() is pending (an
 * async generator does not).
 */
function untilAccessEnds(source: AsyncIterable<ExecutionResult>, grant: OperationGrant, done: () => void): AsyncIterableIterator<ExecutionResult> {
  const inner = source[Symbol.asyncIterator]();
  let finished = false;
  const ended = grant.ended.then(() => null);
  const finish = async (): Promise<IteratorResult<ExecutionResult>> => {
    if (!finished) {
      finished = true;
      done();
      await inner.return?.();
    }
    return { value: undefined, done: true };
  };
  const end = (): IteratorResult<ExecutionResult> => {
    const reason = grant.lease.ended!;
    finished = true;
    done();
    // Not awaited: it would wait for the pending next() of an async generator.
    inner.return?.().catch(() => {});
    return { value: accessEnded(reason, grant.token), done: false };
  };
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      if (finished) return { value: undefined, done: true };
      if (grant.lease.ended) return end();
      const result = await Promise.race([inner.next(), ended]);
      if (result === null || grant.lease.ended) return finished ? { value: undefined, done: true } : end();
      if (result.done) await finish();
      return result;
    },
    return: finish,
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
