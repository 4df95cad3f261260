// The write path (submitOperation, restoreVersion) and the exact stream
// (documentOperations, and documentOperationBatches in batches).
import { requireKept } from '../collab/retention.ts';
import { operationBatches, operationStream, type StreamOptions } from '../collab/stream.ts';
import type { CommittedOp } from '../collab/types.ts';
import { checkClientChosenId } from '../documents/server-client-ids.ts';
import { badInput } from '../errors.ts';
import { submissionChecks } from '../limits/rate-subject.ts';
import { opsBytes } from '../collab/content-bytes.ts';
import { builder, type Context } from './builder.ts';
import { chargeResponse } from './response-budget.ts';
import { guardedStream, unlessAccessLost } from './stream-guard.ts';
import { UserRef } from './users.ts';

/** Submissions per address, and per user or per API token (RATE_LIMITED with retryAfterMs). */
export const limitSubmissions = (ctx: Context) => ctx.services.rateLimits.consume(...submissionChecks(ctx.viewer, ctx.ip));

export const OperationRef = builder.objectRef<CommittedOp>('Operation').implement({
  description: 'A committed operation. `version` is the document version after it.',
  fields: (t) => ({
    version: t.exposeInt('version', { description: 'The document version after this op: 1 for the first op, then +1 per op, without gaps.' }),
    delta: t.field({
      type: 'Delta',
      description:
        'The change as committed: the submitted delta rebased over every op committed after its baseVersion. It applies to the content at `version - 1`. Counts its size against the response budget (MAX_RESPONSE_BYTES).',
      resolve: (op, _a, ctx, info) => {
        chargeResponse(ctx, info, opsBytes(op.delta.ops));
        return op.delta;
      },
    }),
    clientId: t.exposeString('clientId', {
      description: 'The clientId it was submitted with. Server-made ops use `create-<documentId>` (initial content), `restore-<uuid>` (restoreVersion) and `revert-<hash of the runId>` (revertRun).',
    }),
    clientSeq: t.exposeInt('clientSeq', { description: 'The clientSeq it was submitted with. A client finds its ack in the stream by (clientId, clientSeq).' }),
    author: t.field({
      type: UserRef,
      nullable: true,
      description: 'Who submitted it; null if the account no longer exists.',
      resolve: (op, _a, ctx) => (op.authorId ? ctx.services.accounts.user(op.authorId) : null),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When it was committed.' }),
  }),
});

const SubmitOperationInput = builder.inputType('SubmitOperationInput', {
  description: 'One change to a document, as a client submits it (docs/protocol.md, "Submitting").',
  fields: (t) => ({
    documentId: t.id({ required: true, description: 'The document to change (EDITOR or OWNER role needed).' }),
    baseVersion: t.int({
      required: true,
      description: 'The version the delta applies to: the last version this client has seen. Must not be ahead of the head (BAD_USER_INPUT, with `headVersion`).',
    }),
    delta: t.field({
      type: 'Delta',
      required: true,
      description: 'The change, against the content at baseVersion: retains, inserts and deletes that span no more than that content.',
    }),
    clientId: t.string({
      required: true,
      description: 'Id of the submitting client, 1-128 characters: a random UUID per editor session. It must be unique to this client, since the idempotency key is (documentId, clientId, clientSeq) whoever submits. The server\'s own forms (`create-`, `restore-`, `suggestion-`, `edit-`, `revert-` prefixes) are refused.',
    }),
    clientSeq: t.int({
      required: true,
      description: "The client's sequence number (>= 0; one per op). Resubmitting the same (clientId, clientSeq) returns the op committed the first time and adds nothing.",
    }),
    runEnd: t.int({
      required: false,
      description:
        'Optional: the position, in the content at baseVersion, just after the text your previous op inserted (0 to that content\'s length, else BAD_USER_INPUT). Where an insert committed meanwhile lands exactly there, this op\'s inserts go before it instead of after, so a run of typing stays whole when someone types at the same spot (docs/protocol.md, "Typing at the same spot"). Move it over every op you receive as the server does, and send it again unchanged with a resubmission.',
    }),
  }),
});

builder.mutationFields((t) => ({
  submitOperation: t.field({
    type: OperationRef,
    description: 'Rebases the delta over ops committed since baseVersion and appends it. Returns the committed op (or, for a resubmission, the op committed the first time).',
    args: { input: t.arg({ type: SubmitOperationInput, required: true, description: 'The change and its idempotency key.' }) },
    resolve: async (_root, { input }, ctx) => {
      await limitSubmissions(ctx);
      checkClientChosenId(input.clientId);
      return ctx.services.documents.submit(ctx.viewer, { ...input, documentId: String(input.documentId) });
    },
  }),
  restoreVersion: t.field({
    type: OperationRef,
    description: 'Makes the content equal to that of `version` again, as a new forward op (EDITOR or OWNER). History is kept.',
    args: {
      documentId: t.arg.id({ required: true, description: 'The document to restore.' }),
      version: t.arg.int({ required: true, description: 'The version whose content to bring back (0 = empty, up to the head).' }),
    },
    resolve: async (_root, args, ctx) => {
      await limitSubmissions(ctx);
      return ctx.services.documents.restore(ctx.viewer, String(args.documentId), args.version);
    },
  }),
}));

const streamArgs = (t: Parameters<Parameters<typeof builder.subscriptionField>[1]>[0]) => ({
  documentId: t.arg.id({ required: true, description: 'The document to follow (any role).' }),
  afterVersion: t.arg.int({
    required: true,
    description: 'The last version you have: the stream starts with version afterVersion + 1. 0 = from the beginning; more than the head is BAD_USER_INPUT.',
  }),
});

/**
 * Checks access and afterVersion, then opens the exact stream made by
 * `open`. An async function, not a generator: access errors must reject
 * here, before the stream starts, to reach the client as a typed error.
 * The stream ends with NOT_FOUND as soon as the viewer loses access (stream-guard.ts).
 */
function subscribeExact<T>(ctx: Context, args: { documentId: string | number; afterVersion: number }, open: (options: StreamOptions) => AsyncIterator<T>) {
  const documentId = String(args.documentId);
  const { documents, sequencer, log, feed } = ctx.services;
  return guardedStream(ctx, documentId, async () => {
    await documents.role(ctx.viewer, documentId, 'VIEWER');
    const head = await sequencer.head(documentId);
    if (!Number.isSafeInteger(args.afterVersion) || args.afterVersion < 0 || args.afterVersion > head.version) {
      throw badInput(`afterVersion must be between 0 and the head version ${head.version}`, { headVersion: head.version });
    }
    // Below the retention floor the log cannot replay: SNAPSHOT_REQUIRED, as a typed error of the stream.
    if (args.afterVersion < head.version) await requireKept(log, documentId, args.afterVersion);
    // Half the response budget per batch: with one op (at most a request body) over it, a batch still fits.
    const maxBatchBytes = Math.floor(ctx.services.config.security.maxResponseBytes / 2);
    return open({ log, live: feed, recent: sequencer, documentId, afterVersion: args.afterVersion, maxBatchBytes });
  });
}

builder.subscriptionField('documentOperations', (t) =>
  t.field({
    type: OperationRef,
    description: 'Every op with version > afterVersion, in order, exactly once, then live ops. Your own ops arrive here too: that is the ack.',
    args: streamArgs(t),
    subscribe: (_root, args, ctx) => subscribeExact(ctx, args, operationStream),
    resolve: (event) => unlessAccessLost(event),
  }),
);

builder.subscriptionField('documentOperationBatches', (t) =>
  t.field({
    type: [OperationRef],
    description:
      'The same exact stream as documentOperations (every op with version > afterVersion, in order, exactly once, then live ops), in batches: each event is one or more consecutive ops, such as a page of the catch-up or the ops of one group commit. One message per batch instead of one per op: what busy documents and the web client use.',
    args: streamArgs(t),
    subscribe: (_root, args, ctx) => subscribeExact(ctx, args, operationBatches),
    resolve: (event) => unlessAccessLost(event),
  }),
);
