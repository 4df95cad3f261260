// Short-lived access tokens (JWT, HS256 via jose). Clients keep them in
// memory; the refresh cookie gets a new one.
import { createSecretKey } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { AppError } from '../errors.ts';

export interface AccessClaims {
  userId: string;
  sessionId: string;
  expiresAt: Date;
}

export interface AccessTokens {
  issue(userId: string, sessionId: string): Promise<{ token: string; expiresAt: Date }>;
  /** Throws UNAUTHENTICATED for a missing, malformed, forged or expired token. */
  verify(token: string): Promise<AccessClaims>;
}

const ISSUER = 'collab-graphql';

/** Verified tokens remembered (a client sends the same one for many minutes); bounded, dropped when full. */
const VERIFIED_CACHE_SIZE = 10_000;

export function createAccessTokens(secret: string, ttlSeconds: number, now: () => number = Date.now): AccessTokens {
  // A KeyObject made once: a raw Uint8Array would be imported again on every call.
  const key = createSecretKey(new TextEncoder().encode(secret));
  const verified = new Map<string, AccessClaims>();
  return {
    async issue(userId, sessionId) {
      const issuedAt = Math.floor(now() / 1000);
      const exp = issuedAt + ttlSeconds;
      const token = await new SignJWT({ sid: sessionId })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(userId)
        .setIssuer(ISSUER)
        .setIssuedAt(issuedAt)
        .setExpirationTime(exp)
        .sign(key);
      return { token, expiresAt: new Date(exp * 1000) };
    },
    async verify(token) {
      // A token is immutable: once its signature checked out, only its expiry can change the answer.
      const known = verified.get(token);
      if (known && known.expiresAt.getTime() > now()) return known;
      try {
        const { payload } = await jwtVerify(token, key, {
          issuer: ISSUER,
          algorithms: ['HS256'],
          currentDate: new Date(now()),
        });
        if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string' || typeof payload.exp !== 'number') {
          throw new AppError('UNAUTHENTICATED', 'Invalid access token');
        }
        const claims = { userId: payload.sub, sessionId: payload.sid, expiresAt: new Date(payload.exp * 1000) };
        if (verified.size >= VERIFIED_CACHE_SIZE) verified.clear();
        verified.set(token, claims);
        return claims;
      } catch (error) {
        if (error instanceof AppError) throw error;
        const expired = error instanceof errors.JWTExpired;
        throw new AppError('UNAUTHENTICATED', expired ? 'Access token expired' : 'Invalid access token', expired ? { reason: 'TOKEN_EXPIRED' } : undefined);
      }
    },
  };
}

/** The token of an `Authorization: Bearer <token>` value, or null. */
export function bearerToken(header: unknown): string | null {
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return match?.[1] ?? null;
}
