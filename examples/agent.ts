// An "agent" with no model: it tidies a document (collapses runs of spaces,
// capitalises the first letter of each sentence) the way an LLM agent would
// write: with an API token, edits said in text positions against the version
// it read (the server rebases them over whatever people typed meanwhile),
// and a run id, so that its whole run can be taken back in one call.
// docs/protocol.md §11 in code, with nothing but fetch.
//   npm run example:agent -- <documentId> [--run <runId>]    tidy, as run <runId> (default: a new one)
//   npm run example:agent -- <documentId> --revert <runId>   take that run back
// Environment: COLLAB_URL (default http://localhost:4000/graphql), COLLAB_TOKEN
// (an API token, cgat_…, from createApiToken; or --token <secret>).
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export type TextEdit = { insertText: { index: number; text: string } } | { deleteText: { index: number; length: number } };
interface Call { url: string; token: string }

/**
 * The fixes as editDocument edits. Edits apply one after another, each to
 * the text the previous ones left, so they are listed from the end of the
 * text backwards: every position is then a position of the text as read.
 */
export function tidy(text: string): TextEdit[] {
  const edits: Array<{ at: number; edits: TextEdit[] }> = [];
  for (const m of text.matchAll(/ {2,}/g)) edits.push({ at: m.index + 1, edits: [{ deleteText: { index: m.index + 1, length: m[0].length - 1 } }] });
  // A sentence starts the text, a line, or follows . ! or ? and spaces. (The new capital has no formats: fine for a demo.)
  for (const m of text.matchAll(/(?:^|[.!?] +|\n)(\p{Ll})/gu)) {
    const at = m.index + m[0].length - 1;
    edits.push({ at, edits: [{ insertText: { index: at, text: m[1]!.toUpperCase() } }, { deleteText: { index: at + 1, length: 1 } }] });
  }
  return edits.sort((a, b) => b.at - a.at).flatMap((e) => e.edits);
}

async function graphql(call: Call, query: string, variables: Record<string, unknown>): Promise<Record<string, any>> {
  const res = await fetch(call.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${call.token}` }, body: JSON.stringify({ query, variables }) });
  const { data, errors } = (await res.json()) as { data?: Record<string, any>; errors?: Array<{ message: string; extensions?: { code?: string; reason?: string } }> };
  if (errors?.length) throw new Error(`${errors[0]!.extensions?.code}${errors[0]!.extensions?.reason ? ` (${errors[0]!.extensions.reason})` : ''}: ${errors[0]!.message}`);
  return data!;
}

/** Reads the document, tidies it as run `runId`; returns the committed op's version, or null when there was nothing to fix. */
export async function runAgent(call: Call, documentId: string, runId: string): Promise<{ readVersion: number; version: number | null; edits: number }> {
  const { document } = await graphql(call, 'query($id: ID!) { document(id: $id) { version content } }', { id: documentId });
  if (!document) throw new Error(`document ${documentId} not found (or not for this token)`);
  const text = (document.content.ops as Array<{ insert: unknown }>).map((op) => (typeof op.insert === 'string' ? op.insert : '\uFFFC')).join('');
  const edits = tidy(text);
  if (edits.length === 0) return { readVersion: document.version, version: null, edits: 0 };
  const input = { documentId, baseVersion: document.version, edits, runId, idempotencyKey: randomUUID() }; // resend with the same key after a lost reply
  const { editDocument } = await graphql(call, 'mutation($input: EditDocumentInput!) { editDocument(input: $input) { version } }', { input });
  return { readVersion: document.version, version: editDocument.version, edits: edits.length };
}

/** Takes back every op of run `runId` (once: calling again answers the same op). */
export async function revertAgentRun(call: Call, documentId: string, runId: string): Promise<number> {
  const { revertRun } = await graphql(call, 'mutation($id: ID!, $run: String!) { revertRun(documentId: $id, runId: $run) { version } }', { id: documentId, run: runId });
  return revertRun.version;
}

async function main() {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { run: { type: 'string' }, revert: { type: 'string' }, token: { type: 'string' } } });
  const [documentId] = positionals;
  const call = { url: process.env.COLLAB_URL ?? 'http://localhost:4000/graphql', token: values.token ?? process.env.COLLAB_TOKEN ?? '' };
  if (!documentId || !call.token) throw new Error('usage: COLLAB_TOKEN=cgat_… npm run example:agent -- <documentId> [--run <runId> | --revert <runId>]');
  if (values.revert) return console.log(`reverted run ${values.revert}: version ${await revertAgentRun(call, documentId, values.revert)}`);
  const runId = values.run ?? `tidy-${randomUUID()}`;
  const { readVersion, version, edits } = await runAgent(call, documentId, runId);
  console.log(version === null ? `nothing to tidy at version ${readVersion}` : `run ${runId}: ${edits} edits read at version ${readVersion}, committed as version ${version}; undo with --revert ${runId}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main().catch((error: Error) => (console.error(error.message), process.exit(1)));
