// Ephemeral cursors and selections.
import { rateSubject } from '../limits/rate-subject.ts';
import { createHash } from 'node:crypto';
import type { PresenceBatch } from '../collab/presence-batches.ts';
import type { PresenceState } from '../collab/presence.ts';
import { presenceTopic } from '../pubsub/channels.ts';
import { startWith } from '../collab/subscription-queue.ts';
import type { BusSubscription } from '../collab/types.ts';
import { builder, type Context } from './builder.ts';
import { guardedStream, unlessAccessLost } from './stream-guard.ts';
import { UserRef } from './users.ts';

export const PresenceRef = builder.objectRef<PresenceState>('Presence').implement({
  description: 'A selection at `version`; transform it to your own version before showing it.',
  fields: (t) => ({
    clientId: t.exposeString('clientId', {
      description: 'Which client of `user`: one entry per (user, clientId); a newer update replaces the older one. Another user with the same clientId is another entry.',
    }),
    user: t.field({
      type: UserRef,
      nullable: true,
      description: 'The account behind it; null if it no longer exists. A rename or a deletion shows here within 10 s.',
      // Every batch to every watcher names its users: from the node's recent memory (accounts.ts, recentUser).
      resolve: (p, _a, ctx) => (p.userId ? ctx.services.accounts.recentUser(p.userId) : null),
    }),
    version: t.exposeInt('version', { description: 'The document version that `index` and `length` refer to.' }),
    index: t.exposeInt('index', { description: 'Where the selection starts (the caret when `length` is 0), in Quill units at `version`.' }),
    length: t.exposeInt('length', { description: 'How many characters are selected (0 = a caret).' }),
    updatedAt: t.expose('updatedAt', {
      type: 'DateTime',
      description: 'When it was sent (on a leave: when it left). It expires after the presence TTL (30 s by default) without an update.',
    }),
    left: t.boolean({
      description:
        'True on the last event of an entry: that client has gone (the socket it sent its presence over closed, or it was not refreshed within the presence TTL). Drop the entry of (user, clientId); version, index and length are its last ones. Always false in Document.presence.',
      resolve: (p) => p.left === true,
    }),
  }),
});

builder.mutationField('updatePresence', (t) =>
  t.boolean({
    description:
      'Shares your caret or selection with everyone on the document (any role). Ephemeral: never in the log. Send it again within the presence TTL to stay visible. Sent over the WebSocket, it also ends (a leave event) when that socket closes. Updates of one client closer together than 50 ms are coalesced (the latest wins); beyond the per-user budget: RATE_LIMITED.',
    args: {
      documentId: t.arg.id({ required: true, description: 'The document you are in.' }),
      version: t.arg.int({ required: true, description: 'The version your index and length refer to (your current version; not ahead of the head).' }),
      index: t.arg.int({ required: true, description: 'Where the selection starts (>= 0).' }),
      length: t.arg.int({ required: true, description: 'How many characters are selected (>= 0; 0 = a caret).' }),
      clientId: t.arg.string({ description: 'Defaults to one id per session; send your op clientId to tell tabs apart.' }),
    },
    resolve: async (_root, args, ctx) => {
      const documentId = String(args.documentId);
      // Others see this id: a digest, not the session id itself.
      const clientId = args.clientId ?? `session-${ctx.viewer ? createHash('sha256').update(ctx.viewer.sessionId).digest('hex').slice(0, 16) : 'anonymous'}`;
      if (ctx.viewer) await ctx.services.rateLimits.consume(['presencePerUser', rateSubject(ctx.viewer)]);
      await ctx.services.documents.updatePresence(ctx.viewer, { documentId, clientId, version: args.version, index: args.index, length: args.length }, ctx.connection ?? undefined);
      return true;
    },
  }),
);

/**
 * A presence stream of `documentId` for the viewer: `subscribe` opens the
 * live part, then `initial` turns the current presences into its first
 * events. Ends with NOT_FOUND as soon as the viewer loses access
 * (stream-guard.ts).
 */
function presenceStream<T>(
  ctx: Context,
  documentId: string,
  subscribe: () => Promise<BusSubscription<T>>,
  initial: (current: PresenceState[]) => T[],
) {
  const { documents, presence } = ctx.services;
  return guardedStream(ctx, documentId, async () => {
    await documents.access(ctx.viewer, documentId, 'VIEWER');
    const live = await subscribe();
    // While it is watched, this node announces the entries that expire there (whoever set them).
    const unwatch = presence.watch(documentId);
    const close = live.close.bind(live);
    live.close = () => {
      unwatch();
      close();
    };
    try {
      return startWith(initial(await presence.list(documentId)), live);
    } catch (error) {
      live.close();
      throw error;
    }
  });
}

builder.subscriptionField('documentPresence', (t) =>
  t.field({
    type: PresenceRef,
    description:
      'Who is here: first the current presences, then every update and every leave (`left: true`: its socket closed or it expired). Entries are per (user, clientId).',
    args: { documentId: t.arg.id({ required: true, description: 'The document to watch (any role).' }) },
    subscribe: async (_root, args, ctx) => {
      const documentId = String(args.documentId);
      return presenceStream(ctx, documentId, () => ctx.services.presenceBus.subscribe(presenceTopic(documentId)), (current) => current);
    },
    resolve: (event) => unlessAccessLost(event),
  }),
);

builder.subscriptionField('documentPresenceBatches', (t) =>
  t.field({
    type: [PresenceRef],
    description:
      'documentPresence for a crowd: first the current presences in one batch, then batches of what changed, at most one per 50 ms, holding only the latest event of each (user, clientId) in that time (a leave included). Every watcher of the document gets the same batches: with many people moving, this is what to use.',
    args: { documentId: t.arg.id({ required: true, description: 'The document to watch (any role).' }) },
    subscribe: async (_root, args, ctx) => {
      const documentId = String(args.documentId);
      const first = (entries: PresenceState[]): PresenceBatch[] => [{ documentId, batchId: null, entries }];
      return presenceStream(ctx, documentId, () => ctx.services.presenceBatches.watch(documentId), first);
    },
    resolve: (batch) => unlessAccessLost(batch).entries,
  }),
);
