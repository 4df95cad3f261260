// API tokens: the credential of agents and backends. A person creates one
// (named, with a role, optionally limited to one document), sees its secret
// once, and sends it as `Authorization: Bearer cgat_…` over HTTP or as the
// socket's connection token. The rule a token acts by:
//
// - it acts for its creator, with the LOWER of its own role and the role
//   its creator holds on the document at that moment (so removing the
//   creator, or demoting them, binds their tokens at once);
// - a token limited to a document sees only that one (others are NOT_FOUND,
//   exactly as for a stranger); its creator must own that document when
//   making it; a token without a document reaches all its creator's documents;
// - its role is EDITOR or VIEWER: owners' actions (share, rename, delete)
//   need a person, and so do account actions (making or listing tokens,
//   new documents, log-out): a token cannot make tokens;
// - revoking it ends its requests, sockets and streams at once on every
//   node (it is revoked as a session is: AccessWatch, access-lease.ts), and
//   the commit refuses its ops from the moment the revocation commits.
//
// The secret is 32 random bytes; only its SHA-256 is stored (a fast hash is
// right for a high-entropy secret: nothing to guess, unlike a password).
import { createHash, randomBytes } from 'node:crypto';
import { noAudit, type Audit } from '../audit.ts';
import { AppError, badInput, forbidden, notFound } from '../errors.ts';
import type { PrismaClient } from '../store/generated/client.ts';
import { checkText } from '../validation/text.ts';
import type { AccessCache } from './access-cache.ts';
import type { Role } from './roles.ts';

/** What tells an API token from an access token (a JWT) in `Authorization: Bearer`. */
export const API_TOKEN_PREFIX = 'cgat_';

/** A token as it authorises a request. */
export interface ApiTokenGrant {
  id: string;
  /** Its creator, whom it acts for. */
  userId: string;
  name: string;
  role: Role;
  documentId: string | null;
}

export interface ApiTokenView extends ApiTokenGrant {
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** Roles a token may hold. */
const TOKEN_ROLES: ReadonlySet<Role> = new Set(['EDITOR', 'VIEWER']);
/** Unrevoked tokens per user. */
export const MAX_TOKENS_PER_USER = 100;
const MAX_NAME = 100;
/** `lastUsedAt` is written at most this often per token (ms): not a write per request. */
export const LAST_USED_EVERY_MS = 60_000;
/** Names are immutable: remembered per node for Operation.actor (bounded). */
const NAME_CACHE_SIZE = 10_000;

const sha256 = (secret: string) => createHash('sha256').update(secret).digest('hex');
/** The prefix and 43 base64url characters (32 bytes). */
const SECRET = /^cgat_[A-Za-z0-9_-]{43}$/;

export const isApiTokenSecret = (bearer: string): boolean => bearer.startsWith(API_TOKEN_PREFIX);

const invalid = () => new AppError('UNAUTHENTICATED', 'Invalid API token');
const revoked = () => new AppError('UNAUTHENTICATED', 'This API token was revoked', { reason: 'TOKEN_REVOKED' });

/** Who may manage tokens: a person, not a token. */
export interface TokenOwner {
  userId: string;
  token?: ApiTokenGrant;
}

export interface ApiTokensOptions {
  cache?: AccessCache;
  /** Told after a token was revoked: its sockets and streams end (published as a session revocation). */
  onRevoked?: (userId: string, tokenIds: string[]) => Promise<void>;
  audit?: Audit;
  now?: () => number;
  /** Told when a background write (lastUsedAt) fails. */
  onError?: (error: unknown) => void;
}

const SELECT_VIEW = { id: true, userId: true, name: true, role: true, documentId: true, createdAt: true, lastUsedAt: true } as const;

export class ApiTokens {
  private readonly prisma: PrismaClient;
  private readonly options: ApiTokensOptions;
  private readonly now: () => number;
  private readonly audit: Audit;
  /** When this node last wrote each token's lastUsedAt (ms). */
  private readonly touched = new Map<string, number>();
  private readonly names = new Map<string, string>();

  constructor(prisma: PrismaClient, options: ApiTokensOptions = {}) {
    this.prisma = prisma;
    this.options = options;
    this.now = options.now ?? Date.now;
    this.audit = options.audit ?? noAudit;
  }

  /** Makes a token; the secret is in the answer and nowhere else. */
  async create(owner: TokenOwner | null, nameInput: string, role: Role, documentId: string | null): Promise<{ secret: string; token: ApiTokenView }> {
    const { userId } = requirePerson(owner, 'create API tokens');
    const name = checkText(nameInput, 'name', { trim: true, minLength: 1, maxBytes: 4 * MAX_NAME });
    if (name.length > MAX_NAME) throw badInput(`name must be 1 to ${MAX_NAME} characters`, { field: 'name' });
    if (!TOKEN_ROLES.has(role)) throw badInput("A token's role is EDITOR or VIEWER: sharing, renaming and deleting need a person", { field: 'role', reason: 'TOKEN_ROLE' });
    if (documentId !== null) {
      const member = await this.prisma.documentMember.findUnique({ where: { documentId_userId: { documentId, userId } }, select: { role: true } });
      if (!member) throw notFound();
      if (member.role !== 'OWNER') throw forbidden('OWNER', member.role);
    }
    const live = await this.prisma.apiToken.count({ where: { userId, revokedAt: null } });
    if (live >= MAX_TOKENS_PER_USER) throw badInput(`At most ${MAX_TOKENS_PER_USER} API tokens; revoke one first`, { limit: 'apiTokens', max: MAX_TOKENS_PER_USER });
    const secret = API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const token = await this.prisma.apiToken.create({
      data: { userId, name, role, documentId, tokenHash: sha256(secret) },
      select: SELECT_VIEW,
    });
    this.audit({ event: 'api-token-created', userId, tokenId: token.id, role, documentId });
    return { secret, token };
  }

  /** The person's unrevoked tokens, newest first. */
  async list(owner: TokenOwner | null): Promise<ApiTokenView[]> {
    const { userId } = requirePerson(owner, 'list API tokens');
    return this.prisma.apiToken.findMany({ where: { userId, revokedAt: null }, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], select: SELECT_VIEW });
  }

  /** Revokes one of the person's tokens (again: still true); NOT_FOUND for anyone else's. Its streams end everywhere. */
  async revoke(owner: TokenOwner | null, id: string): Promise<void> {
    const { userId } = requirePerson(owner, 'revoke API tokens');
    const { count } = await this.prisma.apiToken.updateMany({ where: { id, userId, revokedAt: null }, data: { revokedAt: new Date(this.now()) } });
    if (count === 0) {
      const exists = await this.prisma.apiToken.findFirst({ where: { id, userId }, select: { id: true } });
      if (!exists) throw notFound('API token');
      return;
    }
    this.audit({ event: 'api-token-revoked', userId, tokenId: id });
    await this.options.onRevoked?.(userId, [id]);
  }

  /** The token of a bearer secret; UNAUTHENTICATED for an unknown or revoked one. Notes the use (lastUsedAt). */
  async authenticate(secret: string): Promise<ApiTokenGrant> {
    if (!SECRET.test(secret)) throw invalid();
    const hash = sha256(secret);
    const cache = this.options.cache;
    let grant = cache?.token(hash);
    if (!grant) {
      const epoch = cache?.epoch ?? 0;
      const row = await this.prisma.apiToken.findUnique({
        where: { tokenHash: hash },
        select: { id: true, userId: true, name: true, role: true, documentId: true, revokedAt: true },
      });
      if (!row) throw invalid();
      if (row.revokedAt) throw revoked();
      const { revokedAt: _live, ...found } = row;
      grant = found;
      cache?.tokenIs(hash, grant, epoch);
      cache?.sessionIsLive(grant.id, grant.userId, epoch);
    }
    this.used(grant.id);
    return grant;
  }

  /** Whether the token is unrevoked (read again unless the access cache knows). */
  async isLive(tokenId: string): Promise<boolean> {
    const cache = this.options.cache;
    if (cache?.sessionUser(tokenId)) return true;
    const epoch = cache?.epoch ?? 0;
    const row = await this.prisma.apiToken.findUnique({ where: { id: tokenId }, select: { userId: true, revokedAt: true } });
    if (!row || row.revokedAt) return false;
    cache?.sessionIsLive(tokenId, row.userId, epoch);
    return true;
  }

  /** A token's name (for Operation.actor), revoked or not; null once deleted with its creator. */
  async nameOf(tokenId: string): Promise<string | null> {
    const known = this.names.get(tokenId);
    if (known !== undefined) return known;
    const row = await this.prisma.apiToken.findUnique({ where: { id: tokenId }, select: { name: true } });
    if (!row) return null;
    if (this.names.size >= NAME_CACHE_SIZE) this.names.clear();
    this.names.set(tokenId, row.name);
    return row.name;
  }

  /**
   * Records a use, at most once a minute per token: this node writes only
   * when its own last write is a minute old, and the write itself only
   * moves a lastUsedAt that is (so several nodes add one write a minute
   * each at worst, never one per request). Not awaited: a use never waits
   * for, or fails on, this bookkeeping.
   */
  private used(tokenId: string): void {
    const now = this.now();
    const last = this.touched.get(tokenId);
    if (last !== undefined && now - last < LAST_USED_EVERY_MS) return;
    if (this.touched.size >= NAME_CACHE_SIZE) this.touched.clear();
    this.touched.set(tokenId, now);
    const stamp = new Date(now);
    this.prisma.apiToken
      .updateMany({
        where: { id: tokenId, OR: [{ lastUsedAt: null }, { lastUsedAt: { lte: new Date(now - LAST_USED_EVERY_MS) } }] },
        data: { lastUsedAt: stamp },
      })
      .catch((error: unknown) => this.options.onError?.(error));
  }
}

/** FORBIDDEN for an API token (reason API_TOKEN): `action` needs a person, signed in. */
export function requirePerson<T extends TokenOwner>(owner: T | null, action: string): T {
  if (!owner) throw new AppError('UNAUTHENTICATED', 'Log in first (Authorization: Bearer <access token>)');
  if (owner.token) throw new AppError('FORBIDDEN', `An API token cannot ${action}; sign in as a person`, { reason: 'API_TOKEN' });
  return owner;
}
