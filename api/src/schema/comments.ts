// Comment threads: Document.threads, the six mutations and documentThreads.
// Every path checks the role in api/src/comments/threads.ts: COMMENTER and
// above; a VIEWER gets FORBIDDEN, a stranger NOT_FOUND.
import type { AnchorView, CommentView, ThreadView } from '../comments/threads.ts';
import { threadsTopic } from '../pubsub/channels.ts';
import { utf8Bytes } from '../../../protocol/text.ts';
import { builder, type Context } from './builder.ts';
import { chargeResponse } from './response-budget.ts';
import { DocumentRef } from './documents.ts';
import { busStream, unlessAccessLost } from './stream-guard.ts';
import { knowUsers, selects, userById } from './known-users.ts';
import { UserRef } from './users.ts';

const ThreadStatusEnum = builder.enumType('ThreadStatus', {
  description: 'Whether a thread is still being discussed.',
  values: {
    OPEN: { description: 'Open (new threads, and reopened ones).' },
    RESOLVED: { description: 'Resolved: kept, with its comments; reopen it to go on.' },
  } as const,
});

const AnchorRef = builder.objectRef<AnchorView>('Anchor').implement({
  description:
    'Where a thread sits in the text: `length` characters from `index`, at `version` (the head when read). It moves with every edit by the rule of protocol/anchor.ts: inserts at its edges do not extend it (docs/protocol.md, "Comment anchors").',
  fields: (t) => ({
    version: t.exposeInt('version', { description: 'The document version index and length refer to.' }),
    index: t.exposeInt('index', { description: 'First character of the range, in Quill units.' }),
    length: t.exposeInt('length', { description: 'Characters in the range (at least 1).' }),
  }),
});

const CommentRef = builder.objectRef<CommentView>('Comment').implement({
  description: 'One comment of a thread.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable id of the comment.' }),
    author: t.field({
      type: UserRef,
      nullable: true,
      description: 'Who wrote it; null if that account no longer exists.',
      resolve: (c, _a, ctx) => (c.authorId ? userById(ctx, c.authorId) : null),
    }),
    body: t.string({
      description: 'The text, 1 to 10,000 characters, as written (plain text; `mentions` lists the members it names with `@name`). Counts against the response budget (MAX_RESPONSE_BYTES).',
      resolve: (c, _a, ctx, info) => {
        chargeResponse(ctx, info, utf8Bytes(c.body));
        return c.body;
      },
    }),
    mentions: t.field({
      type: [UserRef],
      description: 'The members of the document it names with `@` and their name (any case; "@Ann" does not name Anna), in the order they were added.',
      resolve: (c, _a, ctx) => ctx.services.comments.mentions(c),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was written.' }),
    editedAt: t.expose('editedAt', { type: 'DateTime', nullable: true, description: 'When its author last edited it; null if never.' }),
  }),
});

export const CommentThreadRef = builder.objectRef<ThreadView>('CommentThread').implement({
  description: 'A discussion about a range of the text.',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable id of the thread.' }),
    anchor: t.field({
      type: AnchorRef,
      nullable: true,
      description: 'The range now, at the head; null once its text is wholly deleted (detached: it keeps its quote and comments).',
      resolve: (th) => th.anchor,
    }),
    quote: t.string({
      description: 'The text under the range when the thread was opened (embeds as U+FFFC; cut after 1,000 characters, ending with "…").',
      resolve: (th, _a, ctx, info) => {
        chargeResponse(ctx, info, utf8Bytes(th.quote));
        return th.quote;
      },
    }),
    status: t.field({ type: ThreadStatusEnum, description: 'OPEN or RESOLVED.', resolve: (th) => th.status }),
    comments: t.field({
      type: [CommentRef],
      description: 'Oldest first; the first one opened the thread. Empty only on the last documentThreads event of a thread deleted with its last comment.',
      resolve: (th) => th.comments,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was opened.' }),
  }),
});

builder.objectField(DocumentRef, 'threads', (t) =>
  t.field({
    type: [CommentThreadRef],
    description: 'Its comment threads, oldest first, anchors placed at the head (COMMENTER and above; a VIEWER gets FORBIDDEN).',
    args: { status: t.arg({ type: ThreadStatusEnum, description: 'Only threads with this status; all when omitted.' }) },
    resolve: async (doc, args, ctx, info) => {
      const threads = await ctx.services.comments.list(ctx.viewer, doc.id, args.status ?? null);
      if (selects(info, ['comments', 'author'])) await knowUsers(ctx, info, threads.flatMap((t) => t.comments.map((c) => c.authorId)));
      return threads;
    },
  }),
);

/** Comment writes share one budget per user (RATE_LIMIT_COMMENT_PER_USER_RATE / _BURST). */
async function limitComments(ctx: Context): Promise<void> {
  if (ctx.viewer) await ctx.services.rateLimits.consume(['commentPerUser', ctx.viewer.userId]);
}

const bodyArg = (t: Parameters<Parameters<typeof builder.mutationField>[1]>[0]) =>
  t.arg.string({ required: true, description: 'The text: 1 to 10,000 characters, well-formed, not only white space.' });

builder.mutationFields((t) => ({
  openThread: t.field({
    type: CommentThreadRef,
    description:
      'Opens a thread on `length` characters from `index` of the text at `version` (your version: the server moves the range over the edits since). COMMENTER and above. A range outside that text, an empty range or a version ahead of the head: BAD_USER_INPUT.',
    args: {
      documentId: t.arg.id({ required: true, description: 'The document.' }),
      version: t.arg.int({ required: true, description: 'The version index and length refer to (0 to the head).' }),
      index: t.arg.int({ required: true, description: 'First character of the range (>= 0).' }),
      length: t.arg.int({ required: true, description: 'Characters in the range (>= 1).' }),
      body: bodyArg(t),
    },
    resolve: async (_root, args, ctx) => {
      await limitComments(ctx);
      return ctx.services.comments.open(ctx.viewer, { documentId: String(args.documentId), version: args.version, index: args.index, length: args.length, body: args.body });
    },
  }),
  replyToThread: t.field({
    type: CommentRef,
    description: 'Adds a comment to the thread (COMMENTER and above; resolved threads too).',
    args: { threadId: t.arg.id({ required: true, description: 'The thread.' }), body: bodyArg(t) },
    resolve: async (_root, args, ctx) => {
      await limitComments(ctx);
      return ctx.services.comments.reply(ctx.viewer, String(args.threadId), args.body);
    },
  }),
  resolveThread: t.field({
    type: CommentThreadRef,
    description: 'Marks the thread RESOLVED (COMMENTER and above). Resolving a resolved thread changes nothing.',
    args: { threadId: t.arg.id({ required: true, description: 'The thread.' }) },
    resolve: async (_root, args, ctx) => {
      await limitComments(ctx);
      return ctx.services.comments.setStatus(ctx.viewer, String(args.threadId), 'RESOLVED');
    },
  }),
  reopenThread: t.field({
    type: CommentThreadRef,
    description: 'Marks the thread OPEN again (COMMENTER and above).',
    args: { threadId: t.arg.id({ required: true, description: 'The thread.' }) },
    resolve: async (_root, args, ctx) => {
      await limitComments(ctx);
      return ctx.services.comments.setStatus(ctx.viewer, String(args.threadId), 'OPEN');
    },
  }),
  editComment: t.field({
    type: CommentRef,
    description: "Replaces the body of one of your own comments (someone else's: FORBIDDEN, whatever your role). Sets editedAt.",
    args: { commentId: t.arg.id({ required: true, description: 'The comment.' }), body: bodyArg(t) },
    resolve: async (_root, args, ctx) => {
      await limitComments(ctx);
      return ctx.services.comments.edit(ctx.viewer, String(args.commentId), args.body);
    },
  }),
  deleteComment: t.boolean({
    description:
      "Deletes one of your own comments, or anyone's if you are an OWNER. A thread lives as long as it has a comment: deleting the first one keeps the replies, the quote and the anchor; deleting the last one deletes the thread.",
    args: { commentId: t.arg.id({ required: true, description: 'The comment.' }) },
    resolve: async (_root, args, ctx) => {
      await limitComments(ctx);
      await ctx.services.comments.delete(ctx.viewer, String(args.commentId));
      return true;
    },
  }),
}));

builder.subscriptionField('documentThreads', (t) =>
  t.field({
    type: CommentThreadRef,
    description:
      'A thread each time it changes (opened, replied to, edited, resolved, reopened, a comment deleted), whole, from any node. Live only: subscribe first, then read Document.threads. A thread deleted with its last comment comes once more with no comments. COMMENTER and above; ends with FORBIDDEN on a demotion below COMMENTER and NOT_FOUND on losing access.',
    args: { documentId: t.arg.id({ required: true, description: 'The document to watch.' }) },
    subscribe: (_root, args, ctx) => {
      const documentId = String(args.documentId);
      return busStream(ctx, documentId, 'COMMENTER', () => ctx.services.threadsBus.subscribe(threadsTopic(documentId)));
    },
    resolve: (event) => unlessAccessLost(event),
  }),
);
