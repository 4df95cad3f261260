// Sign-up, log-in and refresh-token sessions. A session is a family of
// refresh tokens: each refresh rotates the token; presenting a rotated
// token again means it was stolen (or replayed), so the family is revoked.
import { createHash, randomBytes } from 'node:crypto';
import { AppError, badInput } from '../errors.js';
import type { PrismaClient } from '../store/generated/client.js';
import type { AccessTokens } from './access-tokens.js';
import { DUMMY_HASH, hashPassword, verifyPassword } from './passwords.js';

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

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
const unauthenticated = () => new AppError('UNAUTHENTICATED', 'Session expired or revoked; log in again');

export class Accounts {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly tokens: AccessTokens,
    private readonly refreshTtlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  async signUp(emailInput: string, password: string, nameInput: string): Promise<IssuedSession> {
    const email = emailInput.trim().toLowerCase();
    const name = nameInput.trim();
    if (!EMAIL.test(email) || email.length > 254) throw badInput('Enter a valid email address', { field: 'email' });
    if (password.length < 8 || password.length > 256) throw badInput('Password must be 8 to 256 characters', { field: 'password' });
    if (name.length < 1 || name.length > 100) throw badInput('Name must be 1 to 100 characters', { field: 'name' });
    const passwordHash = await hashPassword(password);
    const existing = await this.prisma.user.findUnique({ where: { email }, select: { id: true } });
    if (existing) throw badInput('An account with this email already exists', { field: 'email' });
    try {
      const user = await this.prisma.user.create({ data: { email, name, passwordHash }, select: { id: true, email: true, name: true } });
      return await this.startSession(user, randomFamily());
    } catch (error) {
      // Two sign-ups racing for one email: the unique index decides.
      if (isUniqueViolation(error)) throw badInput('An account with this email already exists', { field: 'email' });
      throw error;
    }
  }

  async logIn(emailInput: string, password: string): Promise<IssuedSession> {
    const email = emailInput.trim().toLowerCase();
    const user = await this.prisma.user.findUnique({ where: { email } });
    const ok = await verifyPassword(user?.passwordHash ?? DUMMY_HASH, password);
    if (!user || !ok) throw new AppError('UNAUTHENTICATED', 'Wrong email or password');
    return this.startSession({ id: user.id, email: user.email, name: user.name }, randomFamily());
  }

  /** Rotates a refresh token: the old one stops working, a new one is issued. */
  async refresh(refreshToken: string | null): Promise<IssuedSession> {
    if (!refreshToken) throw unauthenticated();
    const session = await this.prisma.session.findUnique({ where: { tokenHash: sha256(refreshToken) }, include: { user: true } });
    if (!session || session.revokedAt || session.expiresAt.getTime() <= this.now()) throw unauthenticated();
    if (session.rotatedAt) {
      await this.revokeFamily(session.familyId);
      throw unauthenticated();
    }
    // Only one of two concurrent refreshes with the same token may win;
    // the loser is treated as reuse.
    const claimed = await this.prisma.session.updateMany({
      where: { id: session.id, rotatedAt: null, revokedAt: null },
      data: { rotatedAt: new Date(this.now()) },
    });
    if (claimed.count !== 1) {
      await this.revokeFamily(session.familyId);
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
    if (session) await this.revokeFamily(session.familyId);
  }

  user(id: string): Promise<UserRecord | null> {
    return this.prisma.user.findUnique({ where: { id }, select: { id: true, email: true, name: true } });
  }

  private async revokeFamily(familyId: string): Promise<void> {
    await this.prisma.session.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: new Date(this.now()) } });
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
