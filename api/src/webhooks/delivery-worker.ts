// Sends queued webhook deliveries. Runs on every node; nodes share the work
// through the database, not through each other:
// - A claim is a lease: `leaseUntil` set in its own committed statement
//   (FOR UPDATE SKIP LOCKED, so two nodes never take the same row at once).
//   A node killed mid-delivery leaves a lease that simply lapses, and any
//   node takes the row again: at least once, never lost.
// - Only the oldest PENDING delivery of a (webhook, document) may be
//   claimed, so a document's events reach a webhook in order, each after
//   the one before was delivered or dead-lettered.
// - A failure (no answer in time, a non-2xx status, a refused address) is
//   retried after an exponential backoff with jitter; after `maxAttempts`
//   the delivery is DEAD (dead-lettered: kept in the log, and the document's
//   later events go on).
import type { Bus } from '../collab/types.ts';
import { EVENTS_TOPIC, type EventsStamped } from '../events/event-pump.ts';
import type { SqlSession } from '../store/database.ts';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, sign, TIMESTAMP_HEADER, WEBHOOK_ID_HEADER } from './signature.ts';
import { postWebhook } from './post-webhook.ts';
import { parseWebhookUrl, type UrlPolicy } from './webhook-url.ts';

export interface DeliveryWorkerOptions {
  sql: SqlSession;
  bus: Bus<EventsStamped>;
  /** WEBHOOK_ALLOW_PRIVATE_URLS. */
  allowPrivate: boolean;
  /** Resolves receivers' host names (tests pass their own). @default dns.lookup, all addresses */
  resolve?: UrlPolicy['resolve'];
  /** Attempts before a delivery is dead-lettered (WEBHOOK_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** First retry delay, doubled per attempt (WEBHOOK_BACKOFF_MS), milliseconds; capped by `backoffMaxMs`. */
  backoffMs: number;
  backoffMaxMs: number;
  /** How long a receiver has to answer (WEBHOOK_TIMEOUT_MS), milliseconds. */
  timeoutMs: number;
  /** How long a claim lasts (WEBHOOK_LEASE_MS), milliseconds: longer than timeoutMs. */
  leaseMs: number;
  /** How often to look for due retries without a wake-up (WEBHOOK_POLL_MS), milliseconds. */
  pollMs: number;
  onError: (error: unknown) => void;
}

/** Deliveries one claim takes (each a different webhook or document). */
const CLAIM_BATCH = 20;
/** Characters of an error kept in the log. */
const MAX_ERROR = 300;

// The claimable: PENDING, due, not leased (or its lease lapsed), and the
// oldest PENDING of its (webhook, document). Returns what a request needs.
const CLAIM = `
  WITH picked AS (
    SELECT c."id" FROM "WebhookDelivery" c
    WHERE c."status" = 'PENDING' AND c."nextAttemptAt" <= (now() AT TIME ZONE 'UTC')
      AND (c."leaseUntil" IS NULL OR c."leaseUntil" < (now() AT TIME ZONE 'UTC'))
      AND NOT EXISTS (
        SELECT 1 FROM "WebhookDelivery" p
        WHERE p."webhookId" = c."webhookId" AND p."documentId" = c."documentId" AND p."status" = 'PENDING' AND p."eventSeq" < c."eventSeq")
    ORDER BY c."eventSeq"
    LIMIT $1
    FOR UPDATE SKIP LOCKED
  ), claimed AS (
    UPDATE "WebhookDelivery" d
    SET "leaseUntil" = (now() AT TIME ZONE 'UTC') + ($2::int * INTERVAL '1 millisecond'), "attempts" = d."attempts" + 1
    FROM picked WHERE d."id" = picked."id"
    RETURNING d."id", d."webhookId", d."eventSeq", d."attempts", d."leaseUntil"
  )
  SELECT c."id"::text AS "id", c."attempts", c."leaseUntil"::text AS "lease", w."id" AS "webhookId", w."url", w."secret",
         e."seq"::text AS "eventId", e."kind"::text AS "kind", e."documentId", e."fromVersion", e."toVersion",
         e."at" AT TIME ZONE 'UTC' AS "at", e."actorId", e."tokenId", e."runId"
  FROM claimed c JOIN "Webhook" w ON w."id" = c."webhookId" JOIN "DocumentEvent" e ON e."seq" = c."eventSeq"`;

// Settling is guarded by the lease it was claimed with: a node that took
// too long (its lease lapsed and another node took the row) changes nothing.
const DELIVERED = `
  UPDATE "WebhookDelivery" SET "status" = 'DELIVERED', "deliveredAt" = (now() AT TIME ZONE 'UTC'), "leaseUntil" = NULL,
    "lastStatusCode" = $3, "lastError" = NULL
  WHERE "id" = $1::bigint AND "leaseUntil"::text = $2`;
const FAILED = `
  UPDATE "WebhookDelivery" SET "status" = CASE WHEN "attempts" >= $5 THEN 'DEAD'::"WebhookDeliveryStatus" ELSE 'PENDING'::"WebhookDeliveryStatus" END,
    "nextAttemptAt" = (now() AT TIME ZONE 'UTC') + ($6::int * INTERVAL '1 millisecond'), "leaseUntil" = NULL,
    "lastStatusCode" = $3, "lastError" = $4
  WHERE "id" = $1::bigint AND "leaseUntil"::text = $2`;

interface Claimed {
  id: string;
  attempts: number;
  lease: string;
  webhookId: string;
  url: string;
  secret: string;
  eventId: string;
  kind: string;
  documentId: string;
  fromVersion: number | null;
  toVersion: number | null;
  at: Date;
  actorId: string | null;
  tokenId: string | null;
  runId: string | null;
}

/** The JSON a receiver gets (docs/protocol.md, "Events and webhooks"). */
export function deliveryBody(c: Claimed): string {
  return JSON.stringify({
    id: c.eventId,
    webhookId: c.webhookId,
    kind: c.kind,
    documentId: c.documentId,
    version: c.toVersion,
    fromVersion: c.fromVersion,
    toVersion: c.toVersion,
    at: c.at.toISOString(),
    actor: c.actorId ? { kind: c.tokenId ? 'TOKEN' : 'PERSON', userId: c.actorId, tokenId: c.tokenId, runId: c.runId } : null,
  });
}

export class DeliveryWorker {
  private readonly options: DeliveryWorkerOptions;
  private stopped = false;
  private wake: () => void = () => {};
  private loop: Promise<void> | undefined;
  private closeBus: (() => void) | undefined;

  constructor(options: DeliveryWorkerOptions) {
    this.options = options;
  }

  async start(): Promise<void> {
    const live = await this.options.bus.subscribe(EVENTS_TOPIC);
    this.closeBus = () => live.close();
    void (async () => {
      for await (const _ of live) this.wake();
    })().catch(this.options.onError);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    this.closeBus?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let claimed: Claimed[] = [];
      try {
        claimed = await this.options.sql.query<Claimed>(CLAIM, [CLAIM_BATCH, this.options.leaseMs]);
        await Promise.all(claimed.map((c) => this.deliver(c)));
      } catch (error) {
        this.options.onError(error);
      }
      if (claimed.length > 0) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.pollMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = () => {};
    }
  }

  private async deliver(c: Claimed): Promise<void> {
    const { sql, timeoutMs } = this.options;
    const body = deliveryBody(c);
    const timestamp = Math.floor(Date.now() / 1000);
    let status: number | null = null;
    let error: string | null = null;
    try {
      // Checked again at delivery, by the connection's own lookup (post-webhook.ts): the host may resolve elsewhere now.
      const policy = { allowPrivate: this.options.allowPrivate, resolve: this.options.resolve };
      status = await postWebhook({
        url: parseWebhookUrl(c.url, policy),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'collab-webhooks/1',
          [SIGNATURE_HEADER]: sign(c.secret, timestamp, body),
          [TIMESTAMP_HEADER]: String(timestamp),
          [EVENT_ID_HEADER]: c.eventId,
          [WEBHOOK_ID_HEADER]: c.webhookId,
        },
        body,
        timeoutMs,
        policy,
      });
      if (status >= 200 && status < 300) {
        await sql.query(DELIVERED, [c.id, c.lease, status]);
        return;
      }
      error = `HTTP ${status}`;
    } catch (err) {
      error = err instanceof Error ? `${err.name}: ${err.message}` : 'delivery failed';
    }
    await sql.query(FAILED, [c.id, c.lease, status, error.slice(0, MAX_ERROR), this.options.maxAttempts, this.backoff(c.attempts)]);
  }

  /** Milliseconds before attempt `attempts + 1`: base x 2^(attempts-1), capped, with "equal jitter" (half fixed, half random). */
  private backoff(attempts: number): number {
    const { backoffMs, backoffMaxMs } = this.options;
    const full = Math.min(backoffMaxMs, backoffMs * 2 ** Math.min(30, attempts - 1));
    return Math.round(full / 2 + Math.random() * (full / 2));
  }
}
