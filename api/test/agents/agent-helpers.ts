// Helpers for the tests of agents and backends: API tokens and editDocument.
import { gql, type GraphQLResponse, type TestServer } from '../harness.ts';

export const CREATE_TOKEN = `mutation($name: String!, $role: Role!, $doc: ID) {
  createApiToken(name: $name, role: $role, documentId: $doc) { token apiToken { id name role documentId createdAt lastUsedAt } }
}`;

/** Makes an API token as `person` (an access token); returns its secret and id. */
export async function createToken(server: Pick<TestServer, 'url'>, person: string, options: { name?: string; role?: string; documentId?: string } = {}) {
  const res = await gql(server, CREATE_TOKEN, { name: options.name ?? 'agent', role: options.role ?? 'EDITOR', doc: options.documentId ?? null }, person);
  if (!res.data) throw new Error(`createApiToken failed: ${JSON.stringify(res.errors)}`);
  return { secret: res.data.createApiToken.token as string, id: res.data.createApiToken.apiToken.id as string };
}

export const EDIT = `mutation($input: EditDocumentInput!) {
  editDocument(input: $input) { version delta clientId actor { kind tokenName runId user { id } } }
}`;

export const edit = (server: Pick<TestServer, 'url'>, token: string, input: Record<string, unknown>): Promise<GraphQLResponse> =>
  gql(server, EDIT, { input: { idempotencyKey: `k-${Math.random()}`, ...input } }, token);

export const STATE = `query($id: ID!) { document(id: $id) { version content } }`;

/** The document's version and plain text, as `token` sees it. */
export async function stateOf(server: Pick<TestServer, 'url'>, token: string, id: string): Promise<{ version: number; text: string }> {
  const res = await gql(server, STATE, { id }, token);
  const doc = res.data?.document as { version: number; content: { ops: Array<{ insert: unknown }> } } | undefined;
  if (!doc) throw new Error(`document ${id} not readable: ${JSON.stringify(res.errors)}`);
  return { version: doc.version, text: doc.content.ops.map((op) => (typeof op.insert === 'string' ? op.insert : '\uFFFC')).join('') };
}
