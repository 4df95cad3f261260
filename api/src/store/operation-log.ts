// The durable operation log (PGlite or PostgreSQL). The database is the
// arbiter between writers on different nodes: the primary key
// (documentId, version) admits one op per version, the unique key
// (documentId, clientId, clientSeq) one op per client submission, and the
// guarded head update below refuses batches that do not start at head + 1.
//
// The two hot paths, append (every commit) and readOps (every stream
// start, head refresh and gap fill), are plain SQL on the node's own
// connection (Database.sql), not Prisma: under load Prisma's per-query
// work cost more than the queries themselves (an append through Prisma's
// batch transaction is four round trips, BEGIN/INSERT/UPDATE/COMMIT, plus
// query compilation; here it is one statement). Measured on a busy 2-core
// machine, one-op appends: PGlite 16.4 -> 2.6 ms, PostgreSQL 6.9 -> 1.0 ms.
// The rare paths (exists, snapshots, findByClient) stay on Prisma.
import { Delta, type DeltaOp } from '../collab/quill-delta.js';
import {
  AppendConflict,
  MAX_VERSION,
  type AppendConflictKind,
  type CommittedOp,
  type NewOp,
  type OperationLog,
  type Snapshot,
} from '../collab/types.js';
import type { SqlSession } from './database.js';
import type { Prisma, PrismaClient, Operation as OperationRow } from './generated/client.js';

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
    createdAt: row.createdAt,
  };
}

// Constraint names as created by prisma/migrations (Prisma's naming scheme).
const OPERATION_PKEY = 'Operation_pkey';
const OPERATION_CLIENT_KEY = 'Operation_documentId_clientId_clientSeq_key';

/**
 * Maps a failed append to the conflict it stands for, or null when the
 * error is something else (it is then rethrown untouched, and the GraphQL
 * layer masks it). pg and PGlite both report the SQLSTATE as `code` and
 * the violated constraint's name as `constraint`.
 */
function conflictKind(err: unknown): AppendConflictKind | null {
  if (typeof err !== 'object' || err === null) return null;
  const { code, constraint } = err as { code?: unknown; constraint?: unknown };
  if (code !== '23505') return null; // unique violation; anything else (e.g. an unknown author) is not a conflict
  if (constraint === OPERATION_PKEY) return 'version';
  if (constraint === OPERATION_CLIENT_KEY) return 'client';
  return null;
}

// One statement, so one implicit transaction and one round trip. The head
// update is guarded on the previous head, so the head only ever moves from
// v to v + n and the log can have no gaps; the inserts join on its result,
// so nothing is inserted unless the head moved. Two writers racing for the
// same versions serialise on the document row: the second one's guard is
// re-checked after the first commits and matches nothing (READ COMMITTED
// re-evaluates the WHERE on the new row version). A deleted document also
// matches nothing. A snapshot is the content at a version, hence the same
// for every writer: an existing one is equal, so a duplicate is skipped.
// $1 document, $2 first version, $3 last version, $4 ops as a JSON array,
// $5 commit time (ISO); $6 snapshot version, $7 snapshot content.
const APPEND_CTES = `
  WITH head AS (
    UPDATE "Document" SET "version" = $3, "updatedAt" = $5::timestamptz AT TIME ZONE 'UTC'
    WHERE "id" = $1 AND "version" = $2::int - 1
    RETURNING "id"
  ), ops AS (
    INSERT INTO "Operation" ("documentId", "version", "delta", "clientId", "clientSeq", "authorId", "createdAt")
    SELECT $1, o.v, o.d, o.c, o.s, o.a, $5::timestamptz AT TIME ZONE 'UTC'
    FROM head, jsonb_to_recordset($4::jsonb) AS o(v int, d jsonb, c text, s int, a text)
    RETURNING 1
  )`;
const APPEND = `${APPEND_CTES} SELECT (SELECT count(*) FROM head)::int AS moved`;
const APPEND_WITH_SNAPSHOT = `${APPEND_CTES}, snapshot AS (
    INSERT INTO "Snapshot" ("documentId", "version", "content", "createdAt")
    SELECT $1, $6, $7::jsonb, $5::timestamptz AT TIME ZONE 'UTC' FROM head
    ON CONFLICT DO NOTHING
    RETURNING 1
  ) SELECT (SELECT count(*) FROM head)::int AS moved`;

// createdAt is stored as UTC without a time zone (as Prisma stores DateTime);
// reading it AT TIME ZONE 'UTC' gives an absolute time both drivers parse right.
const READ_OPS = `
  SELECT "version", "delta", "clientId", "clientSeq", "authorId", "createdAt" AT TIME ZONE 'UTC' AS "createdAt"
  FROM "Operation"
  WHERE "documentId" = $1 AND "version" > $2 AND "version" <= $3
  ORDER BY "version"
  LIMIT $4`;

type OpRow = Pick<OperationRow, 'version' | 'delta' | 'clientId' | 'clientSeq' | 'authorId' | 'createdAt'>;

export class PrismaOperationLog implements OperationLog {
  /** `sql` runs on the same database as `prisma` (Database.sql). */
  constructor(
    private readonly prisma: PrismaClient,
    private readonly sql: SqlSession,
  ) {}

  async exists(documentId: string): Promise<boolean> {
    const row = await this.prisma.document.findUnique({ where: { id: documentId }, select: { id: true } });
    return row !== null;
  }

  async latestSnapshot(documentId: string, atOrBefore: number): Promise<Snapshot | null> {
    const row = await this.prisma.snapshot.findFirst({
      where: { documentId, version: { lte: atOrBefore } },
      orderBy: { version: 'desc' },
    });
    return row && { version: row.version, content: deltaFromJson(row.content) };
  }

  async readOps(documentId: string, afterVersion: number, upToVersion?: number, limit?: number): Promise<CommittedOp[]> {
    if (limit !== undefined && limit <= 0) return [];
    // LIMIT NULL is no limit.
    const rows = await this.sql.query<OpRow>(READ_OPS, [documentId, afterVersion, upToVersion ?? MAX_VERSION, limit ?? null]);
    return rows.map((row) => toCommitted(documentId, row));
  }

  async findByClient(documentId: string, clientId: string, clientSeq: number): Promise<CommittedOp | null> {
    const row = await this.prisma.operation.findUnique({
      where: { documentId_clientId_clientSeq: { documentId, clientId, clientSeq } },
    });
    return row && toCommitted(documentId, row);
  }

  async append(documentId: string, ops: NewOp[], snapshot?: Snapshot): Promise<CommittedOp[]> {
    const first = ops[0];
    const last = ops.at(-1);
    if (first === undefined || last === undefined) throw new RangeError('append needs at least one op');
    ops.forEach((op, i) => {
      if (op.documentId !== documentId) throw new RangeError('append: every op must belong to the document');
      if (op.version !== first.version + i) throw new RangeError('append: versions must be consecutive');
    });

    // One timestamp for the batch: the ops became durable together.
    const createdAt = new Date();
    const rows = JSON.stringify(
      ops.map((op) => ({ v: op.version, d: deltaToJson(op.delta), c: op.clientId, s: op.clientSeq, a: op.authorId })),
    );
    const params = [documentId, first.version, last.version, rows, createdAt.toISOString()];
    let moved: number;
    try {
      const result = snapshot
        ? await this.sql.query<{ moved: number }>(APPEND_WITH_SNAPSHOT, [...params, snapshot.version, JSON.stringify(deltaToJson(snapshot.content))])
        : await this.sql.query<{ moved: number }>(APPEND, params);
      moved = result[0]?.moved ?? 0;
    } catch (err) {
      const kind = conflictKind(err);
      if (kind === null) throw err;
      throw new AppendConflict(kind);
    }
    // The guard matched nothing: the head moved (a lost race), or the document is gone.
    if (moved === 0) throw new AppendConflict((await this.exists(documentId)) ? 'version' : 'gone');
    return ops.map((op) => ({ ...op, createdAt }));
  }
}
