// Share by link. An owner makes a link with a role; a signed-in person who
// opens it becomes a member with that role (never lowering a role they
// already hold). The link's secret is shown once and stored as a SHA-256.
// Revoking the link removes the members who joined through it (and only
// them: someone later shared by email keeps that grant), on every node at
// once, through the same access events as removeMember.
import { createHash, randomBytes } from 'node:crypto';
import type { AccessEvent } from '../auth/access-watch.ts';
import { requirePerson } from '../auth/api-tokens.ts';
import { atLeast, type Role } from '../auth/roles.ts';
import { noAudit, type Audit } from '../audit.ts';
import { AppError, badInput } from '../errors.ts';
import type { PrismaClient } from '../store/generated/client.ts';
import { actedBy, type DocumentView, type Documents, type Viewer } from './documents.ts';

/** The prefix tells a link secret apart from other credentials (and in logs). */
const SECRET_PREFIX = 'cgsl_';
/** Roles a link may give: never OWNER (ownership is handed over by email). */
const LINK_ROLES: readonly Role[] = ['EDITOR', 'COMMENTER', 'VIEWER'];
/** Live links per document: plenty for people, a bound for a script. */
const MAX_LINKS_PER_DOCUMENT = 50;

export interface ShareLinkView {
  id: string;
  documentId: string;
  role: Role;
  createdById: string | null;
  createdAt: Date;
}

const hashOf = (secret: string) => createHash('sha256').update(secret).digest('hex');
const VIEW = { id: true, documentId: true, role: true, createdById: true, createdAt: true } as const;

export class ShareLinks {
  private readonly prisma: PrismaClient;
  private readonly documents: Documents;
  private readonly onAccessChange: (event: AccessEvent) => Promise<void>;
  private readonly audit: Audit;

  constructor(prisma: PrismaClient, documents: Documents, options: { onAccessChange?: (event: AccessEvent) => Promise<void>; audit?: Audit } = {}) {
    this.prisma = prisma;
    this.documents = documents;
    this.onAccessChange = options.onAccessChange ?? (async () => {});
    this.audit = options.audit ?? noAudit;
  }

  /** A new link (owners only). The secret is in the answer and nowhere else. */
  async create(viewer: Viewer | null, documentId: string, role: Role): Promise<{ secret: string; link: ShareLinkView }> {
    const me = requirePerson(viewer, 'create share links');
    if (!LINK_ROLES.includes(role)) throw badInput('A link gives EDITOR, COMMENTER or VIEWER; share by email to make an owner', { reason: 'LINK_ROLE' });
    const secret = SECRET_PREFIX + randomBytes(24).toString('base64url');
    const link = await this.documents.asOwner(me, documentId, async (tx) => {
      const live = await tx.shareLink.count({ where: { documentId, revokedAt: null } });
      if (live >= MAX_LINKS_PER_DOCUMENT) throw badInput(`A document has at most ${MAX_LINKS_PER_DOCUMENT} live links; revoke one first`, { reason: 'TOO_MANY_LINKS' });
      return tx.shareLink.create({ data: { documentId, role, secretHash: hashOf(secret), createdById: me.userId }, select: VIEW });
    });
    this.audit({ event: 'share-link-created', documentId, byUserId: me.userId, linkId: link.id, role });
    return { secret, link: link as ShareLinkView };
  }

  /** The document's live links (owners only). */
  async list(viewer: Viewer | null, documentId: string): Promise<ShareLinkView[]> {
    const me = requirePerson(viewer, 'list share links');
    const links = await this.documents.asOwner(me, documentId, (tx) =>
      tx.shareLink.findMany({ where: { documentId, revokedAt: null }, orderBy: { createdAt: 'asc' }, select: VIEW }),
    );
    return links as ShareLinkView[];
  }

  /**
   * Revokes a link (owners of its document) and removes the members who
   * joined through it; their streams of the document end on every node.
   */
  async revoke(viewer: Viewer | null, linkId: string): Promise<void> {
    const me = requirePerson(viewer, 'revoke share links');
    const found = await this.prisma.shareLink.findUnique({ where: { id: linkId }, select: { documentId: true } });
    // A stranger learns nothing: an unknown link and someone else's read alike.
    if (!found) throw new AppError('NOT_FOUND', 'No such link');
    const { documentId } = found;
    const removed = await this.documents.asOwner(me, documentId, async (tx) => {
      const revoked = await tx.shareLink.updateMany({ where: { id: linkId, revokedAt: null }, data: { revokedAt: new Date() } });
      if (revoked.count === 0) throw new AppError('NOT_FOUND', 'No such link');
      const members = await tx.documentMember.findMany({ where: { documentId, viaLinkId: linkId }, select: { userId: true } });
      await tx.documentMember.deleteMany({ where: { documentId, viaLinkId: linkId } });
      return members.map((m) => m.userId);
    });
    this.audit({ event: 'share-link-revoked', documentId, byUserId: me.userId, linkId, removed: removed.length });
    for (const userId of removed) await this.onAccessChange({ kind: 'member-removed', documentId, userId });
  }

  /**
   * Joins the document a link is for, with its role, or keeps the role the
   * person already has if it is higher. Answers the document.
   */
  async join(viewer: Viewer | null, secretInput: string): Promise<DocumentView> {
    const me = requirePerson(viewer, 'join by link');
    const secret = typeof secretInput === 'string' && secretInput.startsWith(SECRET_PREFIX) && secretInput.length <= 100 ? secretInput : null;
    const link = secret ? await this.prisma.shareLink.findUnique({ where: { secretHash: hashOf(secret) }, select: { id: true, documentId: true, role: true, revokedAt: true } }) : null;
    // Malformed, unknown and revoked links read alike: none says which links exist.
    if (!link || link.revokedAt) throw new AppError('NOT_FOUND', 'This link does not work (it may have been revoked)', { reason: 'LINK_INVALID' });
    const { changed, role } = await this.prisma.$transaction(async (tx) => {
      // Re-read under the document's row lock, as every membership change does: a revocation racing this join waits or wins.
      const locked = await tx.$queryRaw<unknown[]>`SELECT 1 FROM "Document" WHERE "id" = ${link.documentId} FOR NO KEY UPDATE`;
      const live = await tx.shareLink.findUnique({ where: { id: link.id }, select: { revokedAt: true } });
      if (locked.length === 0 || !live || live.revokedAt) throw new AppError('NOT_FOUND', 'This link does not work (it may have been revoked)', { reason: 'LINK_INVALID' });
      await actedBy(tx, me.userId); // the SHARED event's actor: whoever joined
      const current = await tx.documentMember.findUnique({ where: { documentId_userId: { documentId: link.documentId, userId: me.userId } }, select: { role: true } });
      if (current && atLeast(current.role as Role, link.role as Role)) return { changed: false, role: current.role as Role };
      await tx.documentMember.upsert({
        where: { documentId_userId: { documentId: link.documentId, userId: me.userId } },
        create: { documentId: link.documentId, userId: me.userId, role: link.role, viaLinkId: link.id },
        update: { role: link.role, viaLinkId: link.id },
      });
      return { changed: current !== null, role: link.role as Role };
    });
    this.audit({ event: 'joined-by-link', documentId: link.documentId, userId: me.userId, linkId: link.id, role });
    if (changed) await this.onAccessChange({ kind: 'role-changed', documentId: link.documentId, userId: me.userId });
    return this.documents.access(me, link.documentId, 'VIEWER');
  }
}
