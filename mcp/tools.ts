// The MCP tools and resources: each a thin call to the API (collab-api.ts).
// A refusal comes back as a tool error (isError) whose structured content is
// the API's own code and extensions, so an agent can act on the code
// (docs/protocol.md, "Errors") as any client would.
import { randomUUID } from 'node:crypto';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { TextEdit } from '../protocol/text-edits.ts';
import type { CollabApi } from './collab-api.ts';
import { ApiError } from './graphql-client.ts';

export const SERVER_INFO = { name: 'collab-graphql', version: '0.1.0' } as const;

const int32 = z.number().int().min(0).max(2 ** 31 - 1);
const documentId = z.string().min(1).max(200).describe('The document id (from list_documents).');
const attributes = z
  .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
  .describe('Quill formats, e.g. {"bold": true, "header": 1, "link": "https://…"}; null removes a format.');

// One edit is exactly one of four shapes, as the API's TextEdit.
const textEdit = z.union([
  z.strictObject({ insertText: z.strictObject({ index: int32.describe('Where, in characters from the start.'), text: z.string().min(1), attributes: attributes.optional() }) }),
  z.strictObject({ deleteText: z.strictObject({ index: int32, length: int32.min(1) }) }),
  z.strictObject({ formatText: z.strictObject({ index: int32, length: int32.min(1), attributes }) }),
  z.strictObject({
    replaceText: z.strictObject({
      find: z.string().min(1).describe('Plain text to find (case-sensitive).'),
      replace: z.string().describe('What to put in its place ("" deletes it).'),
      all: z.boolean().optional().describe('Every match; default the first only.'),
    }),
  }),
]);

const editFields = {
  documentId,
  edits: z
    .array(textEdit)
    .min(1)
    .max(200)
    .describe(
      'Applied in order, each to the text as the edits before it left it. Positions count UTF-16 characters of the plain text (read_document with format "text"); an embed counts as one. replaceText needs no positions: prefer it after reading Markdown.',
    ),
  baseVersion: int32
    .optional()
    .describe('The version your positions refer to (the version read_document gave you). The server rebases your edits over everything written since. Default: the current version.'),
  idempotencyKey: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('Your id for this change; send the same key again to retry safely after a lost reply or a retryable error. Default: a new UUID (returned).'),
  runId: z.string().min(1).max(200).optional().describe('Groups the edits of one agent run, so that revert_run can undo them together.'),
};

const ok = (structured: Record<string, unknown>, text?: string): CallToolResult => ({
  content: [{ type: 'text', text: text ?? JSON.stringify(structured) }],
  structuredContent: structured,
});

/** A refusal as a tool error: the API's code first, so that a model reads it before the prose. */
export function toolError(error: unknown): CallToolResult {
  const api = error instanceof ApiError ? error : new ApiError('INTERNAL', 'The MCP server failed unexpectedly.');
  if (!(error instanceof ApiError)) console.error('[mcp] unexpected error', error); // stderr: stdout is the protocol
  const detail = { code: api.code, message: api.message, ...api.extensions };
  return { isError: true, content: [{ type: 'text', text: `${api.code}: ${api.message} ${JSON.stringify(api.extensions)}` }], structuredContent: { error: detail } };
}

const guarded =
  <A>(run: (args: A) => Promise<CallToolResult>) =>
  async (args: A): Promise<CallToolResult> => {
    try {
      return await run(args);
    } catch (error) {
      return toolError(error);
    }
  };

export function createMcpServer(api: CollabApi): McpServer {
  const server = new McpServer(SERVER_INFO, {
    instructions:
      'Collaborative rich-text documents that people edit live. Read a document, then edit it with edit_document, passing the version you read as baseVersion: the server fits your edits around what others typed since. Errors carry the API code (NOT_FOUND, BAD_USER_INPUT with a reason, CONFLICT, RATE_LIMITED with retryAfterMs, …).',
  });

  server.registerTool(
    'list_documents',
    {
      title: 'List documents',
      description: 'Lists the documents this token can reach, most recently changed first, with their versions. Optionally only those whose title contains some text.',
      inputSchema: {
        titleContains: z.string().min(1).max(200).optional().describe('Only titles containing this text (ignoring case).'),
        first: z.number().int().min(1).max(100).optional().describe('How many, 1 to 100 (default 20).'),
        after: z.string().max(1000).optional().describe('nextCursor of the previous page.'),
      },
      annotations: { readOnlyHint: true },
    },
    guarded(async (args) => ok(await api.listDocuments(args))),
  );

  server.registerTool(
    'read_document',
    {
      title: 'Read a document',
      description:
        'Returns a document\'s text and its version. format "markdown" (default; plain text on servers that cannot export Markdown, and `format` in the result says which) is for reading; format "text" is the plain text whose character positions edit_document counts.',
      inputSchema: { documentId, format: z.enum(['markdown', 'text']).optional() },
      annotations: { readOnlyHint: true },
    },
    guarded(async ({ documentId: id, format }) => {
      const doc = await api.readDocument(id, format);
      const { text, ...meta } = doc;
      return { content: [{ type: 'text', text: JSON.stringify(meta) }, { type: 'text', text }], structuredContent: { ...doc } };
    }),
  );

  server.registerTool(
    'edit_document',
    {
      title: 'Edit a document',
      description:
        'Applies text edits (insertText, deleteText, formatText, replaceText) as one change. Give baseVersion (the version you read) so the server rebases your edits over what others wrote meanwhile, or requiredVersion to apply only if nobody wrote since (else CONFLICT). Returns the new version.',
      inputSchema: {
        ...editFields,
        requiredVersion: int32.optional().describe('Apply only if the document is exactly at this version; otherwise CONFLICT (headVersion says where it is) and nothing changes.'),
      },
      annotations: { destructiveHint: true },
    },
    guarded(async (args) => {
      const idempotencyKey = args.idempotencyKey ?? randomUUID();
      const op = await api.editDocument({ ...args, edits: args.edits as TextEdit[], idempotencyKey });
      return ok({ documentId: args.documentId, version: op.version, idempotencyKey, runId: op.actor.runId });
    }),
  );

  server.registerTool(
    'suggest',
    {
      title: 'Suggest edits',
      description: 'Proposes text edits as a suggestion (tracked change) for a person to accept or reject, instead of applying them. Same edits as edit_document.',
      inputSchema: editFields,
    },
    guarded(async (args) => {
      const idempotencyKey = args.idempotencyKey ?? randomUUID();
      const op = await api.editDocument({ ...args, edits: args.edits as TextEdit[], idempotencyKey, asSuggestion: true });
      return ok({ documentId: args.documentId, version: op.version, idempotencyKey });
    }),
  );

  server.registerTool(
    'comment',
    {
      title: 'Comment on text',
      description: 'Opens a comment thread on a range of the text (positions as edit_document counts them, at `version`).',
      inputSchema: {
        documentId,
        index: int32.describe('Start of the range.'),
        length: int32.describe('Length of the range.'),
        body: z.string().min(1).max(10_000).describe('The comment.'),
        version: int32.optional().describe('The version index and length refer to (default: the current version).'),
      },
    },
    guarded(async (args) => ok({ documentId: args.documentId, ...(await api.openThread(args)) })),
  );

  server.registerTool(
    'revert_run',
    {
      title: 'Revert a run',
      description: 'Undoes every edit made with a runId, kept apart from what others wrote since, as one new change. Returns the new version.',
      inputSchema: { documentId, runId: z.string().min(1).max(200) },
      annotations: { destructiveHint: true },
    },
    guarded(async ({ documentId: id, runId }) => ok({ documentId: id, runId, version: (await api.revertRun(id, runId)).version })),
  );

  // Documents as resources, for clients that let a person attach one: the
  // same text read_document gives, listed from the first page of documents.
  server.registerResource(
    'document',
    new ResourceTemplate('collab://documents/{id}', {
      list: async () => ({
        resources: (await api.listDocuments({ first: 100 })).documents.map((doc) => ({ uri: `collab://documents/${encodeURIComponent(doc.id)}`, name: doc.title })),
      }),
    }),
    { title: 'Document', description: 'A document\'s text (Markdown when the server can export it).' },
    async (uri, { id }) => {
      const doc = await api.readDocument(decodeURIComponent(String(id)));
      return { contents: [{ uri: uri.href, mimeType: doc.format === 'markdown' ? 'text/markdown' : 'text/plain', text: doc.text }] };
    },
  );

  return server;
}
