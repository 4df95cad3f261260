// Comment threads on a range of text, with the role check on every path:
// COMMENTER and above read and write threads; VIEWER reads the text only.
//
// Anchors cost nothing per committed op: a thread stores its range with the
// version it is valid at, and a read moves it to the head by the rule of
// protocol/anchor.ts, over the ops since (from the cached head's window, or
// the log). The next read on this node moves it on from where that read
// placed it (collab/placement-cache.ts); a read that moved a range far
// stores it back at a quiet moment after its answer (store/write-behind.ts),
// so reads on other nodes start from there too. Changes are
// published on the document's threads topic (pubsub/channels.ts) for
// documentThreads on every node.
import { AnchorMover, transformAnchorThrough, type AnchorRange } from '../../../protocol/anchor.ts';
import type { Delta } from '../../../protocol/delta.ts';
import { isCleanText } from '../../../protocol/text.ts';
import { mentions } from '../../../protocol/mentions.ts';
import { PlacementCache, type Placed } from '../collab/placement-cache.ts';
import type { Sequencer } from '../collab/sequencer.ts';
import type { Bus } from '../collab/types.ts';
import type { Documents, Viewer } from '../documents/documents.ts';
import { requireViewer } from '../documents/documents.ts';
import { AppError, badInput, forbidden, notFound } from '../errors.ts';
import { threadsTopic } from '../pubsub/channels.ts';
import type { Prisma, PrismaClient } from '../store/generated/client.ts';
import { inSlices, WriteBehind, type WriteScheduler } from '../store/write-behind.ts';
import { checkText } from '../validation/text.ts';

export type ThreadStatus = 'OPEN' | 'RESOLVED';

export interface AnchorView extends AnchorRange {
  /** The version index and length refer to (the head when read). */
  version: number;
}

export interface CommentView {
  id: string;
  threadId: string;
  /** The thread's document (for mentions: who may be named). */
  documentId: string;
  authorId: string | null;
  body: string;
  createdAt: Date;
  editedAt: Date | null;
}

export interface ThreadView {
  id: string;
  documentId: string;
  quote: string;
  status: ThreadStatus;
  /** Null once its text is wholly deleted (detached). */
  anchor: AnchorView | null;
  /** Oldest first. Empty on the last event of a thread that was deleted with its last comment. */
  comments: CommentView[];
  createdAt: Date;
}

/** A comment's body: 1 to 10,000 characters (UTF-16 code units), well-formed text. */
export const MAX_BODY = 10_000;
/** The quote keeps the first this many characters of the range, then '…'. */
export const MAX_QUOTE = 1_000;
/** An embed (image, formula) in a quote. */
const EMBED = '\uFFFC';

export interface CommentsOptions {
  /** Writes a moved anchor back once a read has moved it over at least this many ops. @default 100 */
  writeBackAfter?: number;
  /** Told when publishing a change failed (the change itself is committed). */
  onPublishError?: (error: unknown) => void;
  /** Where moved anchors wait to be stored after a read's answer (the node shares one, and waits for it on shutdown). @default one of its own */
  writeBehind?: WriteScheduler;
  /** Where reads leave the anchors they placed, for the next read to move on from. @default one of its own (PLACEMENTS_WEIGHT) */
  placements?: PlacementCache<AnchorRange>;
}

/** Anchors the node keeps placed (PlacementCache), as weight: ~64 bytes each, 4 MB in all. */
const PLACEMENT_WEIGHT = 64;
const PLACEMENTS_WEIGHT = 4 * 1024 * 1024;

const THREAD_SELECT = {
  id: true,
  documentId: true,
  quote: true,
  status: true,
  anchorVersion: true,
  anchorIndex: true,
  anchorLength: true,
  createdAt: true,
  comments: { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], select: { id: true, threadId: true, authorId: true, body: true, createdAt: true, editedAt: true } },
} satisfies Prisma.CommentThreadSelect;

type ThreadRow = Prisma.CommentThreadGetPayload<{ select: typeof THREAD_SELECT }>;

/** Anchors stored per statement after a read's answer. */
const WRITE_BEHIND_SLICE = 250;

/** A thread's anchor as a read placed it (null: detached), to store. */
interface Moved {
  id: string;
  range: AnchorRange | null;
}

function checkBody(body: string): string {
  const text = checkText(body, 'body');
  if (text.trim().length === 0) throw badInput('body must not be empty', { field: 'body' });
  if (text.length > MAX_BODY) throw badInput(`body must be 1 to ${MAX_BODY} characters`, { field: 'body', limit: 'commentBody', max: MAX_BODY });
  return text;
}

/** The comment as its thread now holds it; NOT_FOUND if a racing delete took it meanwhile. */
function commentIn(thread: ThreadView, commentId: string): CommentView {
  const comment = thread.comments.find((c) => c.id === commentId);
  if (!comment) throw notFound('Comment');
  return comment;
}

/** The members `body` names with `@` and their display name (protocol/mentions.ts). Plain text stays as written: mentions are read from it, for clients to show and notify. */
export function mentionedIn<U extends { name: string }>(body: string, members: readonly U[]): U[] {
  if (!body.includes('@')) return [];
  return members.filter((m) => mentions(body, m.name));
}

/** Prisma's error code (P2003: a foreign key found no row), if `error` is Prisma's. */
const prismaCode = (error: unknown): unknown => (typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined);

/** Ids are uuids; anything else (or text PostgreSQL would refuse) cannot name a row. */
const checkId = (id: string, what: string): string => {
  if (id.length > 64 || !isCleanText(id)) throw notFound(what);
  return id;
};

/** The plain text of `content` (embeds as U+FFFC), cut to MAX_QUOTE characters (never between the halves of a pair). */
function quoteOf(content: Delta): string {
  let text = '';
  for (const op of content.ops) {
    text += typeof op.insert === 'string' ? op.insert : EMBED;
    if (text.length > MAX_QUOTE) {
      const cut = isHighSurrogate(text.charCodeAt(MAX_QUOTE - 1)) ? MAX_QUOTE - 1 : MAX_QUOTE;
      return text.slice(0, cut) + '…';
    }
  }
  return text;
}

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/**
 * Whether the range `slice` was cut from starts or ends between the halves
 * of a surrogate pair (Quill counts UTF-16 code units): such a range names
 * half a character, and its quote would not be well-formed text.
 */
function splitsPair(slice: Delta): boolean {
  const first = slice.ops[0]?.insert;
  const last = slice.ops.at(-1)?.insert;
  return (typeof first === 'string' && isLowSurrogate(first.charCodeAt(0))) || (typeof last === 'string' && isHighSurrogate(last.charCodeAt(last.length - 1)));
}

export class Comments {
  private readonly prisma: PrismaClient;
  private readonly sequencer: Sequencer;
  private readonly documents: Documents;
  private readonly bus: Bus<ThreadView>;
  private readonly writeBackAfter: number;
  private readonly onPublishError: (error: unknown) => void;
  private readonly writeBehind: WriteScheduler;
  private readonly placements: PlacementCache<AnchorRange>;
  constructor(prisma: PrismaClient, sequencer: Sequencer, documents: Documents, bus: Bus<ThreadView>, options: CommentsOptions = {}) {
    this.prisma = prisma;
    this.sequencer = sequencer;
    this.documents = documents;
    this.bus = bus;
    this.writeBackAfter = options.writeBackAfter ?? 100;
    this.onPublishError = options.onPublishError ?? (() => {});
    this.writeBehind = options.writeBehind ?? new WriteBehind();
    this.placements = options.placements ?? new PlacementCache({ maxWeight: PLACEMENTS_WEIGHT, weigh: () => PLACEMENT_WEIGHT });
  }

  /** The members the comment names with `@name` (mentionedIn); no query when it has no `@`. */
  async mentions(comment: CommentView): Promise<Array<{ id: string; email: string; name: string }>> {
    if (!comment.body.includes('@')) return [];
    const members = await this.prisma.documentMember.findMany({
      where: { documentId: comment.documentId },
      orderBy: [{ createdAt: 'asc' }, { userId: 'asc' }],
      select: { user: { select: { id: true, email: true, name: true } } },
    });
    return mentionedIn(comment.body, members.map((m) => m.user));
  }

  /** The document's threads (COMMENTER and above), oldest first, anchors placed at the head. */
  async list(viewer: Viewer | null, documentId: string, status: ThreadStatus | null): Promise<ThreadView[]> {
    await this.documents.role(viewer, documentId, 'COMMENTER');
    return this.place(documentId, await this.rowsOf(documentId, status));
  }

  /**
   * The document's threads with their comments, oldest first, as
   * findMany(THREAD_SELECT) would give them, in one statement (one
   * snapshot) that hands back two JSON arrays: a document's 1,000 threads
   * and their comments came as 2,000 rows of a dozen fields, whose parsing
   * (PGlite's wire protocol, then Prisma's mapping) cost more than the
   * query; two texts cost a JSON.parse each.
   */
  private async rowsOf(documentId: string, status: ThreadStatus | null): Promise<ThreadRow[]> {
    const [found] = await this.prisma.$queryRaw<Array<{ threads: string | null; comments: string | null }>>`
      SELECT
        (SELECT json_agg(json_build_array(t."id", t."quote", t."status", t."anchorVersion", t."anchorIndex", t."anchorLength", (extract(epoch FROM t."createdAt") * 1000)::bigint) ORDER BY t."createdAt", t."id")
           FROM "CommentThread" t
          WHERE t."documentId" = ${documentId} AND (${status}::text IS NULL OR t."status"::text = ${status}::text))::text AS threads,
        (SELECT json_agg(json_build_array(c."id", c."threadId", c."authorId", c."body", (extract(epoch FROM c."createdAt") * 1000)::bigint, (extract(epoch FROM c."editedAt") * 1000)::bigint) ORDER BY c."createdAt", c."id")
           FROM "Comment" c JOIN "CommentThread" t ON t."id" = c."threadId"
          WHERE t."documentId" = ${documentId} AND (${status}::text IS NULL OR t."status"::text = ${status}::text))::text AS comments`;
    // Times as milliseconds since 1970: the columns hold UTC (as Prisma writes and reads them), and a
    // Date from a number costs a fraction of one parsed from text.
    type ThreadTuple = [string, string, ThreadStatus, number, number | null, number | null, number];
    type CommentTuple = [string, string, string | null, string, number, number | null];
    const threads = JSON.parse(found?.threads ?? '[]') as ThreadTuple[];
    const comments = JSON.parse(found?.comments ?? '[]') as CommentTuple[];
    const rows = threads.map(([id, quote, status, anchorVersion, anchorIndex, anchorLength, createdAt]): ThreadRow => ({
      id, documentId, quote, status, anchorVersion, anchorIndex, anchorLength, createdAt: new Date(createdAt), comments: [],
    }));
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const [id, threadId, authorId, body, createdAt, editedAt] of comments) {
      byId.get(threadId)?.comments.push({ id, threadId, authorId, body, createdAt: new Date(createdAt), editedAt: editedAt === null ? null : new Date(editedAt) });
    }
    return rows;
  }

  async open(viewer: Viewer | null, input: { documentId: string; version: number; index: number; length: number; body: string }): Promise<ThreadView> {
    const { userId } = requireViewer(viewer);
    const body = checkBody(input.body);
    await this.documents.role(viewer, input.documentId, 'COMMENTER');
    const head = await this.sequencer.head(input.documentId);
    const { version, index, length } = input;
    if (!Number.isSafeInteger(version) || version < 0 || version > head.version) {
      throw badInput(`version must be between 0 and the head version ${head.version}`, { field: 'version', headVersion: head.version });
    }
    const content = version === head.version ? head.content : await this.sequencer.contentAt(input.documentId, version);
    const size = content.length();
    if (!Number.isSafeInteger(index) || !Number.isSafeInteger(length) || index < 0 || length < 1 || index + length > size) {
      throw badInput(`the range must lie in the text at version ${version} (length ${size}), at least 1 character long`, { field: 'index', length: size });
    }
    const slice = content.slice(index, index + length);
    if (splitsPair(slice)) throw badInput('the range must not start or end inside a character (between the halves of a surrogate pair)', { field: 'index' });
    const quote = quoteOf(slice);
    // Stored at the head this read saw: later ops move it on read.
    const since = await this.sequencer.opsBetween(input.documentId, version, head.version);
    // The log keeps every op today; should it ever drop old ones, a version it can no longer transform from is refused here.
    if (since.length !== head.version - version) throw badInput('version is older than the log can transform from', { field: 'version' });
    const anchor = transformAnchorThrough({ index, length }, since);
    const row = await this.prisma.commentThread.create({
      data: {
        documentId: input.documentId,
        quote,
        anchorVersion: head.version,
        anchorIndex: anchor?.index ?? null,
        anchorLength: anchor?.length ?? null,
        comments: { create: { authorId: userId, body } },
      },
      select: THREAD_SELECT,
    }).catch((error: unknown) => {
      // The document was deleted since its role was read.
      if (prismaCode(error) === 'P2003') throw notFound();
      throw error;
    });
    return this.changed(row);
  }

  async reply(viewer: Viewer | null, threadId: string, bodyInput: string): Promise<CommentView> {
    const { userId } = requireViewer(viewer);
    const body = checkBody(bodyInput);
    const thread = await this.thread(viewer, threadId);
    const comment = await this.prisma.comment.create({ data: { threadId: thread.id, authorId: userId, body }, select: { id: true } }).catch((error: unknown) => {
      // The thread was deleted (with its last comment) since it was found.
      if (prismaCode(error) === 'P2003') throw notFound('Thread');
      throw error;
    });
    return commentIn(await this.changedById(thread.id), comment.id);
  }

  async setStatus(viewer: Viewer | null, threadId: string, status: ThreadStatus): Promise<ThreadView> {
    const thread = await this.thread(viewer, threadId);
    // updateMany: a thread deleted since it was found is NOT_FOUND, not an error.
    const { count } = await this.prisma.commentThread.updateMany({ where: { id: thread.id }, data: { status } });
    if (count === 0) throw notFound('Thread');
    return this.changedById(thread.id);
  }

  /** Authors only: not even an OWNER puts words in someone else's mouth. */
  async edit(viewer: Viewer | null, commentId: string, bodyInput: string): Promise<CommentView> {
    const { userId } = requireViewer(viewer);
    const body = checkBody(bodyInput);
    const { comment, role } = await this.comment(viewer, commentId);
    if (comment.authorId !== userId) throw new AppError('FORBIDDEN', 'Only its author may edit a comment', { role });
    const { count } = await this.prisma.comment.updateMany({ where: { id: comment.id }, data: { body, editedAt: new Date() } });
    if (count === 0) throw notFound('Comment'); // deleted since it was found
    return commentIn(await this.changedById(comment.threadId), comment.id);
  }

  /**
   * Its author, or an OWNER. A thread lives as long as it has a comment:
   * deleting the first one leaves the replies (and the quote and anchor)
   * in place; deleting the last one left deletes the thread, announced on
   * documentThreads as the thread with no comments.
   */
  async delete(viewer: Viewer | null, commentId: string): Promise<void> {
    const { userId } = requireViewer(viewer);
    const { comment, role, documentId } = await this.comment(viewer, commentId);
    if (comment.authorId !== userId && role !== 'OWNER') throw forbidden('OWNER', role);
    const last = await this.prisma.$transaction(async (tx) => {
      // The thread's row lock orders this against other deletes and replies
      // of the thread (a reply's foreign-key check takes a share lock on it):
      // two people deleting its last two comments at once would each still
      // see the other's, and leave a thread with no comments.
      await tx.$queryRaw`SELECT 1 FROM "CommentThread" WHERE "id" = ${comment.threadId} FOR UPDATE`;
      const { count } = await tx.comment.deleteMany({ where: { id: comment.id } });
      if (count === 0) return null; // a concurrent delete won and has announced it
      const left = await tx.comment.count({ where: { threadId: comment.threadId } });
      if (left > 0) return false;
      return tx.commentThread.delete({ where: { id: comment.threadId }, select: THREAD_SELECT });
    });
    if (last === null) return;
    if (last === false) {
      await this.changedById(comment.threadId);
      return;
    }
    const [view] = await this.place(documentId, [last]);
    await this.publish({ ...view!, comments: [] });
  }

  /** The thread if the viewer may comment on its document; NOT_FOUND for a stranger or no such thread. */
  private async thread(viewer: Viewer | null, threadId: string): Promise<{ id: string; documentId: string }> {
    requireViewer(viewer);
    const thread = await this.prisma.commentThread.findUnique({ where: { id: checkId(threadId, 'Thread') }, select: { id: true, documentId: true } });
    if (!thread) throw notFound('Thread');
    await this.roleOr(viewer, thread.documentId, 'Thread');
    return thread;
  }

  private async comment(viewer: Viewer | null, commentId: string) {
    requireViewer(viewer);
    const comment = await this.prisma.comment.findUnique({
      where: { id: checkId(commentId, 'Comment') },
      select: { id: true, threadId: true, authorId: true, thread: { select: { documentId: true } } },
    });
    // Prisma reads the thread in a second statement: a thread deleted (with
    // its last comment) in between comes back null though the relation is required.
    if (!comment || !comment.thread) throw notFound('Comment');
    const documentId = comment.thread.documentId;
    const role = await this.roleOr(viewer, documentId, 'Comment');
    return { comment, role, documentId };
  }

  /** The viewer's role (at least COMMENTER); a stranger gets the same NOT_FOUND as for an id that does not exist, so ids cannot be probed. */
  private async roleOr(viewer: Viewer | null, documentId: string, what: string) {
    try {
      return await this.documents.role(viewer, documentId, 'COMMENTER');
    } catch (error) {
      if (error instanceof AppError && error.code === 'NOT_FOUND') throw notFound(what);
      throw error;
    }
  }

  private async changedById(threadId: string): Promise<ThreadView> {
    const row = await this.prisma.commentThread.findUnique({ where: { id: threadId }, select: THREAD_SELECT });
    if (!row) throw notFound('Thread'); // deleted meanwhile with its last comment
    return this.changed(row);
  }

  private async changed(row: ThreadRow): Promise<ThreadView> {
    const [view] = await this.place(row.documentId, [row]);
    await this.publish(view!);
    return view!;
  }

  private async publish(view: ThreadView): Promise<void> {
    try {
      await this.bus.publish(threadsTopic(view.documentId), view);
    } catch (error) {
      this.onPublishError(error);
    }
  }

  /**
   * Moves each row's anchor to the head: from where the last read placed it
   * (PlacementCache), or else from where it is stored; one read of the ops
   * since the oldest of those (none when all are at the head), then the
   * rule over that shared list (AnchorMover: each op read once for them
   * all). Anchors found detached are stored at once (in one statement);
   * anchors stored over writeBackAfter ops or more behind are stored after
   * the answer (WriteBehind), so reads on other nodes, and after a restart,
   * start from there. Either way only forward: a slower reader never undoes
   * a newer write-back.
   */
  private async place(documentId: string, rows: ThreadRow[]): Promise<ThreadView[]> {
    if (rows.length === 0) return [];
    const head = await this.sequencer.head(documentId);
    const starts = rows.map((r) => {
      const stored: AnchorRange | null = r.anchorIndex === null || r.anchorLength === null ? null : { index: r.anchorIndex, length: r.anchorLength };
      const source = `${r.anchorVersion}:${r.anchorIndex}:${r.anchorLength}`;
      const placed = stored && this.placements.startOf(documentId, r.id, source, head.version);
      return { stored, source, version: placed ? placed.version : r.anchorVersion, range: placed ? placed.value : stored };
    });
    let from = head.version;
    for (const s of starts) if (s.range !== null && s.version < from) from = s.version;
    const ops = from === head.version ? [] : await this.sequencer.opsBetween(documentId, from, head.version);
    const mover = new AnchorMover(ops.map((op) => op.delta));
    const detached: Moved[] = [];
    const far: Moved[] = [];
    const kept: Array<[string, Placed<AnchorRange>]> = [];
    const views = rows.map((r, k): ThreadView => {
      const start = starts[k]!;
      const moved = start.range !== null && start.version < head.version;
      const range = moved ? mover.move(start.range, start.version - from) : start.range;
      if (start.stored && !range) detached.push({ id: r.id, range });
      else if (range && head.version - r.anchorVersion >= this.writeBackAfter) far.push({ id: r.id, range });
      // Detached ones are stored as such before the answer: the next read starts from their row.
      if (moved && range) kept.push([r.id, { source: start.source, version: head.version, value: range }]);
      return {
        id: r.id,
        documentId: r.documentId,
        quote: r.quote,
        status: r.status,
        anchor: range && { version: head.version, ...range },
        comments: r.comments.map((c) => ({ ...c, documentId: r.documentId })),
        createdAt: r.createdAt,
      };
    });
    // A detached anchor stays detached for good: stored before the answer, like any change of state.
    await this.writeBack(head.version, detached);
    // Those moved here, for the next read.
    this.placements.keep(documentId, kept);
    if (far.length > 0) {
      this.writeBehind.schedule(`threads:${documentId}`, head.version, inSlices(far, WRITE_BEHIND_SLICE, (slice) => this.writeBack(head.version, slice)));
    }
    return views;
  }

  /** Resolves once the anchors reads left to store after their answers are stored (tests, and shutdown through the shared WriteBehind). */
  async settled(): Promise<void> {
    await this.writeBehind.idle();
  }

  /** Stores the anchors `moved` at `version`, one statement for them all; a row already stored at `version` or later is left as it is. */
  private async writeBack(version: number, moved: Moved[]): Promise<void> {
    if (moved.length === 0) return;
    const ids = moved.map((m) => m.id);
    const indexes = moved.map((m) => m.range?.index ?? null);
    const lengths = moved.map((m) => m.range?.length ?? null);
    await this.prisma.$executeRaw`
      UPDATE "CommentThread" AS t
      SET "anchorVersion" = ${version}, "anchorIndex" = m.i, "anchorLength" = m.l
      FROM unnest(${ids}::text[], ${indexes}::int[], ${lengths}::int[]) AS m(id, i, l)
      WHERE t."id" = m.id AND t."anchorVersion" < ${version}`;
  }
}
