// The durable operation log over Prisma (PGlite or PostgreSQL). The database
// is the arbiter between writers on different nodes: the primary key
// (documentId, version) admits one op per version, the unique key
// (documentId, clientId, clientSeq) one op per client submission, and the
// guarded head update below refuses batches that do not start at head + 1.
import { Delta, type DeltaOp } from '../collab/quill-delta.js';
import {
  AppendConflict,
  type AppendConflictKind,
  type CommittedOp,
  type NewOp,
  type OperationLog,
  type Snapshot,
} from '../collab/types.js';
import { Prisma, type PrismaClient, type Operation as OperationRow } from './generated/client.js';

/** Deltas are stored as the JSON `{ "ops": [...] }`, Quill's own wire form. */
function deltaToJson(delta: Delta): Prisma.InputJsonObject {
  // Delta ops are plain JSON by construction (parsed and validated where
  // they enter the system); the cast only bridges quill-delta's `unknown`
  // attribute values to Prisma's JSON type.
  return { ops: delta.ops as unknown as Prisma.InputJsonArray };
}

function deltaFromJson(value: Prisma.JsonValue): Delta {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Array.isArray(value.ops)) {
    return new Delta(value.ops as unknown as DeltaOp[]);
  }
  // Only our own writes reach this table, so this is corruption, not input.
  throw new Error('operation log holds a delta that is not { ops: [...] }');
}

function toCommitted(row: OperationRow): CommittedOp {
  return {
    documentId: row.documentId,
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
const DOCUMENT_FKEYS = new Set(['Operation_documentId_fkey', 'Snapshot_documentId_fkey']);

/**
 * Which constraint a driver-adapter error names. Prisma 7 puts no
 * `meta.target` on adapter errors; the adapter's own description sits in
 * `meta.driverAdapterError.cause.constraint`, and its shape differs:
 * adapter-pg gives `{ index: 'Operation_pkey' }` (pg reports the constraint
 * name), pglite-prisma-adapter gives `{ fields: ['"documentId"', 'version'] }`
 * (parsed from the error detail, identifier quotes included). `meta.target`
 * is still read in case a future engine fills it in again.
 */
function violatedConstraint(err: Prisma.PrismaClientKnownRequestError): { index?: string; fields?: string[] } {
  const meta: unknown = err.meta;
  if (typeof meta !== 'object' || meta === null) return {};
  const out: { index?: string; fields?: string[] } = {};
  // PGlite's field names keep their identifier quotes ('"documentId"').
  const strings = (v: unknown): string[] | undefined =>
    Array.isArray(v) && v.every((f: unknown): f is string => typeof f === 'string')
      ? v.map((f) => f.replace(/^"|"$/g, ''))
      : undefined;

  if ('target' in meta) {
    if (typeof meta.target === 'string') out.index = meta.target;
    else out.fields = strings(meta.target);
  }
  const adapterError = 'driverAdapterError' in meta ? meta.driverAdapterError : undefined;
  const cause = typeof adapterError === 'object' && adapterError !== null && 'cause' in adapterError ? adapterError.cause : undefined;
  const constraint = typeof cause === 'object' && cause !== null && 'constraint' in cause ? cause.constraint : undefined;
  if (typeof constraint === 'object' && constraint !== null) {
    if ('index' in constraint && typeof constraint.index === 'string') out.index = constraint.index;
    if ('fields' in constraint) out.fields = strings(constraint.fields) ?? out.fields;
  }
  return out;
}

const sameFields = (a: string[] | undefined, b: string[]) =>
  a !== undefined && a.length === b.length && b.every((f) => a.includes(f));

/**
 * Maps a failed append to the conflict it stands for, or null when the
 * error is something else (it is then rethrown untouched, and the GraphQL
 * layer masks it).
 */
function conflictKind(err: unknown): AppendConflictKind | 'head-moved' | null {
  if (!(err instanceof Prisma.PrismaClientKnownRequestError)) return null;
  const modelName: unknown = err.meta?.modelName;
  const { index, fields } = violatedConstraint(err);
  switch (err.code) {
    case 'P2002': // unique violation
      if (modelName !== undefined && modelName !== 'Operation') return null;
      if (index === OPERATION_PKEY || sameFields(fields, ['documentId', 'version'])) return 'version';
      if (index === OPERATION_CLIENT_KEY || sameFields(fields, ['documentId', 'clientId', 'clientSeq'])) return 'client';
      return null;
    case 'P2003': // foreign-key violation: only the document key means "gone" (not authorId)
      if ((index !== undefined && DOCUMENT_FKEYS.has(index)) || sameFields(fields, ['documentId'])) return 'gone';
      return null;
    case 'P2025': // the guarded head update matched no row
      return modelName === undefined || modelName === 'Document' ? 'head-moved' : null;
    default:
      return null;
  }
}

export class PrismaOperationLog implements OperationLog {
  constructor(private readonly prisma: PrismaClient) {}

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
    // Prisma reads a negative `take` as "from the end"; here it means nothing to read.
    if (limit !== undefined && limit <= 0) return [];
    const rows = await this.prisma.operation.findMany({
      where: { documentId, version: { gt: afterVersion, ...(upToVersion !== undefined && { lte: upToVersion }) } },
      orderBy: { version: 'asc' },
      ...(limit !== undefined && { take: limit }),
    });
    return rows.map(toCommitted);
  }

  async findByClient(documentId: string, clientId: string, clientSeq: number): Promise<CommittedOp | null> {
    const row = await this.prisma.operation.findUnique({
      where: { documentId_clientId_clientSeq: { documentId, clientId, clientSeq } },
    });
    return row && toCommitted(row);
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
    try {
      // The batch form runs the statements in order in one transaction.
      await this.prisma.$transaction([
        this.prisma.operation.createMany({
          data: ops.map((op) => ({
            documentId,
            version: op.version,
            delta: deltaToJson(op.delta),
            clientId: op.clientId,
            clientSeq: op.clientSeq,
            authorId: op.authorId,
            createdAt,
          })),
        }),
        // Guarded on the previous head, so the head only ever moves from
        // v to v + n and the log can have no gaps. Two writers racing for
        // the same versions collide on the primary key above first; the
        // guard catches a batch computed from a stale head. The FK check of
        // the insert above locks the document row against deletion, so a
        // miss here means the head moved, not that the document vanished.
        this.prisma.document.update({
          where: { id: documentId, version: first.version - 1 },
          data: { version: last.version, updatedAt: createdAt },
          select: { id: true },
        }),
        // A snapshot is the content at a version, hence the same for every
        // writer: an existing one is equal, so a duplicate is skipped.
        ...(snapshot
          ? [
              this.prisma.snapshot.createMany({
                data: [{ documentId, version: snapshot.version, content: deltaToJson(snapshot.content), createdAt }],
                skipDuplicates: true,
              }),
            ]
          : []),
        // Many documents commit at once and share the pool: wait for a
        // connection rather than fail after Prisma's default 2 s.
      ], { maxWait: 10_000 });
    } catch (err) {
      const kind = conflictKind(err);
      if (kind === null) throw err;
      if (kind === 'head-moved') {
        // Defensive: should the document have vanished after all, say so.
        throw new AppendConflict((await this.exists(documentId)) ? 'version' : 'gone');
      }
      throw new AppendConflict(kind);
    }
    return ops.map((op) => ({ ...op, createdAt }));
  }
}
