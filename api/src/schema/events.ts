// Change events for backends: the documentEvents subscription over the
// outbox (api/src/events), and webhooks (api/src/webhooks).
import { requireViewer } from '../documents/documents.ts';
import { openEventStream } from '../events/event-stream.ts';
import type { DocumentEventView } from '../events/outbox.ts';
import type { DeliveryView, WebhookView } from '../webhooks/webhooks.ts';
import { ActorRef } from './actor.ts';
import { builder } from './builder.ts';

export const DocumentEventKindEnum = builder.enumType('DocumentEventKind', {
  description: 'What happened to a document.',
  values: {
    CREATED: { description: 'It was created (actor: its creator).' },
    CHANGED: { description: 'Its content changed: ops fromVersion..toVersion, coalesced, at most one event a second per document (another event of the document closes the range early). Never dropped.' },
    RENAMED: { description: 'Its title changed.' },
    SHARED: { description: 'Someone got a role on it, or their role changed.' },
    UNSHARED: { description: 'Someone lost access (the removed person sees this event too, and none after it).' },
    DELETED: { description: 'It was deleted (seen by everyone who was a member).' },
    COMMENTED: { description: 'A comment was written (a new thread or a reply).' },
    SUGGESTED: { description: 'A suggestion was made.' },
  } as const,
});

const DocumentEventRef = builder.objectRef<DocumentEventView>('DocumentEvent').implement({
  description:
    'One change to a document, from the transactional outbox: written in the same transaction as the change, so none is reported that did not happen and none is missed. Ids only grow; resume with documentEvents(after: id).',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Its position: a decimal that only grows. Deduplicate by it; resume after it.' }),
    kind: t.field({ type: DocumentEventKindEnum, description: 'What happened.', resolve: (e) => e.kind }),
    documentId: t.exposeID('documentId', { description: 'The document.' }),
    version: t.int({ nullable: true, description: 'The head version after the change (CHANGED: toVersion).', resolve: (e) => e.toVersion }),
    fromVersion: t.int({ nullable: true, description: 'CHANGED: the first version of the coalesced range (others: as version).', resolve: (e) => e.fromVersion }),
    toVersion: t.int({ nullable: true, description: 'CHANGED: the last version of the range, both included (others: as version).', resolve: (e) => e.toVersion }),
    at: t.expose('at', { type: 'DateTime', description: 'When it happened (CHANGED: its last op).' }),
    actor: t.field({
      type: ActorRef,
      nullable: true,
      description: 'Who did it; null when unknown, or for a CHANGED range written by several people.',
      resolve: (e) => (e.authorId ? e : null),
    }),
  }),
});

builder.subscriptionField('documentEvents', (t) =>
  t.field({
    type: DocumentEventRef,
    description:
      "Events of the viewer's documents (for an API token limited to one document: that one), from any node. With `after` (an id, or \"0\" for all), every event after it in id order, then live ones: no gap, no repeat. Without it, live events only. Access is checked on every read: a document you lose access to stops sending at once (after its UNSHARED or DELETED). A bad or future `after`: BAD_USER_INPUT; one from before the events kept (EVENTS_RETENTION_DAYS): BAD_USER_INPUT, reason EVENTS_PRUNED, with earliestAfter.",
    args: { after: t.arg.id({ description: 'Resume after this DocumentEvent.id.' }) },
    subscribe: (_root, args, ctx) => {
      const viewer = requireViewer(ctx.viewer);
      const { outbox, eventsBus, config } = ctx.services;
      return openEventStream({
        outbox,
        bus: eventsBus,
        reader: { userId: viewer.userId, documentId: viewer.token?.documentId ?? null },
        after: args.after == null ? null : String(args.after),
        pollMs: Math.max(config.fallbackPollMs, 1_000),
      });
    },
    resolve: (event) => event,
  }),
);

// --- webhooks -----------------------------------------------------------------

const WebhookPayloadRef = builder.objectRef<{ id: string; secret: string }>('WebhookPayload').implement({
  description: 'A new webhook and its signing secret, shown this once.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Its id (what deleteWebhook takes; sent as the x-collab-webhook-id header).' }),
    secret: t.exposeString('secret', { description: 'Verify each delivery with it: x-collab-signature = "sha256=" + hex HMAC-SHA256 of "<x-collab-timestamp>.<raw body>" (docs/protocol.md).' }),
  }),
});

const WebhookRef = builder.objectRef<WebhookView>('Webhook').implement({
  description: 'A URL that receives your document events, signed.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Its id.' }),
    url: t.exposeString('url', { description: 'Where deliveries go.' }),
    events: t.field({ type: [DocumentEventKindEnum], description: 'The kinds it receives.', resolve: (w) => w.events }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was made.' }),
  }),
});

const DeliveryStatusEnum = builder.enumType('WebhookDeliveryStatus', {
  description: 'Where a delivery is.',
  values: {
    PENDING: { description: 'Not delivered yet: being sent, or waiting for its retry (nextAttemptAt).' },
    DELIVERED: { description: 'The receiver answered 2xx.' },
    DEAD: { description: 'Dead-lettered after WEBHOOK_MAX_ATTEMPTS failures; the document\'s later events went on.' },
  } as const,
});

const DeliveryRef = builder.objectRef<DeliveryView>('WebhookDelivery').implement({
  description: 'One event sent (or being sent) to one webhook: its line in the delivery log.',
  fields: (t) => ({
    eventId: t.exposeID('eventId', { description: 'The DocumentEvent.id.' }),
    documentId: t.exposeID('documentId', { description: 'The document.' }),
    status: t.field({ type: DeliveryStatusEnum, description: 'PENDING, DELIVERED or DEAD.', resolve: (d) => d.status }),
    attempts: t.exposeInt('attempts', { description: 'Attempts so far.' }),
    nextAttemptAt: t.expose('nextAttemptAt', { type: 'DateTime', description: 'When a PENDING one is tried next.' }),
    lastStatusCode: t.exposeInt('lastStatusCode', { nullable: true, description: "The receiver's last HTTP status (null: no answer)." }),
    lastError: t.exposeString('lastError', { nullable: true, description: 'Why the last attempt failed.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was queued.' }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true, description: 'When the receiver took it.' }),
  }),
});

builder.queryFields((t) => ({
  webhooks: t.field({
    type: [WebhookRef],
    description: 'Your webhooks, newest first (people only: FORBIDDEN for API tokens).',
    resolve: (_root, _args, ctx) => ctx.services.webhooks.list(ctx.viewer),
  }),
  webhookDeliveries: t.field({
    type: [DeliveryRef],
    description: 'The delivery log of one of your webhooks, newest event first.',
    args: {
      webhookId: t.arg.id({ required: true, description: 'Webhook.id.' }),
      first: t.arg.int({ description: '1 to 200. @default 50' }),
    },
    resolve: (_root, args, ctx) => ctx.services.webhooks.deliveries(ctx.viewer, String(args.webhookId), args.first ?? null),
  }),
}));

builder.mutationFields((t) => ({
  createWebhook: t.field({
    type: WebhookPayloadRef,
    description:
      'Sends your documents\' events of these kinds to `url`: POST, JSON body with the event id, signed (HMAC-SHA256, see WebhookPayload.secret), at least once, in order per document, retried with exponential backoff, dead-lettered after WEBHOOK_MAX_ATTEMPTS. Loopback and private addresses are refused (BAD_USER_INPUT, reason PRIVATE_URL) unless the server allows them (WEBHOOK_ALLOW_PRIVATE_URLS). People only: FORBIDDEN for API tokens.',
    args: {
      url: t.arg.string({ required: true, description: 'An absolute http(s) URL, at most 2048 characters.' }),
      events: t.arg({ type: [DocumentEventKindEnum], required: true, description: 'At least one kind.' }),
    },
    resolve: async (_root, args, ctx) => {
      if (ctx.viewer && !ctx.viewer.token) await ctx.services.rateLimits.consume(['createPerUser', ctx.viewer.userId]);
      return ctx.services.webhooks.create(ctx.viewer, args.url, args.events);
    },
  }),
  deleteWebhook: t.boolean({
    description: 'Deletes one of your webhooks with its queue and log: nothing more is sent. NOT_FOUND for one that is not yours.',
    args: { id: t.arg.id({ required: true, description: 'Webhook.id.' }) },
    resolve: async (_root, args, ctx) => {
      await ctx.services.webhooks.delete(ctx.viewer, String(args.id));
      return true;
    },
  }),
}));

