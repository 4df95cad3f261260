// The write path (submitOperation, restoreVersion) and the exact stream
// (documentOperations).
import { operationStream } from '../collab/stream.js';
import type { CommittedOp } from '../collab/types.js';
import { badInput } from '../errors.js';
import { builder, type Context } from './builder.js';
import { guardedStream, unlessAccessLost } from './stream-guard.js';
import { UserRef } from './users.js';

/** Submissions per user and per address (RATE_LIMITED with retryAfterMs). */
const limitSubmissions = (ctx: Context) =>
  ctx.services.rateLimits.consume(['submitPerIp', ctx.ip], ...(ctx.viewer ? [['submitPerUser', ctx.viewer.userId] as const] : []));

export const OperationRef = builder.objectRef<CommittedOp>('Operation').implement({
  description: 'A committed operation. `version` is the document version after it.',
  fields: (t) => ({
    version: t.exposeInt('version'),
    delta: t.expose('delta', { type: 'Delta' }),
    clientId: t.exposeString('clientId'),
    clientSeq: t.exposeInt('clientSeq'),
    author: t.field({
      type: UserRef,
      nullable: true,
      resolve: (op, _a, ctx) => (op.authorId ? ctx.services.accounts.user(op.authorId) : null),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const SubmitOperationInput = builder.inputType('SubmitOperationInput', {
  fields: (t) => ({
    documentId: t.id({ required: true }),
    baseVersion: t.int({ required: true, description: 'The version the delta applies to.' }),
    delta: t.field({ type: 'Delta', required: true }),
    clientId: t.string({ required: true, description: 'Stable id of the submitting client (1-128 chars).' }),
    clientSeq: t.int({ required: true, description: "The client's sequence number; (clientId, clientSeq) makes resubmission idempotent." }),
  }),
});

builder.mutationFields((t) => ({
  submitOperation: t.field({
    type: OperationRef,
    description: 'Rebases the delta over ops committed since baseVersion and appends it. Returns the committed op (or, for a resubmission, the op committed the first time).',
    args: { input: t.arg({ type: SubmitOperationInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      await limitSubmissions(ctx);
      return ctx.services.documents.submit(ctx.viewer, { ...input, documentId: String(input.documentId) });
    },
  }),
  restoreVersion: t.field({
    type: OperationRef,
    description: 'Makes the content equal to that of `version` again, as a new forward op.',
    args: { documentId: t.arg.id({ required: true }), version: t.arg.int({ required: true }) },
    resolve: async (_root, args, ctx) => {
      await limitSubmissions(ctx);
      return ctx.services.documents.restore(ctx.viewer, String(args.documentId), args.version);
    },
  }),
}));

builder.subscriptionField('documentOperations', (t) =>
  t.field({
    type: OperationRef,
    description: 'Every op with version > afterVersion, in order, exactly once, then live ops. Your own ops arrive here too: that is the ack.',
    args: { documentId: t.arg.id({ required: true }), afterVersion: t.arg.int({ required: true }) },
    // An async function, not a generator: access errors must reject here,
    // before the stream starts, to reach the client as a typed error.
    subscribe: async (_root, args, ctx) => {
      const documentId = String(args.documentId);
      const { documents, sequencer, log, feed } = ctx.services;
      // Ends with NOT_FOUND as soon as the viewer loses access (stream-guard.ts).
      return guardedStream(ctx, documentId, async () => {
        await documents.access(ctx.viewer, documentId, 'VIEWER');
        const head = await sequencer.head(documentId);
        if (!Number.isSafeInteger(args.afterVersion) || args.afterVersion < 0 || args.afterVersion > head.version) {
          throw badInput(`afterVersion must be between 0 and the head version ${head.version}`, { headVersion: head.version });
        }
        return operationStream({ log, documentId, afterVersion: args.afterVersion, subscribe: () => feed.subscribe(documentId) });
      });
    },
    resolve: (event) => unlessAccessLost(event),
  }),
);
