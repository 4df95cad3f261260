// Documents, members and their queries and mutations. A Document object
// only ever comes from Documents.access/find/list, so it always carries the
// viewer's role, and every field below is behind that check.
import type { DocumentView, ListPosition, MemberView } from '../documents/documents.ts';
import { PREVIEW_CHARS } from '../documents/preview.ts';
import { badInput, notFound } from '../errors.ts';
import { opsBytes } from '../collab/content-bytes.ts';
import { builder, type Context, RoleEnum } from './builder.ts';
import { chargeResponse } from './response-budget.ts';
import { contentValue } from './content-json.ts';
import { PresenceRef } from './presence.ts';
import { type AccessLost, busStream, isAccessLost, unlessAccessLost } from './stream-guard.ts';
import { titlesTopic } from '../pubsub/channels.ts';
import { OperationRef } from './operations.ts';
import { UserRef } from './users.ts';

// Several fields of one Document need the head; read it once per request.
const heads = new WeakMap<DocumentView, ReturnType<Context['services']['sequencer']['head']>>();
function headOf(doc: DocumentView, ctx: Context) {
  let head = heads.get(doc);
  if (!head) heads.set(doc, (head = ctx.services.sequencer.head(doc.id)));
  return head;
}

const MemberRef = builder.objectRef<MemberView>('Member').implement({
  description: 'Someone with a role on a document.',
  fields: (t) => ({
    user: t.field({
      type: UserRef,
      description: 'The member.',
      resolve: async (m, _args, ctx) => {
        const user = await ctx.services.accounts.user(m.userId);
        if (!user) throw new Error(`member ${m.userId} has no user`);
        return user;
      },
    }),
    role: t.field({ type: RoleEnum, description: 'What the member may do.', resolve: (m) => m.role }),
  }),
});

export const DocumentRef = builder.objectRef<DocumentView>('Document').implement({
  description: 'A rich-text document: its content is the composition of its operation log (docs/protocol.md).',
  fields: (t) => ({
    id: t.exposeID('id', { description: 'Stable id of the document.' }),
    title: t.exposeString('title', { description: 'Title, 1 to 200 characters.' }),
    preview: t.string({
      description: `The start of its text for lists (up to ${PREVIEW_CHARS} characters, lines joined by spaces, embeds left out). Stored with the document and written shortly after edits, so it may trail the head by a moment; reading it costs no content load.`,
      resolve: (doc, _a, ctx) => doc.preview ?? ctx.services.documents.preview(doc.id),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When it was last edited or renamed (documents are listed by this, newest first).' }),
    version: t.int({ description: 'The head version (0 = empty, never edited).', resolve: async (doc, _a, ctx) => (await headOf(doc, ctx)).version }),
    content: t.field({
      type: 'Delta',
      description: 'The content at the head version. Counts its size against the response budget (MAX_RESPONSE_BYTES; BAD_USER_INPUT, limit responseBytes).',
      resolve: async (doc, _a, ctx, info) => {
        const head = await headOf(doc, ctx);
        chargeResponse(ctx, info, head.bytes);
        // Its JSON without its ops: a reply over HTTP never builds them (content-json.ts).
        return contentValue(head);
      },
    }),
    contentAt: t.field({
      type: 'Delta',
      description: 'The content right after `version` was applied (time travel).',
      args: { version: t.arg.int({ required: true, description: 'From 0 (empty) to the head version.' }) },
      resolve: async (doc, args, ctx, info) => {
        const content = await ctx.services.sequencer.contentAt(doc.id, args.version);
        chargeResponse(ctx, info, opsBytes(content.ops));
        return content;
      },
    }),
    operations: t.field({
      type: [OperationRef],
      description: 'The log: ops with version > afterVersion, ascending, at most `first` (default 100, max 1000).',
      args: {
        afterVersion: t.arg.int({ required: true, description: 'Start after this version (0 = from the first op).' }),
        first: t.arg.int({ description: 'At most this many ops, 1 to 1000; default 100.' }),
      },
      resolve: (doc, args, ctx) => ctx.services.documents.operations(doc.id, args.afterVersion, args.first ?? null),
    }),
    myRole: t.field({ type: RoleEnum, description: "The viewer's role on this document.", resolve: (doc) => doc.role }),
    members: t.field({
      type: [MemberRef],
      description: 'Everyone with a role on it, in the order they were added.',
      resolve: (doc, _a, ctx) => ctx.services.documents.members(doc.id),
    }),
    presence: t.field({
      type: [PresenceRef],
      description: 'Who is here now (presences refreshed within the presence TTL).',
      resolve: (doc, _a, ctx) => ctx.services.presence.list(doc.id),
    }),
  }),
});

builder.queryFields((t) => ({
  document: t.field({
    type: DocumentRef,
    nullable: true,
    description: 'Null if the document does not exist or the viewer may not see it.',
    args: { id: t.arg.id({ required: true, description: 'The document id.' }) },
    resolve: (_root, args, ctx) => ctx.services.documents.find(ctx.viewer, String(args.id)),
  }),
  documents: t.connection(
    {
      type: DocumentRef,
      description: "The viewer's documents (own and shared), most recently changed first. Pages forward only (`first`, `after`): a document edited meanwhile moves to the top instead of shifting the pages after it.",
      args: {
        titleContains: t.arg.string({ description: 'Only documents whose title contains this text, ignoring case.' }),
      },
      resolve: async (_root, args, ctx) => {
        if (args.last != null || args.before != null) throw badInput('documents pages forward only: use first and after');
        const first = args.first ?? 20;
        if (!Number.isInteger(first) || first < 0 || first > 100) throw badInput('first must be 0 to 100');
        const titleContains = args.titleContains?.trim() || null;
        if (titleContains && titleContains.length > 200) throw badInput('titleContains must be at most 200 characters');
        const after = args.after != null ? decodeListCursor(args.after) : null;
        // One more than asked says whether there is a next page.
        const rows = first === 0 ? [] : await ctx.services.documents.list(ctx.viewer, { after, limit: first + 1, titleContains });
        const page = rows.slice(0, first);
        const edges = page.map((node) => ({ node, cursor: encodeListCursor(node) }));
        return {
          edges,
          pageInfo: {
            hasNextPage: rows.length > first,
            hasPreviousPage: after !== null,
            startCursor: edges[0]?.cursor ?? null,
            endCursor: edges.at(-1)?.cursor ?? null,
          },
        };
      },
    },
    { name: 'DocumentConnection', description: 'A page of documents (Relay connection; `first` defaults to 20, at most 100).' },
    { name: 'DocumentEdge', description: 'A document and its cursor.' },
  ),
}));

builder.mutationFields((t) => ({
  createDocument: t.field({
    type: DocumentRef,
    description: 'Creates a document owned by the viewer. With `content`, that content is committed as version 1 (clientId `create-<id>`); without, the document is at version 0, empty.',
    args: {
      title: t.arg.string({ required: true, description: 'Title, 1 to 200 characters (trimmed).' }),
      content: t.arg({ type: 'Delta', description: 'Initial content: inserts only, e.g. { "ops": [{ "insert": "Hello\\n" }] }.' }),
    },
    resolve: async (_root, args, ctx) => {
      if (ctx.viewer) await ctx.services.rateLimits.consume(['createPerUser', ctx.viewer.userId]);
      return ctx.services.documents.create(ctx.viewer, args.title, args.content ?? null);
    },
  }),
  renameDocument: t.field({
    type: DocumentRef,
    description: 'Changes the title (owners only).',
    args: {
      id: t.arg.id({ required: true, description: 'The document.' }),
      title: t.arg.string({ required: true, description: 'New title, 1 to 200 characters (trimmed).' }),
    },
    resolve: (_root, args, ctx) => ctx.services.documents.rename(ctx.viewer, String(args.id), args.title),
  }),
  deleteDocument: t.boolean({
    description: 'Deletes the document with its log and members (owners only). Its live subscriptions end.',
    args: { id: t.arg.id({ required: true, description: 'The document.' }) },
    resolve: async (_root, args, ctx) => {
      await ctx.services.documents.delete(ctx.viewer, String(args.id));
      return true;
    },
  }),
  shareDocument: t.field({
    type: MemberRef,
    description: 'Gives the account with this email a role on the document (or changes it). Owners only.',
    args: {
      id: t.arg.id({ required: true, description: 'The document.' }),
      email: t.arg.string({ required: true, description: 'The email of an existing account (NOT_FOUND otherwise).' }),
      role: t.arg({ type: RoleEnum, required: true, description: 'The role to give.' }),
    },
    resolve: async (_root, args, ctx) => {
      if (ctx.viewer) await ctx.services.rateLimits.consume(['sharePerUser', ctx.viewer.userId]);
      return ctx.services.documents.share(ctx.viewer, String(args.id), args.email, args.role);
    },
  }),
  removeMember: t.boolean({
    description: "Takes a member's access away (owners only, not their own) and ends their live subscriptions to the document at once.",
    args: {
      documentId: t.arg.id({ required: true, description: 'The document.' }),
      userId: t.arg.id({ required: true, description: 'The member to remove (User.id).' }),
    },
    resolve: async (_root, args, ctx) => {
      if (ctx.viewer) await ctx.services.rateLimits.consume(['sharePerUser', ctx.viewer.userId]);
      await ctx.services.documents.removeMember(ctx.viewer, String(args.documentId), String(args.userId));
      return true;
    },
  }),
}));

/** A list cursor: the row's updatedAt (ms) and id, opaque to clients. */
function encodeListCursor(doc: DocumentView): string {
  return Buffer.from(JSON.stringify([doc.updatedAt.getTime(), doc.id])).toString('base64url');
}

function decodeListCursor(cursor: string): ListPosition {
  let parsed: unknown;
  try {
    parsed = cursor.length <= 200 ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : null;
  } catch {
    parsed = null;
  }
  if (Array.isArray(parsed) && parsed.length === 2 && Number.isSafeInteger(parsed[0]) && typeof parsed[1] === 'string' && parsed[1].length <= 64) {
    return { updatedAt: new Date(parsed[0] as number), id: parsed[1] };
  }
  throw badInput('after is not a cursor of this list');
}

builder.subscriptionField('documentRenamed', (t) =>
  t.field({
    type: DocumentRef,
    description:
      "The document each time its title changes (renameDocument on any node), read afresh for the viewer, so open editors show the new title. A rename already overtaken by a later one when it is delivered is left out, so titles arrive in the order they were set and the last is the document's title. Live only: subscribe, then read Document.title. Any member; ends with NOT_FOUND on losing access.",
    args: { documentId: t.arg.id({ required: true, description: 'The document to watch.' }) },
    subscribe: async (_root, args, ctx) => {
      const documentId = String(args.documentId);
      const events = await busStream(ctx, documentId, 'VIEWER', () => ctx.services.titlesBus.subscribe(titlesTopic(documentId)));
      return currentRenames(events, (id) => ctx.services.documents.find(ctx.viewer, id));
    },
    resolve: (event) => {
      const { doc } = unlessAccessLost(event);
      if (!doc) throw notFound();
      return doc;
    },
  }),
);

/**
 * Each rename with the document as the viewer may see it now, left out when
 * a later rename is already stored: read late (a busy node, a publish from
 * another node overtaken by a later one), it would show the newer title
 * twice, or an older title after the newer. The read happens in next(), one
 * event at a time, so this stream's order is its bus's order. return() goes
 * straight to the source, so ending the stream never waits for an event.
 */
function currentRenames<E extends { documentId: string; title: string }>(
  source: AsyncIterableIterator<E | AccessLost>,
  find: (documentId: string) => Promise<DocumentView | null>,
): AsyncIterableIterator<{ doc: DocumentView | null } | AccessLost> {
  const stream: AsyncIterableIterator<{ doc: DocumentView | null } | AccessLost> = {
    async next() {
      for (;;) {
        const step = await source.next();
        if (step.done) return step;
        if (isAccessLost(step.value)) return step as IteratorYieldResult<AccessLost>;
        const doc = await find(step.value.documentId);
        if (!doc || doc.title === step.value.title) return { done: false, value: { doc } };
      }
    },
    async return() {
      await source.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => stream,
  };
  return stream;
}
