// Log retention: drops ops older than N days that lie at or below a
// snapshot (LOG_RETENTION_DAYS; unset = keep everything). Each node runs a
// pass now and then; passes on several nodes at once are safe:
//
// - One transaction per document, under a transaction advisory lock on it
//   (so two nodes' cuts of one document, and a cut and nameVersion, take
//   turns). Appends take no part in it: they write above the head, far from
//   the cut, and the Document row is updated last, so a commit waits at most
//   for this transaction's last statement and COMMIT.
// - The cut C is always a version with a committed snapshot (its row read
//   inside the transaction), so the content at C, and every version after,
//   stays reconstructable. The floor only moves up (`logFloor < C` guard).
// - What still refers to an old version holds the cut back: a comment
//   anchor (moved from anchorVersion on read) and an open suggestion (moved
//   from its version). Such records hold retention back until they are read
//   (which writes them forward) or settled.
// - Named versions stay readable: before their ops go, each named version
//   at or below C without a snapshot gets one (its content, computed from
//   the snapshot below it and the ops still there). Snapshots below C that
//   no name needs are dropped with the ops: they are what takes the room.
// - Idempotency after the cut: a client's highest clientSeq below the cut is
//   kept in DroppedClient (one row per client, not per op), so a client that
//   comes back with an op from before the cut learns whether it was
//   committed (collab/retention.ts).
import { storedDocumentUtf8 } from '../../../protocol/chunked-document.ts';
import { Delta, type DeltaOp } from '../../../protocol/delta.ts';
import { composeAll, storedContent } from '../collab/document-head.ts';
import { decodeBody, encodeBody } from './snapshot-body.ts';
import { MAX_VERSION } from '../collab/types.ts';
import type { SqlRunner, SqlSession } from './database.ts';

/** First key of the two-key advisory lock (the second is the document's hash); the migrations use 72707369. */
const RETENTION_LOCK = 72707370;
/** Documents cut per pass: a pass is short, and the next one goes on. */
const DOCUMENTS_PER_PASS = 200;

export interface RetentionOptions {
  sql: SqlRunner;
  /** Ops older than this many days may go. */
  days: number;
  /** @default () => new Date() */
  now?: () => Date;
  /** A document's log was cut at `floor` (this node drops what it caches of it). */
  onCut?: (documentId: string, floor: number) => void;
}

export interface Cut {
  documentId: string;
  floor: number;
}

// Documents with a snapshot above their floor whose op is older than the cutoff.
const CANDIDATES = `
  SELECT d."id" FROM "Document" d
  WHERE EXISTS (
    SELECT 1 FROM "Snapshot" s JOIN "Operation" o ON o."documentId" = s."documentId" AND o."version" = s."version"
    WHERE s."documentId" = d."id" AND s."version" > d."logFloor" AND o."createdAt" < $1::timestamp)
  LIMIT $2`;

// The lowest version something still moves forward from.
const HELD_BACK = `
  SELECT LEAST(
    (SELECT min("anchorVersion") FROM "CommentThread" WHERE "documentId" = $1 AND "anchorIndex" IS NOT NULL),
    (SELECT min("version") FROM "Suggestion" WHERE "documentId" = $1 AND "status" = 'OPEN')) AS "bound"`;

const NEWEST_CUT = `
  SELECT s."version", o."createdAt" AT TIME ZONE 'UTC' AS "createdAt" FROM "Snapshot" s
  JOIN "Operation" o ON o."documentId" = s."documentId" AND o."version" = s."version"
  WHERE s."documentId" = $1 AND s."version" > $2 AND s."version" <= $3 AND o."createdAt" < $4::timestamp
  ORDER BY s."version" DESC LIMIT 1`;

const UNPINNED_NAMES = `
  SELECT n."version" FROM "NamedVersion" n
  WHERE n."documentId" = $1 AND n."version" > $2 AND n."version" <= $3
    AND NOT EXISTS (SELECT 1 FROM "Snapshot" s WHERE s."documentId" = n."documentId" AND s."version" = n."version")
  ORDER BY n."version"`;

const KEEP_CLIENTS = `
  INSERT INTO "DroppedClient" ("documentId", "clientId", "lastSeq", "lastVersion", "authorId", "tokenId")
  SELECT DISTINCT ON ("clientId") "documentId", "clientId", "clientSeq", "version", "authorId", "tokenId"
  FROM "Operation" WHERE "documentId" = $1 AND "version" <= $2
  ORDER BY "clientId", "clientSeq" DESC
  ON CONFLICT ("documentId", "clientId") DO UPDATE
  SET "lastSeq" = EXCLUDED."lastSeq", "lastVersion" = EXCLUDED."lastVersion", "authorId" = EXCLUDED."authorId", "tokenId" = EXCLUDED."tokenId"
  WHERE EXCLUDED."lastSeq" > "DroppedClient"."lastSeq"`;

export class LogRetention {
  private readonly options: RetentionOptions;
  constructor(options: RetentionOptions) {
    this.options = options;
  }

  /** The time before which ops may go. */
  cutoff(): Date {
    const now = this.options.now?.() ?? new Date();
    return new Date(now.getTime() - this.options.days * 86_400_000);
  }

  /** One pass: cuts every document that has something to cut (up to a bound per pass). */
  async runOnce(): Promise<Cut[]> {
    const cutoff = this.cutoff();
    const rows = await this.options.sql.query<{ id: string }>(CANDIDATES, [utc(cutoff), DOCUMENTS_PER_PASS]);
    const cuts: Cut[] = [];
    for (const { id } of rows) {
      const floor = await this.trim(id, cutoff);
      if (floor !== null) cuts.push({ documentId: id, floor });
    }
    return cuts;
  }

  /** Cuts one document's log at its newest snapshot older than `cutoff`; the new floor, or null when nothing moved. */
  async trim(documentId: string, cutoff: Date = this.cutoff()): Promise<number | null> {
    const floor = await this.options.sql.withConnection((conn) => conn.transaction((tx) => trimIn(tx, documentId, cutoff)));
    if (floor !== null) this.options.onCut?.(documentId, floor);
    return floor;
  }
}

/** Takes the advisory lock that cuts of `documentId` and nameVersion share, until the transaction ends. */
export const RETENTION_LOCK_SQL = `SELECT 1 AS "locked" FROM (SELECT pg_advisory_xact_lock(${RETENTION_LOCK}, hashtext($1))) AS l`;

async function trimIn(tx: SqlSession, documentId: string, cutoff: Date): Promise<number | null> {
  await tx.query(RETENTION_LOCK_SQL, [documentId]);
  const [doc] = await tx.query<{ logFloor: number }>(`SELECT "logFloor" FROM "Document" WHERE "id" = $1`, [documentId]);
  if (!doc) return null; // deleted meanwhile
  const from = doc.logFloor;
  const [held] = await tx.query<{ bound: number | null }>(HELD_BACK, [documentId]);
  const bound = held?.bound ?? MAX_VERSION;
  const [cut] = await tx.query<{ version: number; createdAt: Date }>(NEWEST_CUT, [documentId, from, bound, utc(cutoff)]);
  if (!cut) return null;
  const to = cut.version;

  await pinNamedVersions(tx, documentId, from, to);
  await tx.query(KEEP_CLIENTS, [documentId, to]);
  await tx.query(`DELETE FROM "Operation" WHERE "documentId" = $1 AND "version" <= $2`, [documentId, to]);
  await tx.query(
    `DELETE FROM "Snapshot" s WHERE s."documentId" = $1 AND s."version" < $2
       AND NOT EXISTS (SELECT 1 FROM "NamedVersion" n WHERE n."documentId" = s."documentId" AND n."version" = s."version")`,
    [documentId, to],
  );
  await tx.query(`UPDATE "Document" SET "logFloor" = $2, "logFloorAt" = $3::timestamp WHERE "id" = $1 AND "logFloor" < $2`, [documentId, to, utc(cut.createdAt)]);
  return to;
}

/** A snapshot at each named version in (from, to] that has none, from the snapshot below it and the ops still kept. */
async function pinNamedVersions(tx: SqlSession, documentId: string, from: number, to: number): Promise<void> {
  const names = await tx.query<{ version: number }>(UNPINNED_NAMES, [documentId, from, to]);
  for (const { version } of names) {
    // Either form (20261207100000_snapshot_body): text and its layout, or older jsonb.
    const [snap] = await tx.query<{ version: number; body: string | null; layout: string | null; content: { ops: DeltaOp[] } | null }>(
      `SELECT "version", "body", "layout", CASE WHEN "body" IS NULL THEN "content" END AS "content"
       FROM "Snapshot" WHERE "documentId" = $1 AND "version" <= $2 ORDER BY "version" DESC LIMIT 1`,
      [documentId, version],
    );
    const base = snap?.version ?? 0;
    const ops = await tx.query<{ delta: { ops: DeltaOp[] } }>(
      `SELECT "delta" FROM "Operation" WHERE "documentId" = $1 AND "version" > $2 AND "version" <= $3 ORDER BY "version"`,
      [documentId, base, version],
    );
    // The floor's snapshot is below every kept op, so this cannot happen; if it does, keep the ops (abort the cut).
    if (ops.length !== version - base) throw new Error(`log retention: cannot rebuild named version ${version} of ${documentId}`);
    const start = snap?.body != null && snap.layout != null ? await decodeBody(snap.body, snap.layout) : new Delta(snap?.content?.ops ?? []);
    const stored = storedContent(composeAll(start, ops.map((op) => ({ delta: new Delta(op.delta.ops) }))));
    await tx.query(`INSERT INTO "Snapshot" ("documentId", "version", "body", "layout") VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [
      documentId,
      version,
      await encodeBody(storedDocumentUtf8(stored)),
      stored.layout,
    ]);
  }
}

/** Timestamps are stored as UTC without a time zone (as Prisma stores DateTime). */
const utc = (date: Date) => date.toISOString().replace('T', ' ').replace('Z', '');

/** Runs a pass every `intervalMs` on this node; returns the stopper (which waits for a pass under way). A pass never overlaps the previous one. */
export function schedulePasses(pass: { runOnce(): Promise<unknown> }, intervalMs: number, onError: (error: unknown) => void): () => Promise<void> {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = pass
      .runOnce()
      .then(() => {}, onError)
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
