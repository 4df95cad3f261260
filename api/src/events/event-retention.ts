// Events are kept for EVENTS_RETENTION_DAYS, then pruned: the outbox is how
// backends learn of changes, not the record (the op log is), and without a
// limit it grows by a row per change for ever; delivered and dead-lettered
// webhook deliveries likewise.
//
// Only a prefix of the stamped events goes (seq <= some bound), so the
// events left are still every seq above the lowest one: a reader resuming
// at or above that point misses nothing, and one resuming below it learns
// that events were pruned (EVENTS_PRUNED) instead of silently skipping them.
// Never pruned: the newest event (stamping numbers from max(seq) + 1, so ids
// would repeat), and any event a pending webhook delivery still has to send,
// nor anything after it.
import type { SqlSession } from '../store/database.ts';

/** Rows one DELETE statement removes at most (short statements, short locks). */
const BATCH = 5_000;

// The highest seq that may go: below the first event newer than the cutoff,
// below the newest event, below the first one a pending delivery needs.
const BOUND = `
  SELECT (least(
    coalesce((SELECT min("seq") FROM "DocumentEvent" WHERE "seq" IS NOT NULL AND "at" >= $1::timestamp), (SELECT max("seq") FROM "DocumentEvent")),
    (SELECT max("seq") FROM "DocumentEvent"),
    coalesce((SELECT min("eventSeq") FROM "WebhookDelivery" WHERE "status" = 'PENDING'), (SELECT max("seq") FROM "DocumentEvent"))
  ) - 1)::text AS "bound"`;

const PRUNE_EVENTS = `
  DELETE FROM "DocumentEvent" WHERE "id" IN (
    SELECT "id" FROM "DocumentEvent" WHERE "seq" <= $1::bigint ORDER BY "seq" LIMIT ${BATCH})`;

const PRUNE_DELIVERIES = `
  DELETE FROM "WebhookDelivery" WHERE "id" IN (
    SELECT "id" FROM "WebhookDelivery"
    WHERE "status" <> 'PENDING' AND coalesce("deliveredAt", "nextAttemptAt", "createdAt") < $1::timestamp
    LIMIT ${BATCH})`;

export interface EventRetentionOptions {
  sql: SqlSession;
  days: number;
  now?: () => Date;
}

export class EventRetention {
  private readonly options: EventRetentionOptions;
  constructor(options: EventRetentionOptions) {
    this.options = options;
  }

  /** One pass: prunes events and finished deliveries older than the retention. Returns how many of each went. */
  async runOnce(): Promise<{ events: number; deliveries: number }> {
    const { sql, days } = this.options;
    // Timestamps are stored as UTC without a zone: compare in the same terms.
    const cutoff = new Date((this.options.now?.() ?? new Date()).getTime() - days * 86_400_000).toISOString().replace('Z', '');
    let deliveries = 0;
    for (let n = BATCH; n === BATCH; deliveries += n) n = await count(sql, PRUNE_DELIVERIES, [cutoff]);
    const [row] = await sql.query<{ bound: string | null }>(BOUND, [cutoff]);
    let events = 0;
    if (row?.bound != null && BigInt(row.bound) > 0n) {
      for (let n = BATCH; n === BATCH; events += n) n = await count(sql, PRUNE_EVENTS, [String(row.bound)]);
    }
    return { events, deliveries };
  }
}

async function count(sql: SqlSession, statement: string, params: unknown[]): Promise<number> {
  const rows = await sql.query<{ n: number }>(`WITH gone AS (${statement} RETURNING 1) SELECT count(*)::int AS n FROM gone`, params);
  return rows[0]?.n ?? 0;
}
