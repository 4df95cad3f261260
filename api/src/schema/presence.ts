// Ephemeral cursors and selections.
import type { PresenceState } from '../collab/presence.js';
import { presenceTopic } from '../pubsub/channels.js';
import { startWith } from '../collab/subscription-queue.js';
import { builder } from './builder.js';
import { guardedStream, unlessAccessLost } from './stream-guard.js';
import { UserRef } from './users.js';

export const PresenceRef = builder.objectRef<PresenceState>('Presence').implement({
  description: 'A selection at `version`; transform it to your own version before showing it.',
  fields: (t) => ({
    clientId: t.exposeString('clientId'),
    user: t.field({ type: UserRef, nullable: true, resolve: (p, _a, ctx) => (p.userId ? ctx.services.accounts.user(p.userId) : null) }),
    version: t.exposeInt('version'),
    index: t.exposeInt('index'),
    length: t.exposeInt('length'),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

builder.mutationField('updatePresence', (t) =>
  t.boolean({
    args: {
      documentId: t.arg.id({ required: true }),
      version: t.arg.int({ required: true }),
      index: t.arg.int({ required: true }),
      length: t.arg.int({ required: true }),
      clientId: t.arg.string({ description: 'Defaults to one id per session; send your op clientId to tell tabs apart.' }),
    },
    resolve: async (_root, args, ctx) => {
      const documentId = String(args.documentId);
      const clientId = args.clientId ?? `session-${ctx.viewer?.sessionId ?? 'anonymous'}`;
      await ctx.services.documents.updatePresence(ctx.viewer, { documentId, clientId, version: args.version, index: args.index, length: args.length });
      return true;
    },
  }),
);

builder.subscriptionField('documentPresence', (t) =>
  t.field({
    type: PresenceRef,
    description: 'Who is here: first the current presences, then every update.',
    args: { documentId: t.arg.id({ required: true }) },
    subscribe: async (_root, args, ctx) => {
      const documentId = String(args.documentId);
      const { documents, presenceBus, presence } = ctx.services;
      // Ends with NOT_FOUND as soon as the viewer loses access (stream-guard.ts).
      return guardedStream(ctx, documentId, async () => {
        await documents.access(ctx.viewer, documentId, 'VIEWER');
        const live = await presenceBus.subscribe(presenceTopic(documentId));
        return startWith(await presence.list(documentId), live);
      });
    },
    resolve: (event) => unlessAccessLost(event),
  }),
);
