// Suggestions (tracked changes): a proposed delta kept off the log, with
// the role check on every path: COMMENTER and above suggest and read them,
// EDITOR and above accept and reject (a suggester may also withdraw, that is
// reject, their own).
//
// Keeping suggestions current costs nothing per committed op: a suggestion
// stores its delta with the version it applies to, and a read moves it to
// the head by the rule of protocol/suggestion.ts (the rebase rule, committed
// op first), over the ops since (from the cached head's window, or the log).
// The next read on this node moves it on from where that read placed it
// (collab/placement-cache.ts). A read that found one OUTDATED stores that
// before answering; one that moved it far stores it at a quiet moment after
// answering (store/write-behind.ts). Only forward, so reads on every node
// start from there.
//
// Accepting is a submission through the normal write path (role, delta
// policy, rebase, size limit, durability): the suggestion at the head, with
// the clientId `suggestion-<id>`, clientSeq 0, a request hash of its own and
// `anyAuthor`, so two people accepting at once commit it once (replay.ts:
// the second gets the first op back). The op's author is the acceptor; the
// suggestion row keeps the suggester, the acceptor and the op's version.
// Changes are published on the document's suggestions topic for
// documentSuggestions on every node.
import { createHash } from 'node:crypto';
import { baseLength } from '../../../protocol/delta-validation.ts';
import { Delta } from '../../../protocol/delta.ts';
import { changesSomething, moveSuggestion, SuggestionMover } from '../../../protocol/suggestion.ts';
import { isCleanText } from '../../../protocol/text.ts';
import { opsBytes } from '../collab/content-bytes.ts';
import { PlacementCache, type Placed } from '../collab/placement-cache.ts';
import { keyReused, sameJson } from '../collab/replay.ts';
import type { Sequencer } from '../collab/sequencer.ts';
import { splitsSurrogatePair } from '../collab/surrogate-pairs.ts';
import type { Bus, CommittedOp, OperationLog } from '../collab/types.ts';
import type { Documents, Viewer } from '../documents/documents.ts';
import { requireViewer } from '../documents/documents.ts';
import { AppError, badInput, notFound } from '../errors.ts';
import { suggestionsTopic } from '../pubsub/channels.ts';
import type { Prisma, PrismaClient } from '../store/generated/client.ts';
import { inSlices, WriteBehind, type WriteScheduler } from '../store/write-behind.ts';
import { checkText } from '../validation/text.ts';

export type SuggestionStatus = 'OPEN' | 'ACCEPTED' | 'REJECTED' | 'OUTDATED';

export interface SuggestionView {
  id: string;
  documentId: string;
  /** The suggester; null if that account no longer exists. */
  authorId: string | null;
  status: SuggestionStatus;
  /**
   * The version `delta` applies to: the head when read, for an OPEN one;
   * for an ACCEPTED one the version its op was committed on (acceptedVersion - 1);
   * for the others, where it was when it was settled.
   */
  version: number;
  delta: Delta;
  clientId: string;
  clientSeq: number;
  acceptedVersion: number | null;
  acceptedById: string | null;
  createdAt: Date;
  settledAt: Date | null;
}

export interface SuggestInput {
  documentId: string;
  baseVersion: number;
  delta: Delta;
  clientId: string;
  clientSeq: number;
}

export interface SuggestionsOptions {
  /** Writes a moved suggestion back once a read has moved it over at least this many ops. @default 100 */
  writeBackAfter?: number;
  /** Told when publishing a change failed (the change itself is committed). */
  onPublishError?: (error: unknown) => void;
  /** Where moved suggestions wait to be stored after a read's answer (the node shares one, and waits for it on shutdown). @default one of its own */
  writeBehind?: WriteScheduler;
  /** Where reads leave the suggestions they moved, for the next read to move on from. @default one of its own (PLACEMENTS_WEIGHT) */
  placements?: PlacementCache<Delta>;
}

/** Suggestions the node keeps placed (PlacementCache), weighed as their bytes and 64 more each: 8 MB in all. */
const PLACEMENTS_WEIGHT = 8 * 1024 * 1024;
const weighPlacement = (delta: Delta) => 64 + opsBytes(delta.ops);

/** The clientId an accepted suggestion is committed with (clientSeq 0): one op per suggestion, whoever accepts it. */
export const suggestionClientId = (id: string) => `suggestion-${id}`;
const acceptHash = (id: string) => createHash('sha256').update(`acceptSuggestion\u0000${id}`).digest('hex');

/** Longest clientId, in UTF-8 bytes (as for submissions). */
const MAX_CLIENT_ID_BYTES = 200;

const SELECT = {
  id: true,
  documentId: true,
  authorId: true,
  clientId: true,
  clientSeq: true,
  requestHash: true,
  baseVersion: true,
  originalDelta: true,
  version: true,
  delta: true,
  status: true,
  acceptedVersion: true,
  acceptedById: true,
  createdAt: true,
  settledAt: true,
} satisfies Prisma.SuggestionSelect;

type Row = Prisma.SuggestionGetPayload<{ select: typeof SELECT }>;

/** Suggestions stored per statement after a read's answer. */
const WRITE_BEHIND_SLICE = 100;

/** A suggestion as a read placed it, to store (as settled, when OUTDATED). */
interface Moved {
  view: SuggestionView;
  outdated: boolean;
}

const prismaCode = (error: unknown): unknown => (typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined);

const checkId = (id: string): string => {
  if (id.length > 64 || !isCleanText(id)) throw notFound('Suggestion');
  return id;
};

const deltaOf = (json: unknown) => new Delta((json as { ops: Delta['ops'] }).ops);
const jsonOf = (delta: Delta) => ({ ops: delta.ops }) as unknown as Prisma.InputJsonValue;

export class Suggestions {
  private readonly prisma: PrismaClient;
  private readonly sequencer: Sequencer;
  private readonly log: OperationLog;
  private readonly documents: Documents;
  private readonly bus: Bus<SuggestionView>;
  private readonly writeBackAfter: number;
  private readonly onPublishError: (error: unknown) => void;
  private readonly writeBehind: WriteScheduler;
  private readonly placements: PlacementCache<Delta>;
  constructor(prisma: PrismaClient, sequencer: Sequencer, log: OperationLog, documents: Documents, bus: Bus<SuggestionView>, options: SuggestionsOptions = {}) {
    this.prisma = prisma;
    this.sequencer = sequencer;
    this.log = log;
    this.documents = documents;
    this.bus = bus;
    this.writeBackAfter = options.writeBackAfter ?? 100;
    this.onPublishError = options.onPublishError ?? (() => {});
    this.writeBehind = options.writeBehind ?? new WriteBehind();
    this.placements = options.placements ?? new PlacementCache({ maxWeight: PLACEMENTS_WEIGHT, weigh: weighPlacement });
  }

  /** The document's suggestions (COMMENTER and above), oldest first, the open ones moved to the head. */
  async list(viewer: Viewer | null, documentId: string, status: SuggestionStatus | null): Promise<SuggestionView[]> {
    await this.documents.role(viewer, documentId, 'COMMENTER');
    // OPEN ones may turn OUTDATED as they are placed: read them too, and filter after.
    const statuses: SuggestionStatus[] | null = status === 'OPEN' || status === 'OUTDATED' ? ['OPEN', 'OUTDATED'] : status ? [status] : null;
    const views = await this.place(documentId, await this.rowsOf(documentId, statuses));
    return status ? views.filter((v) => v.status === status) : views;
  }

  /**
   * The document's suggestions with these statuses (all when null), oldest
   * first, as findMany(SELECT) would give them, in one statement that hands
   * back one JSON array (the deltas in it as they are stored): no row
   * parsing per field, and no query plan for Prisma to build on the first
   * read of a document's suggestions.
   */
  private async rowsOf(documentId: string, statuses: SuggestionStatus[] | null): Promise<Row[]> {
    const [found] = await this.prisma.$queryRaw<Array<{ rows: string | null }>>`
      SELECT json_agg(json_build_array(
          s."id", s."authorId", s."clientId", s."clientSeq", s."requestHash", s."baseVersion", s."originalDelta", s."version", s."delta", s."status",
          s."acceptedVersion", s."acceptedById", (extract(epoch FROM s."createdAt") * 1000)::bigint, (extract(epoch FROM s."settledAt") * 1000)::bigint)
        ORDER BY s."createdAt", s."id")::text AS rows
      FROM "Suggestion" s
      WHERE s."documentId" = ${documentId} AND (${statuses}::text[] IS NULL OR s."status"::text = ANY(${statuses}::text[]))`;
    // Times as milliseconds since 1970: the columns hold UTC, as Prisma writes and reads them.
    type Tuple = [string, string | null, string, number, string | null, number, Prisma.JsonValue, number, Prisma.JsonValue, SuggestionStatus, number | null, string | null, number, number | null];
    return (JSON.parse(found?.rows ?? '[]') as Tuple[]).map(
      ([id, authorId, clientId, clientSeq, requestHash, baseVersion, originalDelta, version, delta, status, acceptedVersion, acceptedById, createdAt, settledAt]): Row => ({
        id,
        documentId,
        authorId,
        clientId,
        clientSeq,
        requestHash,
        baseVersion,
        originalDelta,
        version,
        delta,
        status,
        acceptedVersion,
        acceptedById,
        createdAt: new Date(createdAt),
        settledAt: settledAt === null ? null : new Date(settledAt),
      }),
    );
  }

  /**
   * Stores `input.delta`, checked like a submission (the Delta scalar's
   * shape and text checks, then the node's delta policy here) and required
   * to apply to the content at baseVersion. Idempotent by (documentId,
   * clientId, clientSeq): the same author with the same baseVersion and
   * delta gets the first suggestion back, anything else IDEMPOTENCY_KEY_REUSED.
   */
  async suggest(viewer: Viewer | null, input: SuggestInput, extra: { requestHash?: string } = {}): Promise<SuggestionView> {
    const { userId } = requireViewer(viewer);
    const { documentId, baseVersion, delta } = input;
    await this.documents.role(viewer, documentId, 'COMMENTER');
    const clientId = checkText(input.clientId, 'clientId', { minLength: 1, maxBytes: MAX_CLIENT_ID_BYTES });
    if (!Number.isSafeInteger(input.clientSeq) || input.clientSeq < 0) throw badInput('clientSeq must be a non-negative integer', { field: 'clientSeq' });
    const first = await this.prisma.suggestion.findUnique({ where: { documentId_clientId_clientSeq: { documentId, clientId, clientSeq: input.clientSeq } }, select: SELECT });
    if (first) return this.replay(first, userId, input, extra.requestHash);

    this.documents.checkSubmittedDelta(delta);
    if (!changesSomething(delta)) throw badInput('delta changes nothing: a suggestion must insert, delete or format something', { field: 'delta' });
    const head = await this.sequencer.head(documentId);
    if (!Number.isSafeInteger(baseVersion) || baseVersion < 0 || baseVersion > head.version) {
      throw badInput(`baseVersion must be between 0 and the head version ${head.version}`, { field: 'baseVersion', headVersion: head.version });
    }
    const content = baseVersion === head.version ? head.content : await this.sequencer.contentAt(documentId, baseVersion);
    const needs = baseLength(delta);
    if (needs > content.length()) {
      throw badInput(`delta does not apply to version ${baseVersion}: it spans ${needs} characters, the document has ${content.length()}`, { field: 'delta' });
    }
    if (splitsSurrogatePair(content, delta)) throw badInput('delta would split a character in two (between the halves of a surrogate pair)', { reason: 'SPLITS_SURROGATE_PAIR' });
    // Stored at the head this request saw, moved over the ops since: reads start from there.
    const since = await this.sequencer.opsBetween(documentId, baseVersion, head.version);
    if (since.length !== head.version - baseVersion) throw badInput('baseVersion is older than the log can transform from', { field: 'baseVersion' });
    const moved = moveSuggestion(delta, delta, since);
    const row = await this.prisma.suggestion
      .create({
        data: {
          documentId,
          authorId: userId,
          clientId,
          clientSeq: input.clientSeq,
          requestHash: extra.requestHash ?? null,
          baseVersion,
          originalDelta: jsonOf(delta),
          version: head.version,
          delta: jsonOf(moved.delta),
          status: moved.outdated ? 'OUTDATED' : 'OPEN',
          settledAt: moved.outdated ? new Date() : null,
        },
        select: SELECT,
      })
      .catch(async (error: unknown) => {
        // The document was deleted since its role was read.
        if (prismaCode(error) === 'P2003') throw notFound();
        // The same key, suggested at the same moment: the first one's answer.
        if (prismaCode(error) === 'P2002') {
          const won = await this.prisma.suggestion.findUnique({ where: { documentId_clientId_clientSeq: { documentId, clientId, clientSeq: input.clientSeq } }, select: SELECT });
          if (won) return { replayed: await this.replay(won, userId, input, extra.requestHash) };
        }
        throw error;
      });
    if ('replayed' in row) return row.replayed;
    return this.changed(row);
  }

  /**
   * Commits the suggestion (EDITOR and above) as a forward op, rebased to
   * the head; the op's author is the caller. ACCEPTED already: its op.
   * REJECTED: SUGGESTION_CLOSED; OUTDATED (now or found so here): SUGGESTION_OUTDATED.
   */
  async accept(viewer: Viewer | null, suggestionId: string): Promise<CommittedOp> {
    const me = requireViewer(viewer);
    const found = await this.find(viewer, suggestionId);
    await this.documents.role(viewer, found.documentId, 'EDITOR');
    const clientId = suggestionClientId(found.id);
    const requestHash = acceptHash(found.id);
    // Committed already (by a concurrent accept, or before a crash left the row OPEN): that op.
    const committed = async () => {
      const op = await this.log.findByClient(found.documentId, clientId, 0);
      if (op && op.requestHash !== requestHash) throw keyReused(); // someone took the key with an op of their own
      if (op) await this.settleAccepted(found.id, op);
      return op;
    };
    if (found.status === 'ACCEPTED') {
      const op = await committed();
      // Marked ACCEPTED only after its op committed, and the log keeps every op.
      if (!op) throw new Error(`suggestion ${found.id} is ACCEPTED but its op is not in the log`);
      return op;
    }
    if (found.status === 'REJECTED') throw badInput('This suggestion was rejected', { reason: 'SUGGESTION_CLOSED' });
    const [view] = await this.place(found.documentId, [found]);
    if (view!.status === 'OUTDATED') {
      const op = await committed();
      if (op) return op;
      throw badInput('The text this suggestion changes is gone: it cannot be applied', { reason: 'SUGGESTION_OUTDATED' });
    }
    const op = await this.documents.submit(
      me,
      { documentId: found.documentId, baseVersion: view!.version, delta: view!.delta, clientId, clientSeq: 0 },
      { requestHash, anyAuthor: true },
    );
    await this.settleAccepted(found.id, op);
    return op;
  }

  /** Marks it REJECTED: EDITOR and above, or its own suggester (withdrawing it). Rejecting a rejected one changes nothing; an ACCEPTED one: SUGGESTION_CLOSED. */
  async reject(viewer: Viewer | null, suggestionId: string): Promise<SuggestionView> {
    const { userId } = requireViewer(viewer);
    const found = await this.find(viewer, suggestionId);
    if (found.authorId !== userId) await this.documents.role(viewer, found.documentId, 'EDITOR');
    if (found.status === 'REJECTED') return (await this.place(found.documentId, [found]))[0]!;
    if (found.status === 'ACCEPTED') throw badInput('This suggestion was accepted already', { reason: 'SUGGESTION_CLOSED' });
    const { count } = await this.prisma.suggestion.updateMany({ where: { id: found.id, status: { in: ['OPEN', 'OUTDATED'] } }, data: { status: 'REJECTED', settledAt: new Date() } });
    const row = await this.prisma.suggestion.findUnique({ where: { id: found.id }, select: SELECT });
    if (!row) throw notFound('Suggestion');
    if (count === 0 && row.status === 'ACCEPTED') throw badInput('This suggestion was accepted already', { reason: 'SUGGESTION_CLOSED' });
    return count === 0 ? (await this.place(row.documentId, [row]))[0]! : this.changed(row);
  }

  /** The suggestion stored under this key, if any (for editDocument's retries). */
  async findByKey(documentId: string, clientId: string, clientSeq: number): Promise<{ baseVersion: number } | null> {
    return this.prisma.suggestion.findUnique({ where: { documentId_clientId_clientSeq: { documentId, clientId, clientSeq } }, select: { baseVersion: true } });
  }

  /** The suggestion as an op-to-be (editDocument with asSuggestion): its delta at the head, version = head + 1, its author the suggester. */
  static opToBe(view: SuggestionView): CommittedOp {
    return {
      documentId: view.documentId,
      version: view.version + 1,
      delta: view.delta,
      clientId: suggestionClientId(view.id),
      clientSeq: 0,
      authorId: view.authorId,
      createdAt: view.createdAt,
    };
  }

  private async replay(first: Row, userId: string, input: SuggestInput, requestHash: string | undefined): Promise<SuggestionView> {
    const same = requestHash !== undefined
      ? first.requestHash === requestHash
      : first.requestHash === null && first.baseVersion === input.baseVersion && sameJson(deltaOf(first.originalDelta).ops, input.delta.ops);
    if (first.authorId !== userId || !same) throw keyReused();
    return (await this.place(first.documentId, [first]))[0]!;
  }

  private async settleAccepted(id: string, op: CommittedOp): Promise<void> {
    // Whatever the status said meanwhile (a racing reject): the op is in the log, so it is ACCEPTED.
    const { count } = await this.prisma.suggestion.updateMany({
      where: { id, acceptedVersion: null },
      data: { status: 'ACCEPTED', acceptedVersion: op.version, acceptedById: op.authorId, version: op.version - 1, delta: jsonOf(op.delta), settledAt: new Date() },
    });
    if (count === 0) return;
    const row = await this.prisma.suggestion.findUnique({ where: { id }, select: SELECT });
    if (row) await this.changed(row);
  }

  /** The suggestion if the viewer may read its document's suggestions; NOT_FOUND for a stranger or no such suggestion. */
  private async find(viewer: Viewer | null, suggestionId: string): Promise<Row> {
    requireViewer(viewer);
    const row = await this.prisma.suggestion.findUnique({ where: { id: checkId(suggestionId) }, select: SELECT });
    if (!row) throw notFound('Suggestion');
    try {
      await this.documents.role(viewer, row.documentId, 'COMMENTER');
    } catch (error) {
      // A stranger gets the same NOT_FOUND as for an id that does not exist, so ids cannot be probed.
      if (error instanceof AppError && error.code === 'NOT_FOUND') throw notFound('Suggestion');
      throw error;
    }
    return row;
  }

  private async changed(row: Row): Promise<SuggestionView> {
    const [view] = await this.place(row.documentId, [row]);
    await this.publish(view!);
    return view!;
  }

  private async publish(view: SuggestionView): Promise<void> {
    try {
      await this.bus.publish(suggestionsTopic(view.documentId), view);
    } catch (error) {
      this.onPublishError(error);
    }
  }

  /**
   * Moves each OPEN row to the head: from where the last read placed it
   * (PlacementCache), or else from where it is stored; one read of the ops
   * since the oldest of those, then the rule over that shared list
   * (SuggestionMover: most steps skip the transform). Rows found OUTDATED
   * are stored at once (in one statement, only while still OPEN) and
   * announced; rows stored writeBackAfter ops or more behind are stored
   * after the answer (WriteBehind), so reads on other nodes, and after a
   * restart, start from there. Either way only forward.
   */
  private async place(documentId: string, rows: Row[]): Promise<SuggestionView[]> {
    if (rows.length === 0) return [];
    const head = await this.sequencer.head(documentId);
    const starts = rows.map((r) => {
      if (r.status !== 'OPEN') return null;
      const source = String(r.version);
      const placed = this.placements.startOf(documentId, r.id, source, head.version);
      return { source, version: placed ? placed.version : r.version, delta: placed ? placed.value : deltaOf(r.delta) };
    });
    let from = head.version;
    for (const s of starts) if (s && s.version < from) from = s.version;
    const ops = from === head.version ? [] : await this.sequencer.opsBetween(documentId, from, head.version);
    const mover = new SuggestionMover(ops.map((op) => op.delta));
    const outdated: Moved[] = [];
    const far: Moved[] = [];
    const kept: Array<[string, Placed<Delta>]> = [];
    const views = rows.map((r, k): SuggestionView => {
      const start = starts[k];
      let delta = start ? start.delta : deltaOf(r.delta);
      let version = start ? start.version : r.version;
      let status = r.status;
      if (start && start.version < head.version) {
        const next = mover.move(deltaOf(r.originalDelta), delta, start.version - from);
        delta = next.delta;
        version = head.version;
        if (next.outdated) status = 'OUTDATED';
        else kept.push([r.id, { source: start.source, version, value: delta }]);
      }
      const view: SuggestionView = {
        id: r.id,
        documentId: r.documentId,
        authorId: r.authorId,
        status,
        version,
        delta,
        clientId: r.clientId,
        clientSeq: r.clientSeq,
        acceptedVersion: r.acceptedVersion,
        acceptedById: r.acceptedById,
        createdAt: r.createdAt,
        settledAt: r.settledAt,
      };
      if (status === 'OUTDATED' && r.status === 'OPEN') outdated.push({ view, outdated: true });
      else if (version !== r.version && head.version - r.version >= this.writeBackAfter) far.push({ view, outdated: false });
      return view;
    });
    // OUTDATED is for good, and announced: stored before the answer, like any change of state.
    const written = await this.writeBack(head.version, outdated);
    for (const { view } of outdated) if (written.has(view.id)) await this.publish(view);
    // Those moved here and still OPEN, for the next read.
    this.placements.keep(documentId, kept);
    if (far.length > 0) {
      this.writeBehind.schedule(`suggestions:${documentId}`, head.version, inSlices(far, WRITE_BEHIND_SLICE, (slice) => this.writeBack(head.version, slice)));
    }
    return views;
  }

  /** Resolves once the suggestions reads left to store after their answers are stored (tests, and shutdown through the shared WriteBehind). */
  async settled(): Promise<void> {
    await this.writeBehind.idle();
  }

  /**
   * Stores the suggestions `moved` at `version` (and OUTDATED ones as
   * settled), one statement for them all; a row no longer OPEN, or already
   * stored at `version` or later, is left as it is. The ids it wrote.
   */
  private async writeBack(version: number, moved: Moved[]): Promise<Set<string>> {
    if (moved.length === 0) return new Set();
    const ids = moved.map((m) => m.view.id);
    const deltas = moved.map((m) => JSON.stringify(jsonOf(m.view.delta)));
    const outdated = moved.map((m) => m.outdated);
    const settledAt = new Date().toISOString();
    const written = await this.prisma.$queryRaw<Array<{ id: string }>>`
      UPDATE "Suggestion" AS s
      SET "version" = ${version},
          "delta" = m.d::jsonb,
          "status" = CASE WHEN m.o THEN 'OUTDATED'::"SuggestionStatus" ELSE s."status" END,
          "settledAt" = CASE WHEN m.o THEN (${settledAt}::timestamptz AT TIME ZONE 'UTC')::timestamp(3) ELSE s."settledAt" END
      FROM unnest(${ids}::text[], ${deltas}::text[], ${outdated}::boolean[]) AS m(id, d, o)
      WHERE s."id" = m.id AND s."status" = 'OPEN' AND s."version" < ${version}
      RETURNING s."id"`;
    return new Set(written.map((w) => w.id));
  }
}
