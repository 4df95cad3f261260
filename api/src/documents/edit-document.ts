// editDocument: text-level edits, for agents and backends. The edits become
// one delta against the content at `baseVersion` (protocol/text-edits.ts),
// which goes through the normal write path: the role check, the node's
// delta policy, and the sequencer, which rebases it over whatever was
// committed since (like a Google Docs batchUpdate with targetRevisionId).
//
// Idempotency rides on the sequencer's (documentId, clientId, clientSeq):
// the clientId is derived from the actor (person or token) and the
// idempotencyKey, and the op stores a hash of the whole request. The same
// key with the same request answers the first commit, however the head
// moved since; with another request it is IDEMPOTENCY_KEY_REUSED.
import { createHash } from 'node:crypto';
import { parseDelta } from '../../../protocol/delta-validation.ts';
import { Delta } from '../../../protocol/delta.ts';
import { editsToDelta, type TextEdit } from '../../../protocol/text-edits.ts';
import type { Sequencer } from '../collab/sequencer.ts';
import { keyReused } from '../collab/replay.ts';
import type { CommittedOp, OperationLog } from '../collab/types.ts';
import { AppError, badInput } from '../errors.ts';
import { checkText } from '../validation/text.ts';
import { Suggestions } from '../suggestions/suggestions.ts';
import { requireViewer, writerOf, type Documents, type Viewer } from './documents.ts';
import { REVERT_RUN_PREFIX } from './revert-run.ts';

export interface EditDocumentInput {
  documentId: string;
  baseVersion?: number | null;
  requiredVersion?: number | null;
  edits: readonly TextEdit[];
  idempotencyKey: string;
  asSuggestion?: boolean | null;
  runId?: string | null;
}

export interface EditDeps {
  documents: Documents;
  sequencer: Sequencer;
  log: OperationLog;
  /** Where asSuggestion lands. */
  suggestions: Suggestions;
  /** Most ops the built delta may have (config MAX_DELTA_OPS). */
  maxDeltaOps: number;
}

/** Longest idempotencyKey and runId, in UTF-8 bytes. */
const MAX_KEY_BYTES = 200;

export async function editDocument(deps: EditDeps, viewerInput: Viewer | null, input: EditDocumentInput): Promise<CommittedOp> {
  const viewer = requireViewer(viewerInput);
  const { documentId } = input;
  // A suggestion changes nothing until an editor accepts it: COMMENTER is enough.
  await deps.documents.role(viewer, documentId, input.asSuggestion ? 'COMMENTER' : 'EDITOR');
  const key = checkText(input.idempotencyKey, 'idempotencyKey', { minLength: 1, maxBytes: MAX_KEY_BYTES });
  const runId = input.runId == null ? null : checkText(input.runId, 'runId', { minLength: 1, maxBytes: MAX_KEY_BYTES });
  // `revert:<runId>` names the op that reverts a run (revert-run.ts): an agent's own ops must not join it.
  if (runId?.startsWith(REVERT_RUN_PREFIX)) throw badInput(`runId must not start with "${REVERT_RUN_PREFIX}"`, { field: 'runId', reason: 'RESERVED_RUN_ID' });
  for (const [field, value] of [['baseVersion', input.baseVersion], ['requiredVersion', input.requiredVersion]] as const) {
    if (value != null && (!Number.isSafeInteger(value) || value < 0)) throw badInput(`${field} must be a non-negative integer`, { field });
  }

  const writer = writerOf(viewer);
  const clientId = idempotencyClientId(writer.tokenId ? `token:${writer.tokenId}` : `user:${writer.authorId}`, key);
  // Absent and false are one request.
  const requestHash = hashRequest({ ...input, idempotencyKey: key, runId, asSuggestion: input.asSuggestion ? true : null });
  // The same key again (a retry after a lost reply): the first answer.
  if (input.asSuggestion) {
    const first = await deps.suggestions.findByKey(documentId, clientId, 0);
    if (first) return Suggestions.opToBe(await deps.suggestions.suggest(viewer, { documentId, baseVersion: first.baseVersion, delta: new Delta(), clientId, clientSeq: 0 }, { requestHash }));
  }
  const first = await deps.log.findByClient(documentId, clientId, 0);
  if (first) {
    if (first.requestHash === requestHash && first.authorId === writer.authorId && (first.tokenId ?? null) === writer.tokenId) return first;
    throw keyReused();
  }

  const head = await deps.sequencer.head(documentId);
  if (input.requiredVersion != null && input.requiredVersion !== head.version) {
    throw new AppError('CONFLICT', `The document is at version ${head.version}, not ${input.requiredVersion}`, { headVersion: head.version });
  }
  const baseVersion = input.baseVersion ?? input.requiredVersion ?? head.version;
  if (baseVersion > head.version) throw badInput(`baseVersion ${baseVersion} is ahead of the head version ${head.version}`, { field: 'baseVersion', headVersion: head.version });
  const content = baseVersion === head.version ? head.content : await deps.sequencer.contentAt(documentId, baseVersion);
  // The built delta is checked as a client's would be: shape, safe URLs and
  // attribute values here, formats and sizes in Documents.submit.
  const delta = parseDelta({ ops: editsToDelta(content, input.edits, { maxEdits: 200, maxOps: deps.maxDeltaOps }).ops });
  if (input.asSuggestion) {
    // The Suggestion's op-to-be: its delta at the head, version head + 1, clientId `suggestion-<id>` (docs/protocol.md, "Suggestions").
    return Suggestions.opToBe(await deps.suggestions.suggest(viewer, { documentId, baseVersion, delta, clientId, clientSeq: 0 }, { requestHash }));
  }
  return deps.documents.submit(
    viewer,
    { documentId, baseVersion, delta, clientId, clientSeq: 0 },
    // The sequencer checks requiredVersion again in the commit's plan: another writer may land first.
    { runId, requestHash, ...(input.requiredVersion != null && { requiredVersion: input.requiredVersion }) },
  );
}

/** The clientId of an idempotency key: one per actor, so two actors' keys never meet (and nobody can guess another's). */
export function idempotencyClientId(actor: string, key: string): string {
  return `edit-${createHash('sha256').update(`${actor}\u0000${key}`).digest('base64url')}`;
}

/** SHA-256 of the request, in a canonical form (keys sorted, absent and null alike). */
export function hashRequest(input: EditDocumentInput): string {
  const hash = createHash('sha256');
  // Written into the hash piece by piece: joining the pieces first (a 400 KB
  // insert) cost ~4x as much, in the node's one thread. Same bytes, same hash.
  writeCanonicalJson(input, (piece) => hash.update(piece));
  return hash.digest('hex');
}

function writeCanonicalJson(value: unknown, out: (piece: string) => void): void {
  if (value === null || value === undefined) return out('null');
  if (Array.isArray(value)) {
    out('[');
    value.forEach((item, i) => {
      if (i > 0) out(',');
      writeCanonicalJson(item, out);
    });
    return out(']');
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null && v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    out('{');
    entries.forEach(([k, v], i) => {
      out(`${i > 0 ? ',' : ''}${JSON.stringify(k)}:`);
      writeCanonicalJson(v, out);
    });
    return out('}');
  }
  out(JSON.stringify(value));
}
