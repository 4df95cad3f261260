// Documents, members and the operation log as the API sees them, with the
// role check on every path. Strangers cannot tell a document they may not
// see from one that does not exist: both are NOT_FOUND.
import { randomUUID } from 'node:crypto';
import { noAudit, type Audit } from '../audit.ts';
import type { AccessCache } from '../auth/access-cache.ts';
import type { AccessEvent } from '../auth/access-watch.ts';
import { requirePerson, type ApiTokenGrant } from '../auth/api-tokens.ts';
import { atLeast, lower, type Role } from '../auth/roles.ts';
import { checkDelta, isDocument, type DeltaPolicy } from '../../../protocol/delta-validation.ts';
import type { PresenceOwner, PresenceRegistry, PresenceState } from '../collab/presence.ts';
import { requireKept } from '../collab/retention.ts';
import type { Delta } from '../../../protocol/delta.ts';
import type { SubmitInput as WireSubmitInput } from '../../../protocol/wire.ts';
import type { Sequencer } from '../collab/sequencer.ts';
import type { CommittedOp, OperationLog, Submission } from '../collab/types.ts';
import { AppError, badInput, forbidden, notFound } from '../errors.ts';
import { checkText } from '../validation/text.ts';
import type { Prisma, PrismaClient } from '../store/generated/client.ts';

export interface Viewer {
  userId: string;
  /**
   * What this request acts in: a person's session, or, for an API token,
   * the token's id. Either way, revoking it (log-out, revokeApiToken)
   * publishes it in `sessions-revoked`, which ends whatever it holds open.
   */
  sessionId: string;
  /** Set when an API token authenticated the request: it acts for `userId` within these limits (auth/api-tokens.ts). */
  token?: ApiTokenGrant;
}

/** Who an op is written by, as the sequencer and the log need it. */
export function writerOf(viewer: Viewer): { authorId: string; sessionId: string | null; tokenId: string | null } {
  return viewer.token ? { authorId: viewer.userId, sessionId: null, tokenId: viewer.token.id } : { authorId: viewer.userId, sessionId: viewer.sessionId, tokenId: null };
}

/**
 * The role a viewer acts with on a document where its user holds `role`:
 * that role for a person; for an API token the lower of it and the token's,
 * and NOT_FOUND on any document but the one a limited token is for.
 */
export function actingRole(viewer: Viewer, documentId: string, role: Role): Role {
  const token = viewer.token;
  if (!token) return role;
  if (token.documentId !== null && token.documentId !== documentId) throw notFound();
  return lower(role, token.role);
}

/** Where a page of the document list ends: the last row's updatedAt and id. */
export interface ListPosition {
  updatedAt: Date;
  id: string;
}

export interface DocumentView {
  id: string;
  title: string;
  createdAt: Date;
  updatedAt: Date;
  role: Role;
  /** The list's preview line (preview.ts), when read with the row; Document.preview reads it otherwise. */
  preview?: string;
}

export interface MemberView {
  userId: string;
  role: Role;
}

/** A submission as the Delta scalar has parsed it (the protocol's shape, with a validated Delta). */
export type SubmitInput = WireSubmitInput<Delta>;

const MAX_TITLE = 200;
/** MAX_TITLE characters of any script (UTF-8: at most 4 bytes per character): config MAX_TITLE_BYTES's default. */
const MAX_TITLE_BYTES = 4 * MAX_TITLE;
const MAX_PAGE = 1_000;

export function requireViewer(viewer: Viewer | null): Viewer {
  if (!viewer) throw new AppError('UNAUTHENTICATED', 'Log in first (Authorization: Bearer <access token>)');
  return viewer;
}

/** FORBIDDEN (with the role held) unless `role` is at least `needed`. */
function requireRole(role: Role, needed: Role): void {
  if (!atLeast(role, needed)) throw forbidden(needed, role);
}

function checkTitle(title: string, maxBytes: number): string {
  const trimmed = checkText(title, 'title', { trim: true, minLength: 1, maxBytes });
  if (trimmed.length > MAX_TITLE) throw badInput(`title must be 1 to ${MAX_TITLE} characters`, { field: 'title' });
  return trimmed;
}

/** A rename, as published to the document's open editors (any node). */
export interface TitleChange {
  documentId: string;
  title: string;
}

export interface DocumentsOptions {
  audit?: Audit;
  /** Told after a rename (published on the document's title topic); a failure does not undo the rename. */
  onRenamed?: (change: TitleChange) => Promise<void>;
  /** Told after a member was removed or a document deleted (their live streams must end), or a role changed. */
  onAccessChange?: (event: AccessEvent) => Promise<void>;
  /** Remembers roles for a moment, for the hot paths (forgotten on every access change). */
  cache?: AccessCache;
  /** Formats and byte limits for submitted deltas and initial content (config MAX_DELTA_OPS, MAX_DELTA_INSERT_BYTES, MAX_EMBED_BYTES, ALLOWED_FORMATS); unset: only the parser's checks. */
  deltaPolicy?: DeltaPolicy;
  /** Longest title in UTF-8 bytes (config MAX_TITLE_BYTES). @default 800 */
  maxTitleBytes?: number;
}

export class Documents {
  private readonly audit: Audit;

  private readonly prisma: PrismaClient;
  private readonly log: OperationLog;
  private readonly sequencer: Sequencer;
  private readonly presence: PresenceRegistry;
  private readonly options: DocumentsOptions;
  constructor(
    prisma: PrismaClient,
    log: OperationLog,
    sequencer: Sequencer,
    presence: PresenceRegistry,
    options: DocumentsOptions = {},
  ) {
    this.prisma = prisma;
    this.log = log;
    this.sequencer = sequencer;
    this.presence = presence;
    this.options = options;
    this.audit = options.audit ?? noAudit;
  }

  /** The node's delta policy (protocol/delta-validation.ts checkDelta): supported formats only, within the configured sizes. */
  private checkDelta(delta: Delta): void {
    if (this.options.deltaPolicy) checkDelta(delta, this.options.deltaPolicy);
  }

  /** The same policy check as a submission's, for deltas kept off the log (suggestions). */
  checkSubmittedDelta(delta: Delta): void {
    this.checkDelta(delta);
  }

  private checkTitle(title: string): string {
    return checkTitle(title, this.options.maxTitleBytes ?? MAX_TITLE_BYTES);
  }

  /**
   * The viewer's role if it is at least `needed`, as access() decides, for
   * the hot paths (submissions, presence, streams): from the AccessCache
   * when it knows, so a busy editor's ops cost no membership read.
   */
  async role(viewer: Viewer | null, documentId: string, needed: Role): Promise<Role> {
    const me = requireViewer(viewer);
    const { userId } = me;
    if (me.token?.documentId && me.token.documentId !== documentId) throw notFound();
    const cache = this.options.cache;
    let role = cache?.role(documentId, userId);
    if (!role) {
      const epoch = cache?.epoch ?? 0;
      const member = await this.prisma.documentMember.findUnique({ where: { documentId_userId: { documentId, userId } }, select: { role: true } });
      if (!member) throw notFound();
      role = member.role;
      cache?.roleIs(documentId, userId, role, epoch);
    }
    role = actingRole(me, documentId, role);
    requireRole(role, needed);
    return role;
  }

  /** The document if the viewer has at least `needed`; NOT_FOUND for strangers, FORBIDDEN for too low a role. */
  async access(viewer: Viewer | null, documentId: string, needed: Role): Promise<DocumentView> {
    const me = requireViewer(viewer);
    const { userId } = me;
    if (me.token?.documentId && me.token.documentId !== documentId) throw notFound();
    const member = await this.prisma.documentMember.findUnique({
      where: { documentId_userId: { documentId, userId } },
      select: { role: true, document: { select: { id: true, title: true, createdAt: true, updatedAt: true } } },
    });
    if (!member) throw notFound();
    const role = actingRole(me, documentId, member.role);
    requireRole(role, needed);
    return { ...member.document, role };
  }

  /** For `document(id)`: null when absent or not visible. */
  async find(viewer: Viewer | null, documentId: string): Promise<DocumentView | null> {
    try {
      return await this.access(viewer, documentId, 'VIEWER');
    } catch (error) {
      if (error instanceof AppError && error.code === 'NOT_FOUND') return null;
      throw error;
    }
  }

  /**
   * The viewer's documents, most recently changed first, `limit` of them
   * after `after` (keyset: the last row's updatedAt and id). A document
   * edited while someone pages moves to the top instead of shifting every
   * later page, so pages neither repeat nor skip (offsets did both).
   * `titleContains`: only titles holding it, ignoring case.
   */
  async list(viewer: Viewer | null, page: { after?: ListPosition | null; limit: number; titleContains?: string | null }): Promise<DocumentView[]> {
    const me = requireViewer(viewer);
    const { userId } = me;
    // A token limited to one document lists that one only.
    const limitedTo = me.token?.documentId;
    const { after, limit, titleContains } = page;
    const rows = await this.prisma.documentMember.findMany({
      where: {
        userId,
        ...(limitedTo && { documentId: limitedTo }),
        document: {
          is: {
            // Prisma hands `contains` to LIKE as is: % and _ must be escaped to mean themselves.
            ...(titleContains ? { title: { contains: titleContains.replace(/[\\%_]/g, '\\$&'), mode: 'insensitive' as const } } : {}),
            ...(after ? { OR: [{ updatedAt: { lt: after.updatedAt } }, { updatedAt: after.updatedAt, id: { gt: after.id } }] } : {}),
          },
        },
      },
      orderBy: [{ document: { updatedAt: 'desc' } }, { documentId: 'asc' }],
      take: limit,
      select: { role: true, document: { select: { id: true, title: true, preview: true, createdAt: true, updatedAt: true } } },
    });
    return rows.map((r) => ({ ...r.document, role: actingRole(me, r.document.id, r.role) }));
  }

  /** The preview line of a document already checked for access (Document.preview outside the list). */
  async preview(documentId: string): Promise<string> {
    const row = await this.prisma.document.findUnique({ where: { id: documentId }, select: { preview: true } });
    return row?.preview ?? '';
  }

  async create(viewer: Viewer | null, titleInput: string, content: Delta | null): Promise<DocumentView> {
    const { userId, sessionId } = requirePerson(viewer, 'create documents');
    const title = this.checkTitle(titleInput);
    if (content && !isDocument(content)) throw badInput('content must contain inserts only');
    if (content) this.checkDelta(content);
    const doc = await this.prisma.document.create({
      data: { title, members: { create: { userId, role: 'OWNER' } } },
      select: { id: true, title: true, createdAt: true, updatedAt: true },
    });
    if (content && content.ops.length > 0) {
      // The initial content is version 1, written by its creator like any op.
      await this.sequencer.submit({ documentId: doc.id, baseVersion: 0, delta: content, clientId: `create-${doc.id}`, clientSeq: 0, authorId: userId, sessionId });
    }
    return { ...doc, role: 'OWNER' };
  }

  async rename(viewer: Viewer | null, documentId: string, titleInput: string): Promise<DocumentView> {
    const title = this.checkTitle(titleInput);
    const doc = await this.access(viewer, documentId, 'OWNER');
    const [, updated] = await this.prisma.$transaction([
      actedBy(this.prisma, requireViewer(viewer).userId),
      this.prisma.document.update({
        where: { id: documentId },
        data: { title },
        select: { id: true, title: true, createdAt: true, updatedAt: true },
      }),
    ]);
    // After the write: a listener that reads the document sees the new title.
    await this.options.onRenamed?.({ documentId, title: updated.title }).catch(() => {});
    return { ...updated, role: doc.role };
  }

  async delete(viewer: Viewer | null, documentId: string): Promise<void> {
    const me = requireViewer(viewer);
    await this.access(viewer, documentId, 'OWNER');
    // Cascades to members, operations and snapshots.
    const [, { count }] = await this.prisma.$transaction([actedBy(this.prisma, me.userId), this.prisma.document.deleteMany({ where: { id: documentId } })]);
    this.sequencer.forget(documentId);
    await this.presence.forget(documentId);
    if (count === 0) return; // a concurrent delete won and has told everyone
    this.audit({ event: 'document-deleted', documentId, byUserId: me.userId });
    await this.options.onAccessChange?.({ kind: 'document-deleted', documentId });
  }

  async share(viewer: Viewer | null, documentId: string, emailInput: string, role: Role): Promise<MemberView> {
    const me = requireViewer(viewer);
    const email = checkText(emailInput, 'email', { trim: true, maxBytes: 254, limit: 'emailBytes' }).toLowerCase();
    const { member, previous } = await this.asOwner(me, documentId, async (tx) => {
      const user = await tx.user.findUnique({ where: { email }, select: { id: true } });
      if (!user) {
        // The owner learns that this email has no account (README "Security model"): recorded, so that probing shows.
        this.audit({ event: 'share-unknown-email', documentId, byUserId: me.userId, email: email.slice(0, 254) });
        throw new AppError('NOT_FOUND', 'No account with this email');
      }
      if (user.id === me.userId) throw badInput('You cannot change your own role');
      const previous = await tx.documentMember.findUnique({ where: { documentId_userId: { documentId, userId: user.id } }, select: { role: true } });
      const member = await tx.documentMember.upsert({
        where: { documentId_userId: { documentId, userId: user.id } },
        create: { documentId, userId: user.id, role },
        // Shared by the owner now: no longer tied to a link (revoking it leaves this grant alone).
        update: { role, viaLinkId: null },
        select: { userId: true, role: true },
      });
      return { member, previous };
    });
    this.audit({ event: 'document-shared', documentId, byUserId: me.userId, userId: member.userId, role, previousRole: previous?.role ?? null });
    if (previous && previous.role !== role) await this.options.onAccessChange?.({ kind: 'role-changed', documentId, userId: member.userId });
    return member;
  }

  /** Takes a member's access away (owners only; not their own) and ends their live streams of the document. */
  async removeMember(viewer: Viewer | null, documentId: string, userId: string): Promise<void> {
    const me = requireViewer(viewer);
    const role = await this.asOwner(me, documentId, async (tx) => {
      if (userId === me.userId) throw badInput('You cannot remove yourself');
      const member = await tx.documentMember.findUnique({ where: { documentId_userId: { documentId, userId } }, select: { role: true } });
      if (!member) throw new AppError('NOT_FOUND', 'No such member of this document');
      await tx.documentMember.delete({ where: { documentId_userId: { documentId, userId } } });
      return member.role;
    });
    this.audit({ event: 'member-removed', documentId, byUserId: me.userId, userId, role });
    await this.options.onAccessChange?.({ kind: 'member-removed', documentId, userId });
  }

  /**
   * Runs a change of the document's members in one transaction that holds
   * the document's row lock and re-checks, under it, that the caller is
   * still an OWNER. Without the lock, two owners demoting each other at the
   * same moment (on two nodes, or two requests on one) would each pass the
   * check before the other's change and leave the document with no owner;
   * with it the second waits, then finds itself demoted (FORBIDDEN). The
   * database refuses an ownerless document anyway (trigger
   * "DocumentMember_keeps_an_owner"), reported as BAD_USER_INPUT LAST_OWNER.
   */
  /** Runs `change` as an owner of the document, under its row lock: every change of members (here and in share-links.ts). */
  async asOwner<T>(me: Viewer, documentId: string, change: (tx: Prisma.TransactionClient) => Promise<T>): Promise<T> {
    try {
      return await this.prisma.$transaction(
        async (tx) => {
          // The lock collab_append's head update takes: it leaves the foreign-key checks of concurrent inserts alone.
          const locked = await tx.$queryRaw<unknown[]>`SELECT 1 FROM "Document" WHERE "id" = ${documentId} FOR NO KEY UPDATE`;
          if (locked.length === 0) throw notFound();
          const mine = await tx.documentMember.findUnique({ where: { documentId_userId: { documentId, userId: me.userId } }, select: { role: true } });
          if (!mine) throw notFound();
          requireRole(actingRole(me, documentId, mine.role), 'OWNER');
          await actedBy(tx, me.userId);
          return await change(tx);
        },
        // Changes queue on the document's lock: wait for a connection and the lock longer than Prisma's 2 s / 5 s defaults.
        { maxWait: 10_000, timeout: 15_000 },
      );
    } catch (error) {
      if (isLastOwnerRefusal(error)) throw badInput('A document must keep at least one owner', { reason: 'LAST_OWNER' });
      throw error;
    }
  }

  async members(documentId: string): Promise<MemberView[]> {
    return this.prisma.documentMember.findMany({
      where: { documentId },
      orderBy: [{ createdAt: 'asc' }, { userId: 'asc' }],
      select: { userId: true, role: true },
    });
  }

  async submit(viewer: Viewer | null, input: SubmitInput, extra: Pick<Submission, 'runId' | 'requestHash' | 'requiredVersion' | 'anyAuthor'> = {}): Promise<CommittedOp> {
    const me = requireViewer(viewer);
    // Checked here from the cache for speed, and again in the commit itself
    // (the log refuses an author whose access changed meanwhile).
    await this.role(me, input.documentId, 'EDITOR');
    this.checkDelta(input.delta);
    try {
      return await this.sequencer.submit({ ...input, ...extra, ...writerOf(me) });
    } catch (error) {
      if (error instanceof AppError) this.forgetRefused(error.code, input.documentId, me.userId, me.sessionId);
      throw error;
    }
  }

  /**
   * A refusal from the commit means this node's cache is behind an access
   * change (the bus will say so too, unless Redis is down): forget what it
   * held, so that reads and presence are refused from now on as well.
   */
  private forgetRefused(code: string, documentId: string, userId: string, sessionId: string): void {
    const cache = this.options.cache;
    if (code === 'FORBIDDEN' || code === 'NOT_FOUND') cache?.forget({ kind: 'role-changed', documentId, userId });
    if (code === 'UNAUTHENTICATED') cache?.forget({ kind: 'sessions-revoked', userId, sessionIds: [sessionId] });
  }

  async operations(documentId: string, afterVersion: number, first: number | null): Promise<CommittedOp[]> {
    if (!Number.isSafeInteger(afterVersion) || afterVersion < 0) throw badInput('afterVersion must be a non-negative integer');
    const limit = first ?? 100;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) throw badInput(`first must be 1 to ${MAX_PAGE}`);
    const ops = await this.log.readOps(documentId, afterVersion, undefined, limit);
    // A page that does not start right after afterVersion (or is empty): retention may have cut the log there.
    if (ops[0]?.version !== afterVersion + 1) await requireKept(this.log, documentId, afterVersion);
    return ops;
  }

  /** Restores `version` as a new forward op: the diff from the head to it. */
  async restore(viewer: Viewer | null, documentId: string, version: number): Promise<CommittedOp> {
    const me = requireViewer(viewer);
    await this.access(viewer, documentId, 'EDITOR');
    const old = await this.sequencer.contentAt(documentId, version);
    const head = await this.sequencer.head(documentId);
    // Ops committed after `head` are rebased over, as for any client.
    return this.sequencer.submit({
      documentId,
      baseVersion: head.version,
      delta: head.content.diff(old),
      clientId: `restore-${randomUUID()}`,
      clientSeq: 0,
      ...writerOf(me),
    });
  }

  async updatePresence(
    viewer: Viewer | null,
    input: Omit<PresenceState, 'updatedAt' | 'userId' | 'documentId' | 'left' | 'owner'> & { documentId: string },
    owner?: PresenceOwner,
  ): Promise<PresenceState> {
    const { userId } = requireViewer(viewer);
    await this.role(viewer, input.documentId, 'VIEWER');
    // A cursor moves far more often than the text changes: the cached head
    // bounds the version without a database read, unless another node's
    // commit has not reached this node's cache yet.
    let headVersion = await this.sequencer.knownHeadVersion(input.documentId);
    if (input.version > headVersion) headVersion = (await this.sequencer.head(input.documentId)).version;
    return this.presence.update({ ...input, userId }, headVersion, owner);
  }
}

/**
 * Names who acts in the current transaction, for the event the database
 * writes for the change (collab_actor(), prisma/migrations/*_document_events):
 * the triggers that write RENAMED, SHARED, UNSHARED and DELETED cannot see
 * the request.
 */
export function actedBy(db: Pick<PrismaClient, '$queryRaw'> | Prisma.TransactionClient, userId: string) {
  return db.$queryRaw`SELECT set_config('collab.actor', ${userId}, true)`;
}

/** The trigger "DocumentMember_keeps_an_owner" (prisma/migrations/20261205100000_*) refused a change. */
function isLastOwnerRefusal(error: unknown): boolean {
  // Prisma reports a raise from a trigger as P2039 with the driver's error in
  // meta.driverAdapterError.cause (the same shape for pg and PGlite); the
  // constraint's name is not passed on, so the trigger's SQLSTATE and its
  // message's fixed part identify it.
  const cause = (error as { meta?: { driverAdapterError?: { cause?: { originalCode?: unknown; originalMessage?: unknown } } } } | null)?.meta?.driverAdapterError?.cause;
  return cause?.originalCode === '23514' && typeof cause.originalMessage === 'string' && cause.originalMessage.endsWith('would have no owner');
}
