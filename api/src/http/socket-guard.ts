// What guards the WebSocket path, where yoga's HTTP plugins (CORS, CSRF)
// never run: the Origin of the upgrade request, connection rate limits,
// authentication (connectionParams, or the refresh cookie of the upgrade),
// closing sockets whose access token expires or whose session is revoked,
// closing anonymous sockets that sit idle, and the number of subscriptions
// per socket. Operations signed in on their own: operation-auth.ts.
import { GraphQLError } from 'graphql';
import type { VerifyClientCallbackAsync } from 'ws';
import { holdAccess, type AccessEnd, type AccessLease } from '../auth/access-lease.ts';
import { readCookie, REFRESH_COOKIE } from '../auth/refresh-cookie.ts';
import type { Viewer } from '../documents/documents.ts';
import { AppError } from '../errors.ts';
import type { Services } from '../services.ts';
import { clientIp, viewerFromAuthorization } from './graphql.ts';
import { contextViewer, viewerIsLive, type AuthenticatedViewer } from './credentials.ts';
import { endOperations } from './operation-auth.ts';
import type { SocketCtx } from './socket-context.ts';
import { isAllowedOrigin } from './security-plugins.ts';
import { rateSubject } from '../limits/rate-subject.ts';

/**
 * Close codes this server uses besides graphql-ws's own (4400 bad message,
 * 4403 bad token at connect, 4408 no connection_init in time, 4500 internal)
 * and RFC 6455's (1009 message too big, 1012 server restarting).
 * Upgrades are refused before any socket exists: HTTP 403 for a foreign
 * Origin, HTTP 429 (Retry-After) for too many connections from one address.
 */
export const CLOSE_CODES = {
  /** The access token expired: refresh it (refreshSession) and reconnect. */
  TOKEN_EXPIRED: 4001,
  /** The session was revoked (log-out, log-out everywhere, refresh-token reuse): log in again. Also an API token revoked (revokeApiToken): stop using it. */
  SESSION_REVOKED: 4002,
  /** An anonymous socket had no operation in progress for ANONYMOUS_SOCKET_IDLE_MS: reconnect when there is something to do. */
  IDLE: 4008,
  /** Too many connections by this user: reconnect after the delay named in the reason. */
  RATE_LIMITED: 4029,
} as const;

type Ctx = SocketCtx;

/** ws verifyClient: refuses foreign origins (403) and connection floods per address (429). */
export function verifyUpgrade(services: Services): VerifyClientCallbackAsync {
  const { security } = services.config;
  return (info, done) => {
    const { req } = info;
    if (!isAllowedOrigin(security, req.headers.origin, req.headers.host)) {
      services.logger.info({ origin: req.headers.origin }, 'WebSocket upgrade from a foreign origin refused');
      done(false, 403, 'Origin not allowed');
      return;
    }
    services.rateLimits.consume(['socketsPerIp', clientIp(req, security.trustProxy)]).then(
      () => done(true),
      (error: unknown) => {
        const retryAfterMs = error instanceof AppError && error.code === 'RATE_LIMITED' ? Number(error.details?.retryAfterMs) : null;
        if (retryAfterMs === null) services.logger.error({ err: error }, 'WebSocket rate limit check failed');
        if (retryAfterMs === null) done(false, 503, 'Service Unavailable');
        else done(false, 429, 'Too Many Requests', { 'Retry-After': String(Math.ceil(retryAfterMs / 1000)) });
      },
    );
  };
}

function closeWith(ctx: Ctx, code: number, reason: string): false {
  ctx.extra.socket.close(code, reason);
  return false; // graphql-ws then closes with 4403, which ws ignores: the socket is already closing
}

/** The access a socket is opened with: the bearer token in connectionParams, else the refresh cookie of the upgrade request. */
async function authenticate(services: Services, ctx: Ctx): Promise<AuthenticatedViewer | null> {
  // Any case: clients spell the key "authorization" or "Authorization".
  const params = ctx.connectionParams ?? {};
  const key = Object.keys(params).find((k) => k.toLowerCase() === 'authorization');
  if (key) return viewerFromAuthorization(services, params[key]);
  const cookie = readCookie(ctx.extra.request?.headers.cookie, REFRESH_COOKIE);
  if (!cookie) return null;
  const session = await services.accounts.sessionOfRefreshToken(cookie);
  if (!session) throw new AppError('UNAUTHENTICATED', 'Session expired or revoked');
  return session;
}

/** graphql-ws onConnect: authenticates, rate-limits per user, and arms the expiry and revocation closes. */
export async function onConnect(services: Services, ctx: Ctx): Promise<boolean> {
  const ip = clientIp(ctx.extra.request ?? undefined, services.config.security.trustProxy);
  ctx.extra.ip = ip;
  let viewer: AuthenticatedViewer | null;
  try {
    viewer = await authenticate(services, ctx);
  } catch (error) {
    const reason = error instanceof AppError ? error.details?.reason : undefined;
    if (reason === 'TOKEN_EXPIRED') return closeWith(ctx, CLOSE_CODES.TOKEN_EXPIRED, 'Access token expired');
    if (reason === 'SESSION_REVOKED') return closeWith(ctx, CLOSE_CODES.SESSION_REVOKED, 'Session revoked');
    if (!(error instanceof AppError)) services.logger.error({ err: error }, 'WebSocket authentication failed');
    return false; // 4403: a bad token
  }
  ctx.extra.viewer = viewer && contextViewer(viewer);
  // Read once, here: an idle socket need not keep its upgrade request or
  // its token (both are ~1-2 KB per socket, see docs/capacity.md).
  ctx.extra.request = null;
  (ctx as { connectionParams?: unknown }).connectionParams = undefined;
  if (!viewer) {
    // Anonymous: every document operation will say UNAUTHENTICATED.
    ctx.extra.held = { release: closeWhenIdle(ctx, services.config.security.anonymousSocketIdleMs) };
    return true;
  }

  try {
    await services.rateLimits.consume(['socketsPerUser', rateSubject(viewer)]);
  } catch (error) {
    if (error instanceof AppError && error.code === 'RATE_LIMITED') {
      return closeWith(ctx, CLOSE_CODES.RATE_LIMITED, `Too many connections; retry in ${Math.ceil(Number(error.details?.retryAfterMs) / 1000)} s`);
    }
    throw error;
  }

  ctx.extra.held = new SocketAccess(services, viewer, ctx.extra.socket);
  return true;
}

/** Stops what a socket held (releases nothing for a socket that was never accepted). For graphql-ws's onClose. */
export function releaseSocket(ctx: Ctx): void {
  if (!ctx.extra.held) return;
  ctx.extra.held.release();
  endOperations(ctx);
}

/**
 * A signed-in socket's access: a lease that closes the socket when its
 * access token expires or its session (or API token) is revoked. An object
 * that is its lease's handler, not closures: every idle socket holds one.
 */
class SocketAccess {
  private readonly socket: Ctx['extra']['socket'];
  private readonly token: boolean;
  private readonly lease: AccessLease;
  constructor(services: Services, viewer: AuthenticatedViewer, socket: Ctx['extra']['socket']) {
    this.socket = socket;
    this.token = Boolean(viewer.token);
    this.lease = holdAccess(services.access, viewer.sessionId, viewer.expiresAt, this);
  }

  accessEnded(reason: AccessEnd): void {
    if (reason === 'TOKEN_EXPIRED') this.socket.close(CLOSE_CODES.TOKEN_EXPIRED, 'Access token expired');
    else this.socket.close(CLOSE_CODES.SESSION_REVOKED, this.token ? 'API token revoked' : 'Session revoked');
  }

  release(): void {
    this.lease.release();
  }
}

/**
 * An anonymous socket costs memory and a file descriptor and serves nobody
 * until it runs an operation: every `idleMs` it is closed (4008) unless an
 * operation is in progress at that moment. Checking at fixed times, rather
 * than timing from the last operation, means a stream of instant operations
 * (each refused, or `{ __typename }`) cannot keep it open; a lazy client
 * (graphql-ws's default, GraphiQL's) has closed its socket long before.
 */
function closeWhenIdle(ctx: Ctx, idleMs: number): () => void {
  const timer = setInterval(() => {
    // Includes operations still being set up (graphql-ws registers each id first).
    if (Object.keys(ctx.subscriptions).length === 0) ctx.extra.socket.close(CLOSE_CODES.IDLE, 'Idle anonymous connection');
  }, idleMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Checks to run before each subscribe message: the subscription budget of
 * the socket, and that its session is still live (a revocation published
 * while Redis was away is caught here at the latest). Returns errors to
 * refuse with, or null.
 */
export async function beforeSubscribe(services: Services, ctx: Ctx): Promise<readonly GraphQLError[] | null> {
  const max = services.config.security.maxSubscriptionsPerSocket;
  // graphql-ws has already registered this one.
  if (Object.keys(ctx.subscriptions).length > max) {
    return [new GraphQLError(`At most ${max} operations at once on one socket`, { extensions: { code: 'BAD_USER_INPUT', limit: 'subscriptionsPerSocket', max } })];
  }
  const viewer = ctx.extra.viewer;
  if (viewer && !(await viewerIsLive(services, viewer))) {
    ctx.extra.socket.close(CLOSE_CODES.SESSION_REVOKED, viewer.token ? 'API token revoked' : 'Session revoked');
    return [
      viewer.token
        ? new GraphQLError('This API token was revoked', { extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' } })
        : new GraphQLError('Session revoked; log in again', { extensions: { code: 'UNAUTHENTICATED', reason: 'SESSION_REVOKED' } }),
    ];
  }
  return null;
}
