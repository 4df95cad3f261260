// History sessions, named versions, export and import (docs/protocol.md,
// "History and named versions", "Export and import").
import type { HistoryEntry } from '../collab/history.ts';
import type { NamedVersionView } from '../documents/versions.ts';
import { utf8Bytes } from '../../../protocol/text.ts';
import { builder, type Context } from './builder.ts';
import { DocumentRef } from './documents.ts';
import { chargeResponse } from './response-budget.ts';
import { UserRef } from './users.ts';

const userOf = (ctx: Context, id: string | null) => (id ? ctx.services.accounts.user(id) : null);

export const ExportFormatEnum = builder.enumType('ExportFormat', {
  description: 'A file format a document is exported to or imported from.',
  // The formats of convert/formats.ts (DocumentFormat): the type checker holds them together.
  values: {
    TEXT: { description: 'Plain text (UTF-8): the text only, one line per paragraph; formats and images are left out.' },
    MARKDOWN: { description: 'Markdown (CommonMark with GitHub task lists and ~~strikethrough~~). Colours, sizes, fonts, underline, sub/superscript and alignment have no Markdown and are dropped.' },
    HTML: { description: 'An HTML page (UTF-8) with every format the editor has; text is escaped and only safe URLs are kept.' },
  } as const,
});

const HistoryEntryRef = builder.objectRef<HistoryEntry>('HistoryEntry').implement({
  description:
    'A session of edits: consecutive versions grouped by time (a pause of 5 minutes or more, a named version, a 30-minute wall-clock window or a 1000-version mark ends one). Entries cover versions fromVersion..toVersion, both included, never overlap and leave no version out.',
  fields: (t) => ({
    fromVersion: t.exposeInt('fromVersion', { description: 'The first version of the session.' }),
    toVersion: t.exposeInt('toVersion', { description: 'The last version of the session: contentAt(toVersion) is the document as the session left it.' }),
    authors: t.field({
      type: [UserRef],
      description: 'Who wrote in the session, most recent first (accounts since deleted are left out).',
      resolve: async (entry, _a, ctx) => (await Promise.all(entry.authorIds.map((id) => userOf(ctx, id)))).filter((u) => u !== null),
    }),
    startedAt: t.expose('startedAt', { type: 'DateTime', description: 'When fromVersion was committed.' }),
    endedAt: t.expose('endedAt', { type: 'DateTime', description: 'When toVersion was committed.' }),
    name: t.exposeString('name', { nullable: true, description: 'The name of toVersion, if it is a named version (a named version always ends a session).' }),
    trimmed: t.boolean({
      description:
        'True for the one entry that stands for every version whose ops log retention dropped (1..toVersion): its authors are those of the dropped ops, startedAt is when the document was created, endedAt when toVersion was committed. Named versions inside it stay readable (namedVersions, contentAt, export); other versions inside it are SNAPSHOT_REQUIRED.',
      resolve: (entry) => entry.trimmed === true,
    }),
  }),
});

const NamedVersionRef = builder.objectRef<NamedVersionView>('NamedVersion').implement({
  description: 'A version someone named (nameVersion).',
  fields: (t) => ({
    version: t.exposeInt('version', { description: 'The named version.' }),
    name: t.exposeString('name', { description: 'Its name, 1 to 200 characters.' }),
    author: t.field({ type: UserRef, nullable: true, description: 'Who named it last; null if that account no longer exists.', resolve: (n, _a, ctx) => userOf(ctx, n.authorId) }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was (last) named.' }),
  }),
});

builder.objectFields(DocumentRef, (t) => ({
  history: t.field({
    type: [HistoryEntryRef],
    description:
      'The history as sessions of edits, newest first: the entries that end before `beforeVersion`. Page with the last entry\'s toVersion (or fromVersion) as the next beforeVersion; entries are the same whichever page they come on. The newest entry grows while people keep writing.',
    args: {
      first: t.arg.int({ description: 'At most this many entries, 1 to 100; default 20.' }),
      beforeVersion: t.arg.int({ description: 'Only entries whose toVersion is below this, 1 to head + 1; default head + 1 (from the newest).' }),
    },
    resolve: (doc, args, ctx) => ctx.services.versions.history(doc, args.first ?? null, args.beforeVersion ?? null),
  }),
  namedVersions: t.field({
    type: [NamedVersionRef],
    description: 'Every named version, newest version first.',
    resolve: (doc, _a, ctx) => ctx.services.versions.namedVersions(doc.id),
  }),
  export: t.string({
    description: 'The content at `version` (default: the head) as a file in `format` (any role). Counts its size against the response budget (MAX_RESPONSE_BYTES).',
    args: {
      format: t.arg({ type: ExportFormatEnum, required: true, description: 'The file format.' }),
      version: t.arg.int({ description: 'From 0 (empty) to the head version; default the head.' }),
    },
    resolve: async (doc, args, ctx, info) => {
      const file = await ctx.services.versions.export(doc, args.format, args.version ?? null);
      chargeResponse(ctx, info, utf8Bytes(file));
      return file;
    },
  }),
}));

builder.mutationFields((t) => ({
  nameVersion: t.field({
    type: NamedVersionRef,
    description: 'Names a version (EDITOR or OWNER), e.g. "Sent for review". Naming a named version again replaces its name. A named version ends a history session.',
    args: {
      documentId: t.arg.id({ required: true, description: 'The document.' }),
      version: t.arg.int({ required: true, description: 'The version to name, 1 to the head version.' }),
      name: t.arg.string({ required: true, description: 'The name, 1 to 200 characters (trimmed).' }),
    },
    resolve: async (_root, args, ctx) => {
      if (ctx.viewer) await ctx.services.rateLimits.consume(['submitPerUser', ctx.viewer.userId]);
      return ctx.services.versions.nameVersion(ctx.viewer, String(args.documentId), args.version, args.name);
    },
  }),
  importDocument: t.field({
    type: DocumentRef,
    description:
      'Creates a document owned by the viewer from a file\'s text in `format` (as createDocument with that content: version 1, clientId `create-<id>`). Formats the editor does not have are dropped, and so are unsafe links and images; the result must pass the same limits as any content.',
    args: {
      title: t.arg.string({ required: true, description: 'Title, 1 to 200 characters (trimmed).' }),
      format: t.arg({ type: ExportFormatEnum, required: true, description: 'The format of `text`.' }),
      text: t.arg.string({ required: true, description: 'The file, as text (UTF-8); at most the request body limit.' }),
    },
    resolve: async (_root, args, ctx) => {
      if (ctx.viewer) await ctx.services.rateLimits.consume(['createPerUser', ctx.viewer.userId]);
      return ctx.services.versions.import(ctx.viewer, args.title, args.format, args.text);
    },
  }),
}));
