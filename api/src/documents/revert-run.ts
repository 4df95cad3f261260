// revertRun: takes back every op of one agent run (the ops editDocument
// wrote with that runId) as one forward op, keeping everything else that
// was written around and after them. The computation is pure
// (protocol/revert.ts); this reads the log for it and submits the result
// like any op: role check, delta policy, rebase over whatever commits
// meanwhile, rate limit (in the resolver), durability.
//
// Idempotency: the revert's clientId is derived from the run alone
// (`revert-` + a hash of the runId; clientSeq 0), so a document has at most
// one revert per run. The request hash is the same for everyone and the
// submission is marked anyAuthor, so two people (or tokens) reverting the
// same run at once commit it once: the second is a replay of the first, at
// whatever base it was computed, and gets the first op back (replay.ts).
// A revert already committed is answered from the log without recomputing.
// The op is recorded with runId `revert:<runId>`; its actor is the caller.
import { createHash } from 'node:crypto';
import { RunRevert } from '../../../protocol/revert.ts';
import { keyReused } from '../collab/replay.ts';
import { snapshotRequired } from '../collab/retention.ts';
import type { Sequencer } from '../collab/sequencer.ts';
import type { CommittedOp, OperationLog } from '../collab/types.ts';
import { badInput } from '../errors.ts';
import { checkText } from '../validation/text.ts';
import { requireViewer, type Documents, type Viewer } from './documents.ts';

export interface RevertDeps {
  documents: Documents;
  sequencer: Sequencer;
  log: OperationLog;
}

/** The runId a revert op is recorded with: the run it reverts, marked. Reverting that run again puts the original back. */
export const REVERT_RUN_PREFIX = 'revert:';
/** Longest runId accepted here, in UTF-8 bytes: editDocument's 200 plus room for a revert's prefix or two. */
const MAX_RUN_ID_BYTES = 256;
/** Ops read from the log per query while walking from the run's first op to the head: the walk gives the event loop a turn between pages (5,000 ops behind a 500-op run took ~1.2 s of CPU on a busy 2-core machine). */
const PAGE = 200;

export async function revertRun(deps: RevertDeps, viewerInput: Viewer | null, documentId: string, runIdInput: string): Promise<CommittedOp> {
  const viewer = requireViewer(viewerInput);
  // NOT_FOUND for strangers and for a token limited to another document, FORBIDDEN below EDITOR.
  await deps.documents.role(viewer, documentId, 'EDITOR');
  const runId = checkText(runIdInput, 'runId', { minLength: 1, maxBytes: MAX_RUN_ID_BYTES });
  const clientId = revertClientId(runId);
  const requestHash = createHash('sha256').update(`revertRun\u0000${runId}`).digest('hex');

  const done = await deps.log.findByClient(documentId, clientId, 0);
  if (done) {
    if (done.requestHash === requestHash) return done;
    // Someone submitted an op of their own under this clientId (submitOperation lets a client pick any).
    throw keyReused();
  }

  // The head first, then the run: ops of the run committed after this head
  // are not part of this revert (stop a run before reverting it).
  const head = await deps.sequencer.head(documentId);
  const versions = (await deps.log.runVersions(documentId, runId)).filter((v) => v <= head.version);
  const first = versions[0];
  // Log retention: ops of the run may have gone with the cut (their runIds
  // went with them), and a revert of part of a run would be a quiet half
  // measure. A run that starts right at the floor is refused too: its
  // beginning may be below it.
  const floor = await deps.log.logFloor(documentId);
  if (floor > 0 && (first === undefined || first - 1 <= floor)) {
    throw snapshotRequired(floor, { headVersion: head.version, reason: 'RUN_BEFORE_CUT' });
  }
  if (first === undefined) throw badInput(`No op of this document belongs to run "${runId}"`, { reason: 'NO_SUCH_RUN', field: 'runId' });

  // The content before the run's first op, read once (from the nearest
  // snapshot); from there the walk composes forward.
  const revert = new RunRevert(await deps.sequencer.contentAt(documentId, first - 1), versions.length);
  for (let after = first - 1; after < head.version; ) {
    const page = await deps.log.readOps(documentId, after, head.version, PAGE);
    if (page.length === 0) throw new Error(`operation log has no ops after version ${after}`);
    for (const op of page) revert.add(op.delta, op.runId === runId);
    after = page.at(-1)!.version;
    // An embedded database answers in this thread: let sockets and other requests in between pages.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  return deps.documents.submit(
    viewer,
    { documentId, baseVersion: head.version, delta: revert.result(), clientId, clientSeq: 0 },
    { runId: `${REVERT_RUN_PREFIX}${runId}`, requestHash, anyAuthor: true },
  );
}

/** One revert per run and document: the clientId is the run's, whoever reverts it. */
export function revertClientId(runId: string): string {
  return `revert-${createHash('sha256').update(runId).digest('base64url')}`;
}
