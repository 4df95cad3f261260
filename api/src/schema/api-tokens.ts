// API tokens: createApiToken (the secret shown once), revokeApiToken, apiTokens.
// The rules a token acts by are in auth/api-tokens.ts.
import type { ApiTokenView } from '../auth/api-tokens.ts';
import { builder, RoleEnum } from './builder.ts';

const ApiTokenRef = builder.objectRef<ApiTokenView>('ApiToken').implement({
  description: 'A credential for an agent or a backend: acts for the person who made it, with at most its role, on one document if `documentId` is set (docs/protocol.md, "Writing agents and backends").',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable id (what revokeApiToken takes).' }),
    name: t.exposeString('name', { description: "Its name, as it shows in Operation.actor's tokenName." }),
    role: t.field({ type: RoleEnum, description: "The most it may do: EDITOR or VIEWER, and never more than its creator's role on the document.", resolve: (k) => k.role }),
    documentId: t.exposeID('documentId', { nullable: true, description: 'The one document it may reach; null: every document of its creator.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was made.' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true, description: 'When it was last used, to the minute (written at most once a minute); null if never.' }),
  }),
});

const ApiTokenPayloadRef = builder.objectRef<{ secret: string; token: ApiTokenView }>('ApiTokenPayload').implement({
  description: 'A new API token and its secret. The secret is shown this once: only its hash is stored.',
  fields: (t) => ({
    token: t.exposeString('secret', {
      description: 'The secret (`cgat_…`): send it as `Authorization: Bearer <token>` over HTTP, or as `connectionParams: { authorization: "Bearer <token>" }` over WebSocket.',
    }),
    apiToken: t.field({ type: ApiTokenRef, description: 'The token as apiTokens lists it.', resolve: (p) => p.token }),
  }),
});

builder.queryField('apiTokens', (t) =>
  t.field({
    type: [ApiTokenRef],
    description: "The signed-in person's unrevoked API tokens, newest first (not for API tokens: FORBIDDEN).",
    resolve: (_root, _args, ctx) => ctx.services.apiTokens.list(ctx.viewer),
  }),
);

builder.mutationFields((t) => ({
  createApiToken: t.field({
    type: ApiTokenPayloadRef,
    description:
      'Makes an API token that acts for you. `role`: EDITOR or VIEWER. With `documentId` (a document you own) it reaches that document only; without, every document you are a member of, each with the lower of its role and yours. An API token cannot make tokens (FORBIDDEN, reason API_TOKEN).',
    args: {
      name: t.arg.string({ required: true, description: '1 to 100 characters (trimmed); shown as the author of its edits.' }),
      role: t.arg({ type: RoleEnum, required: true, description: 'EDITOR or VIEWER (BAD_USER_INPUT, reason TOKEN_ROLE, for OWNER).' }),
      documentId: t.arg.id({ description: 'Limit it to this document (you must own it).' }),
    },
    resolve: async (_root, args, ctx) => {
      if (ctx.viewer && !ctx.viewer.token) await ctx.services.rateLimits.consume(['createPerUser', ctx.viewer.userId]);
      return ctx.services.apiTokens.create(ctx.viewer, args.name, args.role, args.documentId == null ? null : String(args.documentId));
    },
  }),
  revokeApiToken: t.boolean({
    description: 'Revokes one of your API tokens: it stops working at once, and its open sockets and streams end on every node. True when it is revoked (also if it already was); NOT_FOUND for a token that is not yours.',
    args: { id: t.arg.id({ required: true, description: 'ApiToken.id.' }) },
    resolve: async (_root, args, ctx) => {
      await ctx.services.apiTokens.revoke(ctx.viewer, String(args.id));
      return true;
    },
  }),
}));
