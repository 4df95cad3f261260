// Executes each live batch of an op stream once per query, not once per
// subscriber. Every subscriber of a busy document receives the same
// committed ops; graphql-js would run the same selection set over them for
// each subscriber (with 100 watchers, 100 times per batch). Here the
// result for (document, first version, op count, query, variables used
// below the root field) is computed by the first subscriber to need it and
// handed to the others.
//
// Presence batches (documentPresenceBatches) are shared the same way: a
// batch is one object handed to every watcher of the document on this node.
//
// Sound because what these streams deliver depends only on the ops or the
// batch: no field reachable from Operation or Presence reads the viewer
// (shared-stream-results.test.ts lists them, so adding one forces a second
// look here), and the root field's own arguments only choose the document. Anything else (the access-lost event that
// ends a stream, other subscriptions) is executed per subscriber as usual.
import { createSourceEventStream, execute, Kind, visit, type ASTNode, type DocumentNode, type ExecutionArgs, type ExecutionResult, type OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { PresenceBatch } from '../collab/presence-batches.ts';
import type { CommittedOp } from '../collab/types.ts';
import { markShared } from './shared-payloads.ts';

/** The stream fields whose results can be shared. */
const SHARED_FIELDS = new Set(['documentOperations', 'documentOperationBatches', 'documentPresenceBatches']);

/** Results kept for subscribers that have not reached a batch yet; a slow one beyond this executes its own. */
const MAX_RESULTS = 512;

type Result = ExecutionResult | Promise<ExecutionResult>;

export function sharedStreamResultsPlugin(): Plugin {
  const queryIds = new WeakMap<DocumentNode, number>();
  let nextQueryId = 0;
  const results = new Map<string, Result>();

  const remember = (key: string, result: Result) => {
    if (results.size >= MAX_RESULTS) results.delete(results.keys().next().value!);
    results.set(key, result);
  };

  return {
    onSubscribe({ args, setSubscribeFn }) {
      const operation = shareableOperation(args.document as DocumentNode, args.operationName);
      if (!operation) return;
      let queryId = queryIds.get(args.document);
      if (queryId === undefined) queryIds.set(args.document, (queryId = nextQueryId++));
      const fragments = (args.document as DocumentNode).definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
      const innerVariables = variablesIn([operation.selectionSet.selections[0]!, ...fragments]);
      setSubscribeFn(async (subscribeArgs) => {
        const source = await createSourceEventStream(subscribeArgs);
        if (!isAsyncIterable(source)) return source; // an error result: access refused, bad input
        // What this subscriber's results depend on besides the ops: the query and the variables its selection reads.
        const variables = subscribeArgs.variableValues;
        const shape = `${queryId}\u0000${innerVariables.map((name) => JSON.stringify(variables?.[name] ?? null)).join(',')}`;
        const run = (event: unknown) => execute({ ...(subscribeArgs as ExecutionArgs), rootValue: event });
        return mapEvents(source, (event) => {
          const key = eventKey(event, shape);
          if (key === null) return run(event);
          const known = results.get(key);
          if (known) return known;
          const result = run(event);
          remember(key, result);
          // A result with errors (say, the database away while resolving an
          // author) is not kept: whoever asks again gets a fresh attempt.
          // The others get it serialised once (shared-payloads.ts).
          const settle = (settled: ExecutionResult) => {
            if (settled.errors && results.get(key) === result) results.delete(key);
            markShared(settled); // ignores a result with errors
          };
          if (result instanceof Promise) result.then(settle, () => results.delete(key));
          else settle(result);
          return result;
        });
      });
    },
  };
}

/** The subscription operation if it selects exactly one op-stream field (nothing else shares a payload). */
function shareableOperation(document: DocumentNode, operationName: string | null | undefined): OperationDefinitionNode | null {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation || operation.operation !== 'subscription') return null;
  const [field, ...rest] = operation.selectionSet.selections;
  if (!field || rest.length > 0 || field.kind !== Kind.FIELD || !SHARED_FIELDS.has(field.name.value) || field.directives?.length) return null;
  return operation;
}

/** Names of the variables read in `nodes` (the root field and the fragments, e.g. by @include): they can differ per subscriber. */
function variablesIn(nodes: readonly ASTNode[]): string[] {
  const names = new Set<string>();
  for (const node of nodes) visit(node, { Variable: (variable) => void names.add(variable.name.value) });
  return [...names].sort();
}

function eventKey(event: unknown, shape: string): string | null {
  if (isPresenceBatch(event)) return event.batchId === null ? null : `${shape}\u0000presence\u0000${event.batchId}`;
  const ops = Array.isArray(event) ? (event as CommittedOp[]) : isOp(event) ? [event] : null;
  const first = ops?.[0];
  if (!ops || !first || !ops.every(isOp)) return null;
  // Committed ops never change: a document's version range names its content.
  return `${shape}\u0000${Array.isArray(event) ? 'batch' : 'op'}\u0000${first.documentId}\u0000${first.version}\u0000${ops.length}`;
}

const isOp = (value: unknown): value is CommittedOp =>
  typeof value === 'object' && value !== null && typeof (value as CommittedOp).documentId === 'string' && Number.isInteger((value as CommittedOp).version);

const isPresenceBatch = (value: unknown): value is PresenceBatch =>
  typeof value === 'object' && value !== null && Array.isArray((value as PresenceBatch).entries) && 'batchId' in value;

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> => typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

/** Maps a stream; `return()` ends the source at once (the op streams rely on it to unsubscribe). */
function mapEvents(source: AsyncIterable<unknown>, map: (event: unknown) => Result): AsyncIterableIterator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  // Plain promise chains, not async functions: this runs once per subscriber per batch.
  const mapped: AsyncIterableIterator<ExecutionResult> = {
    next: () =>
      iterator.next().then((step): IteratorResult<ExecutionResult> | Promise<IteratorResult<ExecutionResult>> => {
        if (step.done) return { value: undefined, done: true };
        const result = map(step.value);
        return result instanceof Promise ? result.then((value) => ({ value, done: false })) : { value: result, done: false };
      }),
    async return() {
      await iterator.return?.();
      return { value: undefined, done: true };
    },
    async throw(error: unknown) {
      await iterator.return?.();
      throw error;
    },
    [Symbol.asyncIterator]: () => mapped,
  };
  return mapped;
}
