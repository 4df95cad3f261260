// Sign-up, log-in and refresh-token sessions. A session is a family of
// refresh tokens: each refresh rotates the token; presenting a rotated
// token again means it was stolen (or replayed), so the family is revoked.
import type { AccessCache } from './access-cache.ts';
import { createHash, randomBytes } from 'node:crypto';
import DataLoader from 'dataloader';
import { noAudit, type Audit } from '../audit.ts';
import { AppError, badInput } from '../errors.ts';
import { checkText } from '../validation/text.ts';
import type { PrismaClient } from '../store/generated/client.ts';
import type { AccessTokens } from './access-tokens.ts';
import { DUMMY_HASH, hashPassword, verifyPassword } from './passwords.ts';

export interface UserRecord {
  id: string;
  email: string;
  name: string;
}

export interface IssuedSession {
  user: UserRecord;
  accessToken: string;
  expiresAt: Date;
  /** Goes only into the HttpOnly cookie. */
  refreshToken: string;
  refreshMaxAge: number;
}

/**
 * How long recentUser() answers from memory, ms: a renamed or deleted
 * account reads as it was for at most this long.
 */
export const RECENT_USER_MS = 10_000;
/** Most accounts recentUser() remembers (the least recently read go first). */
const RECENT_USERS = 10_000;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
const unauthenticated = () => new AppError('UNAUTHENTICATED', 'Session expired or revoked; log in again');

export interface AccountsOptions {
  now?: () => number;
  audit?: Audit;
  /** Told after sessions were revoked (log-out, log-out everywhere, reuse): their sockets must close. */
  onRevoked?: (userId: string, sessionIds: string[]) => Promise<void>;
  /** Remembers live sessions for a moment (forgotten on revocation). */
  cache?: AccessCache;
}

/** A session that may act: not revoked (the access token's own expiry is checked by its signature). */
export interface LiveSession {
  userId: string;
  sessionId: string;
  /** When this access ends: the access token's expiry, or the refresh token's for cookie-authenticated sockets. */
  expiresAt: Date;
}

export class Accounts {
  private readonly now: () => number;
  private readonly audit: Audit;

  private readonly prisma: PrismaClient;
  private readonly tokens: AccessTokens;
  private readonly refreshTtlSeconds: number;
  private readonly options: AccountsOptions;
  /**
   * user(): the lookups made in one tick (a document's 1,000 comment
   * authors) go out as one query for the distinct ids. Nothing is cached
   * beyond that tick, so a renamed or deleted account reads as it is now.
   */
  private readonly users = new DataLoader<string, UserRecord | null>((ids) => this.usersById(ids), { cache: false });
  /**
   * recentUser()'s memory: what each account read as, and when (this.now()).
   * Its order is the reads' order, oldest first, which is what the bound drops.
   */
  private readonly recent = new Map<string, { at: number; user: Promise<UserRecord | null> }>();
  constructor(
    prisma: PrismaClient,
    tokens: AccessTokens,
    refreshTtlSeconds: number,
    options: AccountsOptions = {},
  ) {
    this.prisma = prisma;
    this.tokens = tokens;
    this.refreshTtlSeconds = refreshTtlSeconds;
    this.options = options;
    this.now = options.now ?? Date.now;
    this.audit = options.audit ?? noAudit;
  }

  async signUp(emailInput: string, password: string, nameInput: string, ip: string | null = null): Promise<IssuedSession> {
    const email = checkText(emailInput, 'email', { trim: true }).toLowerCase();
    const name = checkText(nameInput, 'name', { trim: true });
    checkText(password, 'password');
    if (!EMAIL.test(email) || email.length > 254) throw badInput('Enter a valid email address', { field: 'email' });
    if (password.length < 8 || password.length > 256) throw badInput('Password must be 8 to 256 characters', { field: 'password' });
    if (name.length < 1 || name.length > 100) throw badInput('Name must be 1 to 100 characters', { field: 'name' });
    const passwordHash = await hashPassword(password);
    const existing = await this.prisma.user.findUnique({ where: { email }, select: { id: true } });
    if (existing) throw badInput('An account with this email already exists', { field: 'email' });
    try {
      const user = await this.prisma.user.create({ data: { email, name, passwordHash }, select: { id: true, email: true, name: true } });
      const session = await this.startSession(user, randomFamily());
      this.audit({ event: 'sign-up', userId: user.id, email, ip });
      return session;
    } catch (error) {
      // Two sign-ups racing for one email: the unique index decides.
      if (isUniqueViolation(error)) throw badInput('An account with this email already exists', { field: 'email' });
      throw error;
    }
  }

  async logIn(emailInput: string, password: string, ip: string | null = null): Promise<IssuedSession> {
    const email = checkText(emailInput, 'email', { trim: true }).toLowerCase();
    const user = await this.prisma.user.findUnique({ where: { email } });
    const ok = await verifyPassword(user?.passwordHash ?? DUMMY_HASH, password);
    if (!user || !ok) {
      this.audit({ event: 'sign-in-failed', email: email.slice(0, 254), ip });
      throw new AppError('UNAUTHENTICATED', 'Wrong email or password');
    }
    const session = await this.startSession({ id: user.id, email: user.email, name: user.name }, randomFamily());
    this.audit({ event: 'sign-in', userId: user.id, email: user.email, ip });
    return session;
  }

  /** Rotates a refresh token: the old one stops working, a new one is issued. */
  async refresh(refreshToken: string | null): Promise<IssuedSession> {
    if (!refreshToken) throw unauthenticated();
    const session = await this.prisma.session.findUnique({ where: { tokenHash: sha256(refreshToken) }, include: { user: true } });
    if (!session || session.revokedAt || session.expiresAt.getTime() <= this.now()) throw unauthenticated();
    if (session.rotatedAt) {
      await this.revokeFamily(session.userId, session.familyId);
      this.audit({ event: 'refresh-token-reuse', userId: session.userId, familyId: session.familyId });
      throw unauthenticated();
    }
    // Only one of two concurrent refreshes with the same token may win;
    // the loser is treated as reuse.
    const claimed = await this.prisma.session.updateMany({
      where: { id: session.id, rotatedAt: null, revokedAt: null },
      data: { rotatedAt: new Date(this.now()) },
    });
    if (claimed.count !== 1) {
      await this.revokeFamily(session.userId, session.familyId);
      this.audit({ event: 'refresh-token-reuse', userId: session.userId, familyId: session.familyId });
      throw unauthenticated();
    }
    const { user } = session;
    return this.startSession({ id: user.id, email: user.email, name: user.name }, session.familyId);
  }

  /** Ends the session family of this refresh token (or of this access token's session). */
  async logOut(refreshToken: string | null, sessionId: string | null): Promise<void> {
    const session = refreshToken
      ? await this.prisma.session.findUnique({ where: { tokenHash: sha256(refreshToken) } })
      : sessionId
        ? await this.prisma.session.findUnique({ where: { id: sessionId } })
        : null;
    if (!session) return;
    await this.revokeFamily(session.userId, session.familyId);
    this.audit({ event: 'log-out', userId: session.userId, familyId: session.familyId });
  }

  /** Ends every session of the user (the one of this refresh token, or of this access token's session). */
  async logOutEverywhere(refreshToken: string | null, sessionId: string | null): Promise<void> {
    const session = refreshToken
      ? await this.prisma.session.findUnique({ where: { tokenHash: sha256(refreshToken) } })
      : sessionId
        ? await this.prisma.session.findUnique({ where: { id: sessionId } })
        : null;
    // A revoked or rotated-away token must not be a key to everyone's sessions.
    if (!session || session.revokedAt || (refreshToken && session.rotatedAt)) throw unauthenticated();
    const revoked = await this.revoke(session.userId, { userId: session.userId, revokedAt: null });
    this.audit({ event: 'log-out-everywhere', userId: session.userId, sessions: revoked });
  }

  /** The session behind an access token, or null once it was revoked (log-out, reuse). */
  async liveSession(sessionId: string): Promise<{ userId: string } | null> {
    const cache = this.options.cache;
    const known = cache?.sessionUser(sessionId);
    if (known) return { userId: known };
    const epoch = cache?.epoch ?? 0;
    const session = await this.prisma.session.findUnique({ where: { id: sessionId }, select: { userId: true, revokedAt: true } });
    if (!session || session.revokedAt) return null;
    cache?.sessionIsLive(sessionId, session.userId, epoch);
    return { userId: session.userId };
  }

  /**
   * The session of a refresh cookie, without rotating it (for the WebSocket
   * upgrade, which cannot set a cookie). Only the newest token of a family
   * counts; null otherwise.
   */
  async sessionOfRefreshToken(refreshToken: string | null): Promise<LiveSession | null> {
    if (!refreshToken) return null;
    const session = await this.prisma.session.findUnique({ where: { tokenHash: sha256(refreshToken) } });
    if (!session || session.revokedAt || session.rotatedAt || session.expiresAt.getTime() <= this.now()) return null;
    return { userId: session.userId, sessionId: session.id, expiresAt: session.expiresAt };
  }

  user(id: string): Promise<UserRecord | null> {
    return this.users.load(id);
  }

  /**
   * user(), for what is read over and over and may lag: the name on every
   * presence batch (each watcher of each document, up to 20 times a second)
   * would otherwise be a query each. Answers from this node's memory for up
   * to RECENT_USER_MS, so a rename or a deletion shows within that.
   */
  recentUser(id: string): Promise<UserRecord | null> {
    const now = this.now();
    const hit = this.recent.get(id);
    if (hit && now - hit.at < RECENT_USER_MS) {
      this.recent.delete(id); // re-inserted last: the least recently read go first
      this.recent.set(id, hit);
      return hit.user;
    }
    // The promise is kept, so reads while it is on its way share the one lookup.
    const user = this.users.load(id);
    const entry = { at: now, user };
    this.recent.delete(id);
    this.recent.set(id, entry);
    // A failed lookup is not remembered: the next read asks again.
    user.catch(() => {
      if (this.recent.get(id) === entry) this.recent.delete(id);
    });
    for (const oldest of this.recent.keys()) {
      if (this.recent.size <= RECENT_USERS) break;
      this.recent.delete(oldest);
    }
    return user;
  }

  private async usersById(ids: readonly string[]): Promise<Array<UserRecord | null>> {
    const rows = await this.prisma.user.findMany({ where: { id: { in: [...new Set(ids)] } }, select: { id: true, email: true, name: true } });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  private async revokeFamily(userId: string, familyId: string): Promise<void> {
    await this.revoke(userId, { familyId, revokedAt: null });
  }

  /** Revokes the matching sessions and tells whoever closes their sockets. Returns how many. */
  private async revoke(userId: string, where: { familyId?: string; userId?: string; revokedAt: null }): Promise<number> {
    const stamp = new Date(this.now());
    await this.prisma.session.updateMany({ where, data: { revokedAt: stamp } });
    // The rows this call revoked (not those revoked earlier): their sockets close.
    const rows = await this.prisma.session.findMany({ where: { ...where, revokedAt: stamp }, select: { id: true } });
    const sessionIds = rows.map((r) => r.id);
    if (sessionIds.length === 0) return 0;
    await this.options.onRevoked?.(userId, sessionIds);
    return sessionIds.length;
  }

  private async startSession(user: UserRecord, familyId: string): Promise<IssuedSession> {
    const refreshToken = randomBytes(32).toString('base64url');
    const session = await this.prisma.session.create({
      data: {
        userId: user.id,
        familyId,
        tokenHash: sha256(refreshToken),
        expiresAt: new Date(this.now() + this.refreshTtlSeconds * 1000),
      },
      select: { id: true },
    });
    const { token, expiresAt } = await this.tokens.issue(user.id, session.id);
    return { user, accessToken: token, expiresAt, refreshToken, refreshMaxAge: this.refreshTtlSeconds };
  }
}

const randomFamily = () => randomBytes(16).toString('hex');

function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'P2002';
}
