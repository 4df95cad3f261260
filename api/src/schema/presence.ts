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
    clientId: t.exposeString('clientId', { description: 'Whose selection: one entry per clientId (a newer update replaces the older one).' }),
    user: t.field({
      type: UserRef,
      nullable: true,
      description: 'The account behind it; null if it no longer exists.',
      resolve: (p, _a, ctx) => (p.userId ? ctx.services.accounts.user(p.userId) : null),
    }),
    version: t.exposeInt('version', { description: 'The document version that `index` and `length` refer to.' }),
    index: t.exposeInt('index', { description: 'Where the selection starts (the caret when `length` is 0), in Quill units at `version`.' }),
    length: t.exposeInt('length', { description: 'How many characters are selected (0 = a caret).' }),
    updatedAt: t.expose('updatedAt', {
      type: 'DateTime',
      description: 'When it was sent. It expires after the presence TTL (30 s by default) without an update; no event says so.',
    }),
  }),
});

builder.mutationField('updatePresence', (t) =>
  t.boolean({
    description: 'Shares your caret or selection with everyone on the document (any role). Ephemeral: never in the log. Send it again within the presence TTL to stay visible.',
    args: {
      documentId: t.arg.id({ required: true, description: 'The document you are in.' }),
      version: t.arg.int({ required: true, description: 'The version your index and length refer to (your current version; not ahead of the head).' }),
      index: t.arg.int({ required: true, description: 'Where the selection starts (>= 0).' }),
      length: t.arg.int({ required: true, description: 'How many characters are selected (>= 0; 0 = a caret).' }),
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
    description: 'Who is here: first the current presences, then every update. Expiry sends nothing: drop entries not updated within the presence TTL.',
    args: { documentId: t.arg.id({ required: true, description: 'The document to watch (any role).' }) },
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
