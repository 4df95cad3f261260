// The outbox of document events, as the rest of the server reads it. Rows
// are written by the database itself, in the transaction of the change they
// report (prisma/migrations/*_document_events: triggers, and collab_append
// for CHANGED), so nothing here writes an event. What happens here:
// stamping (collab_stamp_events gives committed rows their public, gap-free
// `seq` and queues them for webhooks) and reading a viewer's events.
import type { SqlSession } from '../store/database.ts';

export const EVENT_KINDS = ['CREATED', 'CHANGED', 'RENAMED', 'SHARED', 'UNSHARED', 'DELETED', 'COMMENTED', 'SUGGESTED'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface DocumentEventView {
  /** The public position (decimal): ids only grow, and `after` resumes from one. */
  id: string;
  kind: EventKind;
  documentId: string;
  /** CHANGED: the coalesced range of versions; others: the head version at the change. */
  fromVersion: number | null;
  toVersion: number | null;
  at: Date;
  authorId: string | null;
  tokenId: string | null;
  runId: string | null;
}

/** Who reads: a user, and for an API token limited to one document, that document. */
export interface EventReader {
  userId: string;
  documentId: string | null;
}

/** Rows one stamping numbers at most; the next stamping takes the rest. */
const STAMP_BATCH = 1_000;

// seq as text: pg hands BIGINT back as a string and PGlite as a bigint; text is the same on both.
const EVENT_COLUMNS = `e."seq"::text AS "id", e."kind"::text AS "kind", e."documentId", e."fromVersion", e."toVersion",
  e."at" AT TIME ZONE 'UTC' AS "at", e."actorId" AS "authorId", e."tokenId", e."runId"`;

// The reader's events after $1 up to $2: documents it is a member of now,
// or (DELETED, UNSHARED) was one of when it happened; $4 narrows to one document.
const READ = `
  SELECT ${EVENT_COLUMNS}
  FROM "DocumentEvent" e
  WHERE e."seq" > $1::bigint AND e."seq" <= $2::bigint
    AND ($4::text IS NULL OR e."documentId" = $4::text)
    AND ($3::text = ANY (e."audience") OR EXISTS (
      SELECT 1 FROM "DocumentMember" m WHERE m."documentId" = e."documentId" AND m."userId" = $3::text))
  ORDER BY e."seq"`;

export class Outbox {
  private readonly sql: SqlSession;
  constructor(sql: SqlSession) {
    this.sql = sql;
  }

  /** Stamps what is ready; returns the highest seq stamped so far (decimal). */
  async stamp(): Promise<string> {
    const rows = await this.sql.query<{ head: string }>('SELECT "collab_stamp_events"($1)::text AS head', [STAMP_BATCH]);
    return rows[0]?.head ?? '0';
  }

  /** The seq below the oldest event kept (decimal; '0' until events are pruned: event-retention.ts). Resuming below it would skip pruned events. */
  async floor(): Promise<string> {
    const rows = await this.sql.query<{ floor: string | null }>('SELECT (min("seq") - 1)::text AS floor FROM "DocumentEvent" WHERE "seq" IS NOT NULL');
    return rows[0]?.floor ?? '0';
  }

  /** The highest seq stamped (decimal; '0' when none). */
  async head(): Promise<string> {
    const rows = await this.sql.query<{ head: string | null }>('SELECT max("seq")::text AS head FROM "DocumentEvent"');
    return rows[0]?.head ?? '0';
  }

  /**
   * The reader's events with `after < id <= upTo`, oldest first. Every seq
   * up to a stamped one is committed (collab_stamp_events), so this range
   * is complete: a reader that moves on to `upTo` misses nothing.
   */
  async read(reader: EventReader, after: string, upTo: string): Promise<DocumentEventView[]> {
    return this.sql.query<DocumentEventView>(READ, [after, upTo, reader.userId, reader.documentId]);
  }

  /** One event by id, if `reader` may read it (for webhook deliveries: the owner). */
  async one(id: string): Promise<DocumentEventView | null> {
    const rows = await this.sql.query<DocumentEventView>(`SELECT ${EVENT_COLUMNS} FROM "DocumentEvent" e WHERE e."seq" = $1::bigint`, [id]);
    return rows[0] ?? null;
  }
}
