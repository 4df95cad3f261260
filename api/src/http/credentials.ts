// The one place a bearer value becomes a viewer, for HTTP, a socket's
// connection token and an operation's own token alike. Two kinds of
// credential, told apart by their prefix: an API token (`cgat_…`,
// auth/api-tokens.ts) and an access token (a JWT from signUp, logIn or
// refreshSession, auth/access-tokens.ts).
import { isApiTokenSecret } from '../auth/api-tokens.ts';
import type { Viewer } from '../documents/documents.ts';
import { AppError } from '../errors.ts';
import type { Services } from '../services.ts';

/** A viewer and when its access ends (the access token's expiry; an API token's never comes). */
export type AuthenticatedViewer = Viewer & { expiresAt: Date };

/** The latest Date there is: an API token does not expire, it is revoked. */
const NEVER = new Date(8_640_000_000_000_000);

/**
 * The viewer of a bearer value. Throws UNAUTHENTICATED for a bad or expired
 * access token (`reason: TOKEN_EXPIRED`), a revoked session (`reason:
 * SESSION_REVOKED`) and an unknown or revoked API token (`reason:
 * TOKEN_REVOKED` for the latter): revocations take effect at once. Costs one
 * primary-key read per request, or none while the access cache knows the
 * answer (bench/auth-overhead.ts measures it).
 */
export async function viewerFromBearer(services: Services, bearer: string): Promise<AuthenticatedViewer> {
  if (isApiTokenSecret(bearer)) {
    const token = await services.apiTokens.authenticate(bearer);
    return { userId: token.userId, sessionId: token.id, token, expiresAt: NEVER };
  }
  const claims = await services.tokens.verify(bearer);
  const session = await services.accounts.liveSession(claims.sessionId);
  if (!session || session.userId !== claims.userId) {
    throw new AppError('UNAUTHENTICATED', 'Session revoked; log in again', { reason: 'SESSION_REVOKED' });
  }
  return { userId: claims.userId, sessionId: claims.sessionId, expiresAt: claims.expiresAt };
}

/** Whether what the viewer acts in (its session, or its API token) is still unrevoked. */
export async function viewerIsLive(services: Services, viewer: Viewer): Promise<boolean> {
  if (viewer.token) return services.apiTokens.isLive(viewer.token.id);
  const session = await services.accounts.liveSession(viewer.sessionId);
  return session !== null && session.userId === viewer.userId;
}

/** The viewer as the context carries it (without the expiry). */
export const contextViewer = (viewer: AuthenticatedViewer): Viewer => ({
  userId: viewer.userId,
  sessionId: viewer.sessionId,
  ...(viewer.token && { token: viewer.token }),
});
