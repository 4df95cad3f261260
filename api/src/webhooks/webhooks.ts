// Webhooks: createWebhook (the secret shown once), deleteWebhook, and the
// owner's view of them and of their delivery log. Only people make them:
// a webhook receives every event its owner may read for as long as it
// exists, wider and longer-lived than an API token limited to one document
// or revoked tomorrow, so a token may not make one (FORBIDDEN, API_TOKEN).
import { randomBytes } from 'node:crypto';
import { requirePerson, type TokenOwner } from '../auth/api-tokens.ts';
import { badInput, notFound } from '../errors.ts';
import { EVENT_KINDS, type EventKind } from '../events/outbox.ts';
import type { PrismaClient } from '../store/generated/client.ts';
import { checkWebhookUrl, type UrlPolicy } from './webhook-url.ts';

/** Webhooks one person may have. */
export const MAX_WEBHOOKS_PER_USER = 20;
const MAX_LOG_PAGE = 200;

export interface WebhookView {
  id: string;
  url: string;
  events: EventKind[];
  createdAt: Date;
}

export interface DeliveryView {
  eventId: string;
  documentId: string;
  status: 'PENDING' | 'DELIVERED' | 'DEAD';
  attempts: number;
  nextAttemptAt: Date;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

const VIEW = { id: true, url: true, events: true, createdAt: true } as const;

export class Webhooks {
  private readonly prisma: PrismaClient;
  private readonly policy: UrlPolicy;
  constructor(prisma: PrismaClient, policy: UrlPolicy) {
    this.prisma = prisma;
    this.policy = policy;
  }

  async create(owner: TokenOwner | null, urlInput: string, eventsInput: readonly string[]): Promise<{ id: string; secret: string }> {
    const { userId } = requirePerson(owner, 'create webhooks');
    const events = [...new Set(eventsInput)];
    if (events.length === 0) throw badInput('events must name at least one DocumentEventKind', { field: 'events' });
    if (!events.every((e): e is EventKind => (EVENT_KINDS as readonly string[]).includes(e))) throw badInput('events must be DocumentEventKind values', { field: 'events' });
    const url = await checkWebhookUrl(urlInput, this.policy);
    const count = await this.prisma.webhook.count({ where: { userId } });
    if (count >= MAX_WEBHOOKS_PER_USER) throw badInput(`At most ${MAX_WEBHOOKS_PER_USER} webhooks; delete one first`, { limit: 'webhooks', max: MAX_WEBHOOKS_PER_USER });
    const secret = 'whsec_' + randomBytes(32).toString('base64url');
    const row = await this.prisma.webhook.create({ data: { userId, url, events, secret }, select: { id: true } });
    return { id: row.id, secret };
  }

  /** Deletes one of the person's webhooks, with its queue and log; NOT_FOUND for anyone else's. */
  async delete(owner: TokenOwner | null, id: string): Promise<void> {
    const { userId } = requirePerson(owner, 'delete webhooks');
    const { count } = await this.prisma.webhook.deleteMany({ where: { id, userId } });
    if (count === 0) throw notFound('Webhook');
  }

  async list(owner: TokenOwner | null): Promise<WebhookView[]> {
    const { userId } = requirePerson(owner, 'list webhooks');
    return this.prisma.webhook.findMany({ where: { userId }, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], select: VIEW });
  }

  /** The delivery log of one of the person's webhooks, newest event first. */
  async deliveries(owner: TokenOwner | null, webhookId: string, first: number | null): Promise<DeliveryView[]> {
    const { userId } = requirePerson(owner, 'read webhook deliveries');
    const limit = first ?? 50;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LOG_PAGE) throw badInput(`first must be 1 to ${MAX_LOG_PAGE}`, { field: 'first' });
    const hook = await this.prisma.webhook.findFirst({ where: { id: webhookId, userId }, select: { id: true } });
    if (!hook) throw notFound('Webhook');
    const rows = await this.prisma.webhookDelivery.findMany({ where: { webhookId }, orderBy: { eventSeq: 'desc' }, take: limit });
    return rows.map(({ eventSeq, documentId, status, attempts, nextAttemptAt, lastStatusCode, lastError, createdAt, deliveredAt }) => ({
      eventId: eventSeq.toString(),
      documentId,
      status,
      attempts,
      nextAttemptAt,
      lastStatusCode,
      lastError,
      createdAt,
      deliveredAt,
    }));
  }
}
