// editDocument: text-level edits for agents and backends
// (documents/edit-document.ts; the edits themselves: protocol/text-edits.ts).
import { GraphQLError } from 'graphql';
import { editDocument } from '../documents/edit-document.ts';
import { revertRun } from '../documents/revert-run.ts';
import { builder } from './builder.ts';
import { limitSubmissions, OperationRef } from './operations.ts';

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Most formats in one TextAttributes value. */
const MAX_ATTRIBUTES = 32;

builder.scalarType('TextAttributes', {
  description:
    'Quill formats as a JSON object: { "bold": true, "header": 1, "link": "https://…" }; null removes a format (formatText). Values are strings, numbers, booleans or null; names must be supported formats (ALLOWED_FORMATS).',
  serialize: (value) => value,
  parseValue: (value) => {
    const scalar = (v: unknown) => v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
    if (!isPlainObject(value) || Object.keys(value).length > MAX_ATTRIBUTES || !Object.values(value).every(scalar)) {
      throw new GraphQLError(`TextAttributes must be an object of at most ${MAX_ATTRIBUTES} formats, each a string, number, boolean or null`, {
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
    return value;
  },
});

const InsertText = builder.inputType('InsertText', {
  description: 'Insert `text` at `index`, with `attributes` (formats) if given.',
  fields: (t) => ({
    index: t.int({ required: true, description: 'Where, in UTF-16 code units from the start (0 to the length of the text).' }),
    text: t.string({ required: true, description: 'The text to insert (not empty).' }),
    attributes: t.field({ type: 'TextAttributes', description: 'Formats of the new text, e.g. { "bold": true }.' }),
  }),
});

const TextRange = builder.inputType('TextRange', {
  description: 'A range of the text: `length` characters (UTF-16 code units, at least 1) from `index`.',
  fields: (t) => ({
    index: t.int({ required: true, description: 'Start, from 0.' }),
    length: t.int({ required: true, description: 'How many characters, at least 1; the range must end inside the text.' }),
  }),
});

const FormatText = builder.inputType('FormatText', {
  description: 'Apply `attributes` to a range (a format set to null is removed).',
  fields: (t) => ({
    index: t.int({ required: true, description: 'Start, from 0.' }),
    length: t.int({ required: true, description: 'How many characters, at least 1.' }),
    attributes: t.field({ type: 'TextAttributes', required: true, description: 'Formats to set (null: remove), e.g. { "bold": true, "italic": null }.' }),
  }),
});

const ReplaceText = builder.inputType('ReplaceText', {
  description: 'Plain-text search and replace (formats ignored when searching; the replacement takes the formats of the first character it replaces). No match is BAD_USER_INPUT, reason NO_MATCH.',
  fields: (t) => ({
    find: t.string({ required: true, description: 'The text to find (not empty; case-sensitive). An embed is U+FFFC.' }),
    replace: t.string({ required: true, description: 'What to put in its place ("" deletes it).' }),
    all: t.boolean({ description: 'Replace every match (left to right, not overlapping); default: the first only.' }),
  }),
});

const TextEdit = builder.inputType('TextEdit', {
  description: 'One edit: exactly one of its fields (else BAD_USER_INPUT, reason EDIT_SHAPE).',
  fields: (t) => ({
    insertText: t.field({ type: InsertText, description: 'Insert text.' }),
    deleteText: t.field({ type: TextRange, description: 'Delete a range.' }),
    formatText: t.field({ type: FormatText, description: 'Format a range.' }),
    replaceText: t.field({ type: ReplaceText, description: 'Find and replace.' }),
  }),
});

const EditDocumentInput = builder.inputType('EditDocumentInput', {
  description: 'Text-level edits to one document, for agents and backends (docs/protocol.md, "Writing agents and backends").',
  fields: (t) => ({
    documentId: t.id({ required: true, description: 'The document (EDITOR or OWNER role needed, or an API token with EDITOR).' }),
    baseVersion: t.int({
      description:
        'The version the positions in `edits` refer to; the server builds the change there and rebases it over everything committed since. Default: `requiredVersion` if set, else the head.',
    }),
    requiredVersion: t.int({ description: 'Apply only if the head is this version: otherwise CONFLICT (extensions.headVersion) and nothing changes.' }),
    edits: t.field({
      type: [TextEdit],
      required: true,
      description: 'Applied in order, each to the text as the edits before it left it (so they cannot overlap). 1 to 200 edits.',
    }),
    idempotencyKey: t.string({
      required: true,
      description: 'Your id for this request (1-200 bytes, e.g. a UUID): sent again with the same input, it answers the first commit and applies nothing; with other input, BAD_USER_INPUT (IDEMPOTENCY_KEY_REUSED). Keys are per person or per API token.',
    }),
    asSuggestion: t.boolean({ description: 'Propose the change as a Suggestion instead (COMMENTER and above): returns its op-to-be, with the version it would get and clientId `suggestion-<id>` (docs/protocol.md, "Suggestions").' }),
    runId: t.string({ description: 'Groups the edits of one agent run (1-200 bytes): recorded on the op, shown in Operation.actor.runId.' }),
  }),
});

builder.mutationField('editDocument', (t) =>
  t.field({
    type: OperationRef,
    description: 'Applies text-level edits as one op, rebased to the head like any submission, and returns the committed op (or, for a repeated idempotencyKey, the first one).',
    args: { input: t.arg({ type: EditDocumentInput, required: true, description: 'The edits, where they apply, and the idempotency key.' }) },
    resolve: async (_root, { input }, ctx) => {
      await limitSubmissions(ctx);
      const { services } = ctx;
      return editDocument(
        { documents: services.documents, sequencer: services.sequencer, log: services.log, suggestions: services.suggestions, maxDeltaOps: services.config.security.maxDeltaOps },
        ctx.viewer,
        { ...input, documentId: String(input.documentId) },
      );
    },
  }),
);

builder.mutationField('revertRun', (t) =>
  t.field({
    type: OperationRef,
    description:
      'Takes back every op of one agent run (the ops editDocument wrote with this runId) as one forward op, transformed through everything committed since, so what others wrote stays. EDITOR or OWNER (or an API token with EDITOR) needed. Recorded with runId `revert:<runId>`. A run is reverted once: calling again, or at the same time, answers the first revert. No op with this runId: BAD_USER_INPUT, reason NO_SUCH_RUN.',
    args: {
      documentId: t.arg.id({ required: true, description: 'The document.' }),
      runId: t.arg.string({ required: true, description: 'The run to take back: the runId its editDocument calls gave (1-256 bytes).' }),
    },
    resolve: async (_root, args, ctx) => {
      await limitSubmissions(ctx);
      const { services } = ctx;
      return revertRun({ documents: services.documents, sequencer: services.sequencer, log: services.log }, ctx.viewer, String(args.documentId), args.runId);
    },
  }),
);
