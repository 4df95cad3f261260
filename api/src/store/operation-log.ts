// The durable operation log (PGlite or PostgreSQL). The database is the
// arbiter between writers on different nodes: the primary key
// (documentId, version) admits one op per version, the unique key
// (documentId, clientId, clientSeq) one op per client submission, the
// guarded head update below refuses batches that do not start at head + 1,
// and the same commit refuses ops whose author may no longer write (the
// access check of record: node caches may lag an access change).
//
// The two hot paths, append (every commit) and readOps (every stream
// start, head refresh and gap fill), are plain SQL on the node's own
// connection (Database.sql), not Prisma: under load Prisma's per-query
// work cost more than the queries themselves (an append through Prisma's
// batch transaction is four round trips, BEGIN/INSERT/UPDATE/COMMIT, plus
// query compilation; here it is one statement). Measured on a busy 2-core
// machine, one-op appends: PGlite 16.4 -> 2.6 ms, PostgreSQL 6.9 -> 1.0 ms.
// The rare paths (exists, findByClient) stay on Prisma. Snapshots are
// plain SQL too: one is megabytes of text for a large document, which
// Prisma would copy through its own result handling.
import { storedDocumentUtf8, type StoredDocument } from '../../../protocol/chunked-document.ts';
import { Delta, type DeltaOp } from '../../../protocol/delta.ts';
import { storedContent, storedSnapshot } from '../collab/document-head.ts';
import { decodeBody, encodeBody } from './snapshot-body.ts';
import {
  AppendConflict,
  MAX_VERSION,
  type AppendRequest,
  type CommittedOp,
  type DroppedClient,
  type NewOp,
  type OperationLog,
  type OpStamp,
  type Snapshot,
  type WriteRefusal,
} from '../collab/types.ts';
import { sqlLiteral, type PreparedStatement, type SqlRunner } from './database.ts';
import type { Prisma, PrismaClient, Operation as OperationRow } from './generated/client.ts';

/** Deltas are stored as the JSON `{ "ops": [...] }`, Quill's own wire form. */
const deltaToJson = (delta: Delta) => ({ ops: delta.ops });

function deltaFromJson(value: Prisma.JsonValue): Delta {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Array.isArray(value.ops)) {
    return new Delta(value.ops as unknown as DeltaOp[]);
  }
  // Only our own writes reach this table, so this is corruption, not input.
  throw new Error('operation log holds a delta that is not { ops: [...] }');
}

function toCommitted(documentId: string, row: OpRow): CommittedOp {
  return {
    documentId,
    version: row.version,
    delta: deltaFromJson(row.delta),
    clientId: row.clientId,
    clientSeq: row.clientSeq,
    authorId: row.authorId,
    tokenId: row.tokenId ?? null,
    runId: row.runId ?? null,
    requestHash: row.requestHash ?? null,
    createdAt: row.createdAt,
  };
}

// Constraint names as created by prisma/migrations (Prisma's naming scheme).
const OPERATION_PKEY = 'Operation_pkey';
const OPERATION_CLIENT_KEY = 'Operation_documentId_clientId_clientSeq_key';
/** What collab_append raises when an author may not write (20261125000000_append_checks_write_access). */
const INSUFFICIENT_PRIVILEGE = '42501';
/** What collab_lock_head raises for a missing document (20261206800700_collab_lock_head). */
const NO_DATA_FOUND = 'P0002';
/** lock_timeout expired: appendLocked waited too long for another writer's lock. */
const LOCK_NOT_AVAILABLE = '55P03';

/**
 * Maps a failed append to the conflict it stands for, or null when the
 * error is something else (it is then rethrown untouched, and the GraphQL
 * layer masks it). pg and PGlite both report the SQLSTATE as `code`, the
 * violated constraint's name as `constraint` and a RAISE's DETAIL as `detail`.
 */
function conflictOf(err: unknown): AppendConflict | null {
  if (err instanceof AppendConflict) return err;
  if (typeof err !== 'object' || err === null) return null;
  const { code, constraint, detail } = err as { code?: unknown; constraint?: unknown; detail?: unknown };
  if (code === INSUFFICIENT_PRIVILEGE && typeof detail === 'string') return new AppendConflict('access', refusalsOf(detail));
  if (code === NO_DATA_FOUND) return new AppendConflict('gone');
  // Treated as a lost race: the sequencer retries, bounded (it should not
  // happen: a lock is held for one commit's round trip and its rebase).
  if (code === LOCK_NOT_AVAILABLE) return new AppendConflict('version');
  if (code !== '23505') return null; // unique violation; anything else (e.g. a foreign key) is not a conflict
  if (constraint === OPERATION_PKEY) return new AppendConflict('version');
  if (constraint === OPERATION_CLIENT_KEY) return new AppendConflict('client');
  return null;
}

/** collab_append's refusal DETAIL: [{ author, session, token, role, live }]. */
function refusalsOf(detail: string): WriteRefusal[] {
  const rows = JSON.parse(detail) as Array<{ author: string; session: string | null; token?: string | null; role: string | null; live: boolean }>;
  return rows.map(({ author, session, token, role, live }) => {
    const who = { authorId: author, sessionId: session, ...(token ? { tokenId: token } : {}) };
    if (!live) return { ...who, reason: 'session' };
    if (role === null) return { ...who, reason: 'not-member' };
    return { ...who, reason: 'role', role };
  });
}

/** The JSON rows collab_append takes: `x`, the session, is checked and not stored; `t`, the token, is checked and stored. */
const opRows = (ops: NewOp[]) =>
  ops.map((op) => ({
    v: op.version,
    d: deltaToJson(op.delta),
    c: op.clientId,
    s: op.clientSeq,
    a: op.authorId,
    x: op.sessionId ?? null,
    t: op.tokenId ?? null,
    r: op.runId ?? null,
    h: op.requestHash ?? null,
  }));

/** What was appended, as committed ops (without the session, which stays here). */
const committedOps = (ops: NewOp[], createdAt: Date): CommittedOp[] =>
  ops.map(({ documentId, version, delta, clientId, clientSeq, authorId, tokenId, runId, requestHash }) => ({
    documentId,
    version,
    delta,
    clientId,
    clientSeq,
    authorId,
    tokenId: tokenId ?? null,
    runId: runId ?? null,
    requestHash: requestHash ?? null,
    createdAt,
  }));

// One statement, so one implicit transaction and one round trip: the
// "collab_append" function (prisma/migrations/*_append_function, with the
// access check of *_append_checks_write_access) moves the head from
// first - 1 to last, guarded on the previous head, and only then inserts the
// ops whose authors may write (all of them, or it raises), so the log can
// have no gaps. Its snapshot parameters stay NULL: snapshots are stored
// after their commit (STORE_SNAPSHOT); the function keeps them for nodes of
// an older version during a rolling upgrade. It returns 1 when the head moved; 0
// means a lost race or a deleted document. A prepared statement
// (SqlRunner.prepared): every commit runs the same text, so the database
// parses and plans it once per connection.
const APPEND: PreparedStatement = {
  name: 'collab_append_one',
  text: 'SELECT "collab_append"($1::text, $2::integer, $3::integer, $4::jsonb, $5::timestamptz, NULL, NULL) AS moved',
};
// The same inside appendLocked's transaction, which holds a lock across two
// round trips and sends each as one simple-query script (values as literals).
const appendStatement = (documentId: string, first: number, last: number, ops: string, at: string) =>
  `SELECT "collab_append"(${sqlLiteral(documentId)}, ${sqlLiteral(first)}, ${sqlLiteral(last)}, ${sqlLiteral(ops)}::jsonb, ${sqlLiteral(at)}::timestamptz, NULL, NULL) AS moved`;

// A snapshot stored after its commit (OperationLog.storeSnapshot): the
// content at that version never changes, so it is right whenever it lands;
// a document deleted meanwhile gets none.
const STORE_SNAPSHOT = `
  INSERT INTO "Snapshot" ("documentId", "version", "body", "layout")
  SELECT $1::text, $2::integer, $3::text, $4::text WHERE EXISTS (SELECT 1 FROM "Document" WHERE "id" = $1::text)
  ON CONFLICT DO NOTHING`;

// The newest snapshot at or before a version, in either form.
const LATEST_SNAPSHOT = `
  SELECT "version", "body", "layout", CASE WHEN "body" IS NULL THEN "content" END AS "content"
  FROM "Snapshot" WHERE "documentId" = $1 AND "version" <= $2
  ORDER BY "version" DESC LIMIT 1`;

// APPEND_MANY: collab_append for several documents in one statement (one
// request per document): a JSON array of { doc, first, last, ops } and the
// commit time. Returns, per document, whether its head moved. A raise in
// any of them (a taken key, a refused author, a value jsonb refuses) aborts
// the whole statement, as one transaction: appendMany then appends each
// alone.
// Lock order. Each collab_append locks its document's row (and its open
// CHANGED event) until the statement commits, so on PostgreSQL two nodes'
// groups that share documents would deadlock if they took them in
// different orders (A then B against B then A). Every group takes them in
// document id order: the array is sorted, and ORDER BY keeps the volatile
// collab_append calls in that order (PostgreSQL evaluates volatile output
// expressions after the sort). A single append or a locked commit holds
// one document at a time, and preview writes skip held rows, so none of
// them can close a cycle with a group. One can still, rarely: the event
// stamper (collab_stamp_events) locks ready DocumentEvent rows in event id
// order, and a group's open CHANGED rows that turn ready (a second old)
// while the group runs may be taken in the other order. PostgreSQL then
// fails one of the two after deadlock_timeout: a failed group is appended
// one document at a time below, a failed stamping is done again later.
// Prepared, as APPEND is.
const APPEND_MANY: PreparedStatement = {
  name: 'collab_append_many',
  text: `SELECT i.doc AS id, "collab_append"(i.doc, i.first, i.last, i.ops, $2::timestamptz, NULL, NULL) AS moved
  FROM jsonb_to_recordset($1::jsonb) AS i(doc text, first int, last int, ops jsonb)
  ORDER BY i.doc COLLATE "C"`,
};

// createdAt is stored as UTC without a time zone (as Prisma stores DateTime);
// reading it AT TIME ZONE 'UTC' gives an absolute time both drivers parse right.
const READ_OPS = `
  SELECT "version", "delta", "clientId", "clientSeq", "authorId", "tokenId", "runId", "requestHash", "createdAt" AT TIME ZONE 'UTC' AS "createdAt"
  FROM "Operation"
  WHERE "documentId" = $1 AND "version" > $2 AND "version" <= $3
  ORDER BY "version"
  LIMIT $4`;

// The history's read: no delta, newest first (the primary key's index, backwards).
const READ_STAMPS = `
  SELECT "version", "authorId", "createdAt" AT TIME ZONE 'UTC' AS "createdAt"
  FROM "Operation"
  WHERE "documentId" = $1 AND "version" <= $2
  ORDER BY "version" DESC
  LIMIT $3`;

// appendLocked's two round trips. The first opens the transaction, bounds
// the wait for the lock, takes it and reads the ops after this node's head
// (collab_lock_head, 20261206800700_collab_lock_head); the second appends
// and commits. Simple-query scripts (values as literals): with parameters
// each statement would be a round trip of its own, and the lock is held
// from the first script's answer to the second's.
const LOCK_TIMEOUT = '10s';
const lockScript = (documentId: string, knownVersion: number) => `BEGIN; SET LOCAL lock_timeout = '${LOCK_TIMEOUT}';
  SELECT "version", "delta", "clientId", "clientSeq", "authorId", "tokenId", "runId", "requestHash", "createdAt"
  FROM "collab_lock_head"(${sqlLiteral(documentId)}, ${sqlLiteral(knownVersion)})`;
const appendScript = (documentId: string, first: number, last: number, ops: string, at: string) => `${appendStatement(documentId, first, last, ops, at)}; COMMIT`;

/** A snapshot as the log stores it: a body and its layout (storedContent makes them from a delta when the snapshot has none). */
async function storedOf(snapshot: Snapshot): Promise<{ version: number; body: string; layout: string }> {
  const stored: StoredDocument = snapshot.stored ?? storedContent(snapshot.content);
  return { version: snapshot.version, body: await encodeBody(storedDocumentUtf8(stored)), layout: stored.layout };
}

type OpRow = Pick<OperationRow, 'version' | 'delta' | 'clientId' | 'clientSeq' | 'authorId' | 'tokenId' | 'runId' | 'requestHash' | 'createdAt'>;

export class PrismaOperationLog implements OperationLog {
  /** `sql` runs on the same database as `prisma` (Database.sql). */
  private readonly prisma: PrismaClient;
  private readonly sql: SqlRunner;
  constructor(
    prisma: PrismaClient,
    sql: SqlRunner,
  ) {
    this.prisma = prisma;
    this.sql = sql;
  }

  async exists(documentId: string): Promise<boolean> {
    const row = await this.prisma.document.findUnique({ where: { id: documentId }, select: { id: true } });
    return row !== null;
  }

  async latestSnapshot(documentId: string, atOrBefore: number): Promise<Snapshot | null> {
    const [row] = await this.sql.query<{ version: number; body: string | null; layout: string | null; content: Prisma.JsonValue }>(LATEST_SNAPSHOT, [
      documentId,
      Math.min(atOrBefore, MAX_VERSION),
    ]);
    if (!row) return null;
    if (row.body !== null && row.layout !== null) return storedSnapshot(row.version, await decodeBody(row.body, row.layout));
    return { version: row.version, content: deltaFromJson(row.content) };
  }

  async readOps(documentId: string, afterVersion: number, upToVersion?: number, limit?: number): Promise<CommittedOp[]> {
    if (limit !== undefined && limit <= 0) return [];
    // LIMIT NULL is no limit.
    const rows = await this.sql.query<OpRow>(READ_OPS, [documentId, afterVersion, upToVersion ?? MAX_VERSION, limit ?? null]);
    return rows.map((row) => toCommitted(documentId, row));
  }

  async readStamps(documentId: string, upToVersion: number, limit: number): Promise<OpStamp[]> {
    if (limit <= 0 || upToVersion < 1) return [];
    return this.sql.query<OpStamp>(READ_STAMPS, [documentId, Math.min(upToVersion, MAX_VERSION), limit]);
  }

  async runVersions(documentId: string, runId: string): Promise<number[]> {
    // Operation_documentId_runId_idx: a run's ops without reading the document's log.
    const rows = await this.prisma.operation.findMany({ where: { documentId, runId }, select: { version: true }, orderBy: { version: 'asc' } });
    return rows.map((row) => row.version);
  }

  async logFloor(documentId: string): Promise<number> {
    const row = await this.prisma.document.findUnique({ where: { id: documentId }, select: { logFloor: true } });
    return row?.logFloor ?? 0;
  }

  droppedClient(documentId: string, clientId: string): Promise<DroppedClient | null> {
    return this.prisma.droppedClient.findUnique({
      where: { documentId_clientId: { documentId, clientId } },
      select: { lastSeq: true, lastVersion: true, authorId: true, tokenId: true },
    });
  }

  async findByClient(documentId: string, clientId: string, clientSeq: number): Promise<CommittedOp | null> {
    const row = await this.prisma.operation.findUnique({
      where: { documentId_clientId_clientSeq: { documentId, clientId, clientSeq } },
    });
    return row && toCommitted(documentId, row);
  }

  async append(documentId: string, ops: NewOp[]): Promise<CommittedOp[]> {
    const [first, last] = checkBatch(documentId, ops);

    // One timestamp for the batch: the ops became durable together.
    const createdAt = new Date();
    let moved: number;
    try {
      const [result] = await this.sql.prepared(APPEND, [documentId, first.version, last.version, JSON.stringify(opRows(ops)), createdAt.toISOString()]);
      moved = Number(result?.moved ?? 0);
    } catch (err) {
      throw conflictOf(err) ?? err;
    }
    // The guard matched nothing: the head moved (a lost race), or the document is gone.
    if (moved === 0) throw new AppendConflict((await this.exists(documentId)) ? 'version' : 'gone');
    return committedOps(ops, createdAt);
  }

  async storeSnapshot(documentId: string, snapshot: Snapshot): Promise<void> {
    const stored = await storedOf(snapshot);
    await this.sql.query(STORE_SNAPSHOT, [documentId, stored.version, stored.body, stored.layout]);
  }

  async appendLocked(documentId: string, knownVersion: number, build: (missed: CommittedOp[]) => Promise<AppendRequest | null>): Promise<CommittedOp[] | null> {
    // withConnection destroys a connection whose callback throws; a
    // conflict is a normal answer, so it comes out as a value once the
    // transaction is rolled back, and the connection goes back to the pool.
    const outcome = await this.sql.withConnection(async (conn): Promise<{ ops: CommittedOp[] | null } | { conflict: AppendConflict }> => {
      try {
        const results = await conn.script(lockScript(documentId, knownVersion));
        const missed = (results.at(-1) ?? []).map((row) => toCommitted(documentId, row as unknown as OpRow));
        const request = await build(missed);
        if (!request) {
          await conn.exec('ROLLBACK');
          return { ops: null };
        }
        if (request.documentId !== documentId) throw new RangeError('appendLocked: the request must be for the locked document');
        const [first, last] = checkBatch(documentId, request.ops);
        const createdAt = new Date();
        const [moved] = await conn.script(
          appendScript(documentId, first.version, last.version, JSON.stringify(opRows(request.ops)), createdAt.toISOString()),
        );
        // Under the lock the head is where collab_lock_head left it: 0 means
        // a batch that does not follow the ops it was handed (a bug), and
        // the transaction committed nothing.
        if (Number(moved?.[0]?.moved ?? 0) !== 1) return { conflict: new AppendConflict('version') };
        return { ops: committedOps(request.ops, createdAt) };
      } catch (err) {
        // Whatever failed, the transaction may be open: end it before the
        // connection goes back (a failed ROLLBACK destroys the connection).
        // The first error is the one that matters; a failed ROLLBACK (a
        // broken link) rethrows it, which destroys the connection.
        await conn.exec('ROLLBACK').catch(() => {
          throw err;
        });
        const conflict = conflictOf(err);
        if (conflict) return { conflict };
        throw err;
      }
    });
    if ('conflict' in outcome) throw outcome.conflict;
    return outcome.ops;
  }

  ready(): Promise<void> {
    return this.sql.settled?.() ?? Promise.resolve();
  }

  async appendMany(requests: readonly AppendRequest[]): Promise<Array<PromiseSettledResult<CommittedOp[]>>> {
    const alone = (r: AppendRequest) => this.append(r.documentId, r.ops);
    if (requests.length < 2 || new Set(requests.map((r) => r.documentId)).size !== requests.length) {
      return Promise.allSettled(requests.map(alone));
    }
    const invalid = new Map<AppendRequest, unknown>();
    const batches: Array<{ doc: string; first: number; last: number; ops: unknown[] }> = [];
    for (const r of requests) {
      try {
        const [first, last] = checkBatch(r.documentId, r.ops);
        batches.push({ doc: r.documentId, first: first.version, last: last.version, ops: opRows(r.ops) });
      } catch (error) {
        invalid.set(r, error);
      }
    }
    // Document id order (see APPEND_MANY above; ids are ASCII, so this is COLLATE "C" order).
    batches.sort((a, b) => (a.doc < b.doc ? -1 : a.doc > b.doc ? 1 : 0));
    const createdAt = new Date();
    let moved: Set<string>;
    try {
      const rows = await this.sql.prepared(APPEND_MANY, [JSON.stringify(batches), createdAt.toISOString()]);
      moved = new Set(rows.filter((row) => Number(row.moved) === 1).map((row) => String(row.id)));
    } catch {
      // Nothing was written (one statement). The cause may be any one
      // request: a taken key, a refused author, a value the database will
      // not store. One document's failure must never fail another's
      // commit, so each is asked again alone and settles as its own append
      // would; each finds its own answer (with the database away, each
      // fails on its own too, at the cost of one attempt each).
      return Promise.allSettled(requests.map(alone));
    }
    return Promise.allSettled(
      requests.map(async (r) => {
        if (invalid.has(r)) throw invalid.get(r);
        if (!moved.has(r.documentId)) throw new AppendConflict((await this.exists(r.documentId)) ? 'version' : 'gone');
        return committedOps(r.ops, createdAt);
      }),
    );
  }
}

/** The first and last op of a batch for `documentId`, which must be consecutive versions of it. */
function checkBatch(documentId: string, ops: NewOp[]): [NewOp, NewOp] {
  const first = ops[0];
  const last = ops.at(-1);
  if (first === undefined || last === undefined) throw new RangeError('append needs at least one op');
  ops.forEach((op, i) => {
    if (op.documentId !== documentId) throw new RangeError('append: every op must belong to the document');
    if (op.version !== first.version + i) throw new RangeError('append: versions must be consecutive');
  });
  return [first, last];
}
