// The API operations the MCP tools use, as typed functions over GraphQL.
// Some fields are newer than some servers (Document.export, openThread,
// revertRun): each is tried, and a GRAPHQL_VALIDATION_FAILED naming that
// field marks it absent for the life of this process, so it works against
// an older server (with a plain-text fallback or a clear NOT_AVAILABLE) and
// needs no introspection, which production servers turn off.
import { EMBED_CHARACTER, type TextEdit } from '../protocol/text-edits.ts';
import { ApiError, type GraphQLRequest } from './graphql-client.ts';

/** The fields that some servers lack, each with the name a validation error would quote. */
const OPTIONAL_FIELDS = { export: 'export', openThread: 'openThread', revertRun: 'revertRun', asSuggestion: 'asSuggestion' } as const;
export type OptionalField = keyof typeof OPTIONAL_FIELDS;

/** NOT_AVAILABLE, as the API itself says it, with the reason this client adds. */
export const notOnThisServer = (field: OptionalField, what: string) =>
  new ApiError('NOT_AVAILABLE', `${what} is not available on this server: its API has no \`${OPTIONAL_FIELDS[field]}\`.`, { reason: 'NOT_ON_THIS_SERVER', field: OPTIONAL_FIELDS[field] });

export interface DocumentSummary { id: string; title: string; version: number; updatedAt: string; myRole: string }
export interface DocumentText { id: string; title: string; version: number; format: 'markdown' | 'text'; text: string }
export interface EditInput {
  documentId: string;
  edits: TextEdit[];
  baseVersion?: number | undefined;
  requiredVersion?: number | undefined;
  idempotencyKey: string;
  runId?: string | undefined;
  asSuggestion?: boolean | undefined;
}

type Ops = { ops: Array<{ insert?: unknown }> };
/** The plain text whose positions editDocument counts: UTF-16 units, an embed as U+FFFC. */
export const plainText = (content: Ops) => content.ops.map((op) => (typeof op.insert === 'string' ? op.insert : EMBED_CHARACTER)).join('');

const LIST = `query($first: Int, $after: String, $title: String) {
  documents(first: $first, after: $after, titleContains: $title) { edges { node { id title version updatedAt myRole } } pageInfo { hasNextPage endCursor } }
}`;
const HEAD = 'query($id: ID!) { document(id: $id) { id title version } }';
const CONTENT = 'query($id: ID!) { document(id: $id) { id title version content } }';
const EXPORT = 'query($id: ID!, $v: Int!) { document(id: $id) { export(format: MARKDOWN, version: $v) } }';
const EDIT = `mutation($input: EditDocumentInput!) { editDocument(input: $input) { version actor { runId } } }`;
const OPEN_THREAD = `mutation($id: ID!, $v: Int!, $i: Int!, $l: Int!, $body: String!) {
  openThread(documentId: $id, version: $v, index: $i, length: $l, body: $body) { id }
}`;
const REVERT_RUN = 'mutation($id: ID!, $run: String!) { revertRun(documentId: $id, runId: $run) { version } }';

const notFound = (id: string) => new ApiError('NOT_FOUND', `No document ${id}, or this token may not see it.`);

export function createCollabApi(request: GraphQLRequest) {
  const absent = new Set<OptionalField>();

  /** Runs a request that uses `field`; a validation error naming it marks it absent and is answered by `fallback`. */
  async function withOptional<T>(field: OptionalField, run: () => Promise<T>, fallback: () => Promise<T> | T): Promise<T> {
    if (absent.has(field)) return fallback();
    try {
      return await run();
    } catch (error) {
      const missing = error instanceof ApiError && error.code === 'GRAPHQL_VALIDATION_FAILED' && error.message.includes(`"${OPTIONAL_FIELDS[field]}"`);
      if (!missing) throw error;
      absent.add(field);
      return fallback();
    }
  }

  async function head(id: string) {
    const { document } = await request<{ document: Omit<DocumentSummary, 'updatedAt' | 'myRole'> | null }>(HEAD, { id });
    if (!document) throw notFound(id);
    return document;
  }

  async function readText(id: string): Promise<DocumentText> {
    const { document } = await request<{ document: { id: string; title: string; version: number; content: Ops } | null }>(CONTENT, { id });
    if (!document) throw notFound(id);
    return { id: document.id, title: document.title, version: document.version, format: 'text', text: plainText(document.content) };
  }

  return {
    async listDocuments(options: { titleContains?: string | undefined; first?: number | undefined; after?: string | undefined }) {
      const { documents } = await request<{ documents: { edges: Array<{ node: DocumentSummary }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } }>(LIST, {
        first: options.first ?? 20,
        after: options.after ?? null,
        title: options.titleContains ?? null,
      });
      return { documents: documents.edges.map((edge) => edge.node), nextCursor: documents.pageInfo.hasNextPage ? documents.pageInfo.endCursor : null };
    },

    /**
     * The document as Markdown when the server can export it, else as plain
     * text. Markdown comes in two requests (the head, then the export of
     * exactly that version), so the text and its version always agree.
     */
    async readDocument(id: string, format: 'markdown' | 'text' = 'markdown'): Promise<DocumentText> {
      if (format === 'text') return readText(id);
      return withOptional(
        'export',
        async () => {
          const doc = await head(id);
          const { document } = await request<{ document: { export: string } | null }>(EXPORT, { id, v: doc.version });
          if (!document) throw notFound(id);
          return { ...doc, format: 'markdown' as const, text: document.export };
        },
        () => readText(id),
      );
    },

    async editDocument(input: EditInput) {
      const run = async () => (await request<{ editDocument: { version: number; actor: { runId: string | null } } }>(EDIT, { input })).editDocument;
      if (!input.asSuggestion) return run();
      return withOptional('asSuggestion', run, () => {
        throw notOnThisServer('asSuggestion', 'Suggesting');
      });
    },

    async openThread(input: { documentId: string; version?: number | undefined; index: number; length: number; body: string }) {
      return withOptional(
        'openThread',
        async () => {
          const version = input.version ?? (await head(input.documentId)).version;
          const vars = { id: input.documentId, v: version, i: input.index, l: input.length, body: input.body };
          return { threadId: (await request<{ openThread: { id: string } }>(OPEN_THREAD, vars)).openThread.id, version };
        },
        () => {
          throw notOnThisServer('openThread', 'Commenting');
        },
      );
    },

    async revertRun(documentId: string, runId: string) {
      return withOptional(
        'revertRun',
        async () => (await request<{ revertRun: { version: number } }>(REVERT_RUN, { id: documentId, run: runId })).revertRun,
        () => {
          throw notOnThisServer('revertRun', 'Reverting a run');
        },
      );
    },
  };
}

export type CollabApi = ReturnType<typeof createCollabApi>;
