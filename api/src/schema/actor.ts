// Operation.actor: who wrote an op, a person or an API token (with its run).
import type { CommittedOp } from '../collab/types.ts';
import { builder } from './builder.ts';
import { OperationRef } from './operations.ts';
import { UserRef } from './users.ts';

const ActorKindEnum = builder.enumType('ActorKind', {
  description: 'Who wrote an operation.',
  values: {
    PERSON: { description: 'A person, in the web client or any client signed in with an access token.' },
    TOKEN: { description: 'An agent or a backend, with an API token (acting for the token\'s creator, `user`).' },
  } as const,
});

/** Who did something: an op's author, or a document event's actor. */
export type ActorSource = Pick<CommittedOp, 'authorId' | 'tokenId' | 'runId'>;

export const ActorRef = builder.objectRef<ActorSource>('Actor').implement({
  description: 'Who wrote an operation (or made a document event): a person, or an API token acting for its creator. Ops written before API tokens existed read as PERSON.',
  fields: (t) => ({
    kind: t.field({ type: ActorKindEnum, description: 'PERSON or TOKEN.', resolve: (op) => (op.tokenId ? 'TOKEN' : 'PERSON') }),
    user: t.field({
      type: UserRef,
      nullable: true,
      description: "The person (for a token, its creator); null for the server's own ops or a deleted account.",
      resolve: (op, _a, ctx) => (op.authorId ? ctx.services.accounts.user(op.authorId) : null),
    }),
    tokenName: t.string({
      nullable: true,
      description: "The API token's name (TOKEN only; kept after it is revoked).",
      resolve: (op, _a, ctx) => (op.tokenId ? ctx.services.apiTokens.nameOf(op.tokenId) : null),
    }),
    runId: t.string({ nullable: true, description: "The run it belongs to (editDocument's runId), if one was given.", resolve: (op) => op.runId ?? null }),
  }),
});

builder.objectField(OperationRef, 'actor', (t) =>
  t.field({ type: ActorRef, description: 'Who wrote it: a person, or an API token (with its runId).', resolve: (op) => op }),
);
