// Share by link: createShareLink (the secret shown once), revokeShareLink,
// joinDocument, and Document.shareLinks. The rules are in
// documents/share-links.ts.
import type { ShareLinkView } from '../documents/share-links.ts';
import { builder, RoleEnum } from './builder.ts';
import { DocumentRef } from './documents.ts';
import { UserRef } from './users.ts';

const ShareLinkRef = builder.objectRef<ShareLinkView>('ShareLink').implement({
  description: 'A revocable link that gives whoever opens it, signed in, a role on a document.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable id (what revokeShareLink takes).' }),
    role: t.field({ type: RoleEnum, description: 'The role it gives (EDITOR, COMMENTER or VIEWER). Someone who already has a higher role keeps theirs.', resolve: (l) => l.role }),
    createdBy: t.field({
      type: UserRef,
      nullable: true,
      description: 'Who made it (null if their account is gone).',
      resolve: (l, _args, ctx) => (l.createdById ? ctx.services.accounts.user(l.createdById) : null),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was made.' }),
  }),
});

const ShareLinkPayloadRef = builder.objectRef<{ secret: string; link: ShareLinkView }>('ShareLinkPayload').implement({
  description: 'A new share link and its secret. The secret is shown this once: only its hash is stored.',
  fields: (t) => ({
    secret: t.exposeString('secret', { description: 'The secret (`cgsl_…`): the web client puts it in `/join/<secret>`; joinDocument takes it.' }),
    link: t.field({ type: ShareLinkRef, description: 'The link as Document.shareLinks lists it.', resolve: (p) => p.link }),
  }),
});

builder.objectField(DocumentRef, 'shareLinks', (t) =>
  t.field({
    type: [ShareLinkRef],
    description: "The document's live share links, oldest first (owners only: FORBIDDEN otherwise).",
    resolve: (doc, _args, ctx) => ctx.services.shareLinks.list(ctx.viewer, doc.id),
  }),
);

builder.mutationFields((t) => ({
  createShareLink: t.field({
    type: ShareLinkPayloadRef,
    description: 'Makes a link that gives its role to whoever opens it signed in (owners only; at most 50 live links a document). OWNER is refused (BAD_USER_INPUT, reason LINK_ROLE): ownership is given by email.',
    args: {
      documentId: t.arg.id({ required: true, description: 'The document.' }),
      role: t.arg({ type: RoleEnum, required: true, description: 'EDITOR, COMMENTER or VIEWER.' }),
    },
    resolve: async (_root, args, ctx) => {
      if (ctx.viewer && !ctx.viewer.token) await ctx.services.rateLimits.consume(['sharePerUser', ctx.viewer.userId]);
      return ctx.services.shareLinks.create(ctx.viewer, String(args.documentId), args.role);
    },
  }),
  revokeShareLink: t.boolean({
    description: 'Revokes a link (owners of its document): it stops working, and everyone who joined through it loses that access at once, on every node (their live streams of the document end). Someone since shared by email keeps that grant.',
    args: { id: t.arg.id({ required: true, description: 'ShareLink.id.' }) },
    resolve: async (_root, args, ctx) => {
      if (ctx.viewer && !ctx.viewer.token) await ctx.services.rateLimits.consume(['sharePerUser', ctx.viewer.userId]);
      await ctx.services.shareLinks.revoke(ctx.viewer, String(args.id));
      return true;
    },
  }),
  joinDocument: t.field({
    type: DocumentRef,
    description: "Joins the document a share link is for, with the link's role (a higher role you already have is kept). NOT_FOUND (reason LINK_INVALID) for a link that is malformed, unknown or revoked.",
    args: { secret: t.arg.string({ required: true, description: 'The link secret (`cgsl_…`).' }) },
    resolve: async (_root, args, ctx) => {
      if (ctx.viewer && !ctx.viewer.token) await ctx.services.rateLimits.consume(['sharePerUser', ctx.viewer.userId]);
      return ctx.services.shareLinks.join(ctx.viewer, args.secret);
    },
  }),
}));
