// Suggestions (tracked changes): Document.suggestions, suggest,
// acceptSuggestion, rejectSuggestion and documentSuggestions. Every path
// checks the role in api/src/suggestions/suggestions.ts: COMMENTER and above
// suggest and read; EDITOR and above accept and reject (a suggester may
// withdraw their own); a VIEWER gets FORBIDDEN, a stranger NOT_FOUND.
import { opsBytes } from '../collab/content-bytes.ts';
import { checkClientChosenId } from '../documents/server-client-ids.ts';
import { suggestionsTopic } from '../pubsub/channels.ts';
import type { SuggestionView } from '../suggestions/suggestions.ts';
import { builder, type Context } from './builder.ts';
import { DocumentRef } from './documents.ts';
import { limitSubmissions, OperationRef } from './operations.ts';
import { chargeResponse } from './response-budget.ts';
import { busStream, unlessAccessLost } from './stream-guard.ts';
import { knowUsers, selects, userById } from './known-users.ts';
import { UserRef } from './users.ts';

export const SuggestionStatusEnum = builder.enumType('SuggestionStatus', {
  description: 'Where a suggestion stands.',
  values: {
    OPEN: { description: 'Waiting for an editor; moved to the head on every read.' },
    ACCEPTED: { description: 'Committed as an op (acceptedVersion).' },
    REJECTED: { description: 'Rejected by an editor, or withdrawn by its author.' },
    OUTDATED: {
      description: 'Its text is gone: others deleted every character it deletes, or every character it formats (docs/protocol.md, "Suggestions"). It cannot be accepted.',
    },
  } as const,
});

export const SuggestionRef = builder.objectRef<SuggestionView>('Suggestion').implement({
  description: 'A proposed change kept off the log until an editor accepts it (docs/protocol.md, "Suggestions").',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable id of the suggestion.' }),
    author: t.field({
      type: UserRef,
      nullable: true,
      description: 'Who suggested it (the accepted op\'s author is whoever accepted it); null if that account no longer exists.',
      resolve: (s, _a, ctx) => (s.authorId ? userById(ctx, s.authorId) : null),
    }),
    status: t.field({ type: SuggestionStatusEnum, description: 'OPEN, ACCEPTED, REJECTED or OUTDATED.', resolve: (s) => s.status }),
    version: t.exposeInt('version', {
      description:
        'The version `delta` applies to: the head when read, for an OPEN suggestion; for an ACCEPTED one the version before its op; for REJECTED and OUTDATED ones where it was when settled.',
    }),
    delta: t.field({
      type: 'Delta',
      description: 'The change, moved over every op after it was made by the rebase rule (the committed op first). Counts its size against the response budget (MAX_RESPONSE_BYTES).',
      resolve: (s, _a, ctx, info) => {
        chargeResponse(ctx, info, opsBytes(s.delta.ops));
        return s.delta;
      },
    }),
    acceptedVersion: t.exposeInt('acceptedVersion', { nullable: true, description: 'The version of the op that committed it, once ACCEPTED.' }),
    acceptedBy: t.field({
      type: UserRef,
      nullable: true,
      description: 'Who accepted it (the author of that op), once ACCEPTED.',
      resolve: (s, _a, ctx) => (s.acceptedById ? userById(ctx, s.acceptedById) : null),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was suggested.' }),
  }),
});

const SuggestInput = builder.inputType('SuggestInput', {
  description: 'A suggested change: checked like submitOperation\'s input, but kept off the log.',
  fields: (t) => ({
    documentId: t.id({ required: true, description: 'The document.' }),
    baseVersion: t.int({ required: true, description: 'The version the delta applies to (0 to the head).' }),
    delta: t.field({ type: 'Delta', required: true, description: 'The change; it must apply to the content at baseVersion and change something.' }),
    clientId: t.string({ required: true, description: 'Your idempotency key, with clientSeq (as for submitOperation).' }),
    clientSeq: t.int({ required: true, description: 'Suggesting the same (clientId, clientSeq) again with the same baseVersion and delta returns the first suggestion; anything else is IDEMPOTENCY_KEY_REUSED.' }),
  }),
});

builder.objectField(DocumentRef, 'suggestions', (t) =>
  t.field({
    type: [SuggestionRef],
    description: 'Its suggestions, oldest first, the open ones moved to the head (COMMENTER and above; a VIEWER gets FORBIDDEN).',
    args: { status: t.arg({ type: SuggestionStatusEnum, description: 'Only suggestions with this status; all when omitted.' }) },
    resolve: async (doc, args, ctx, info) => {
      const suggestions = await ctx.services.suggestions.list(ctx.viewer, doc.id, args.status ?? null);
      const ids = [
        ...(selects(info, ['author']) ? suggestions.map((s) => s.authorId) : []),
        ...(selects(info, ['acceptedBy']) ? suggestions.map((s) => s.acceptedById) : []),
      ];
      if (ids.length > 0) await knowUsers(ctx, info, ids);
      return suggestions;
    },
  }),
);

/** Suggesting and rejecting share the comment writes' budget per user (RATE_LIMIT_COMMENT_PER_USER_RATE / _BURST). */
async function limitSuggestions(ctx: Context): Promise<void> {
  if (ctx.viewer) await ctx.services.rateLimits.consume(['commentPerUser', ctx.viewer.userId]);
}

builder.mutationFields((t) => ({
  suggest: t.field({
    type: SuggestionRef,
    description:
      'Suggests a change (COMMENTER and above) without applying it. A delta that does not apply at baseVersion, changes nothing, breaks the delta policy, or a baseVersion ahead of the head: BAD_USER_INPUT.',
    args: { input: t.arg({ type: SuggestInput, required: true, description: 'The change and its idempotency key.' }) },
    resolve: async (_root, { input }, ctx) => {
      await limitSuggestions(ctx);
      checkClientChosenId(input.clientId);
      return ctx.services.suggestions.suggest(ctx.viewer, { ...input, documentId: String(input.documentId) });
    },
  }),
  acceptSuggestion: t.field({
    type: OperationRef,
    description:
      'Commits the suggestion, moved to the head, as a forward op written by you (EDITOR and above). Accepting an ACCEPTED one returns its op; two people accepting at once commit it once. REJECTED: BAD_USER_INPUT with reason SUGGESTION_CLOSED; OUTDATED: reason SUGGESTION_OUTDATED.',
    args: { suggestionId: t.arg.id({ required: true, description: 'The suggestion.' }) },
    resolve: async (_root, args, ctx) => {
      await limitSubmissions(ctx);
      return ctx.services.suggestions.accept(ctx.viewer, String(args.suggestionId));
    },
  }),
  rejectSuggestion: t.field({
    type: SuggestionRef,
    description:
      'Marks the suggestion REJECTED (EDITOR and above, or its author withdrawing it). Rejecting a rejected one changes nothing; an ACCEPTED one: BAD_USER_INPUT with reason SUGGESTION_CLOSED.',
    args: { suggestionId: t.arg.id({ required: true, description: 'The suggestion.' }) },
    resolve: async (_root, args, ctx) => {
      await limitSuggestions(ctx);
      return ctx.services.suggestions.reject(ctx.viewer, String(args.suggestionId));
    },
  }),
}));

builder.subscriptionField('documentSuggestions', (t) =>
  t.field({
    type: SuggestionRef,
    description:
      'A suggestion each time one is made or settled (accepted, rejected, found OUTDATED), from any node. Open suggestions are not re-sent for every op: move them over documentOperations like a pending op (docs/protocol.md, "Suggestions"). Live only: subscribe first, then read Document.suggestions. COMMENTER and above; ends with FORBIDDEN on a demotion below COMMENTER and NOT_FOUND on losing access.',
    args: { documentId: t.arg.id({ required: true, description: 'The document to watch.' }) },
    subscribe: (_root, args, ctx) => {
      const documentId = String(args.documentId);
      return busStream(ctx, documentId, 'COMMENTER', () => ctx.services.suggestionsBus.subscribe(suggestionsTopic(documentId)));
    },
    resolve: (event) => unlessAccessLost(event),
  }),
);
