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
// look here), and the root field's own arguments only choose the document
// (so subscribers that started at different versions share too). Anything
// else (the access-lost event that ends a stream, other subscriptions) is
// executed per subscriber as usual.
//
// Two ways in: over HTTP (server-sent events) the plugin below replaces
// envelop's subscribe for these operations; over WebSocket, graphql.ts
// subscribes to them directly (SharedStreamResults.stream with its masking
// hooks), without envelop's per-subscription wrappers, which cost an idle
// socket several KB (docs/capacity.md).
import { createSourceEventStream, execute, Kind, visit, type ASTNode, type DocumentNode, type ExecutionArgs, type ExecutionResult, type FieldNode, type OperationDefinitionNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { PresenceBatch } from '../collab/presence-batches.ts';
import type { CommittedOp } from '../collab/types.ts';
import { markShared } from './shared-payloads.ts';

/** The stream fields whose results can be shared. */
const SHARED_FIELDS = new Set(['documentOperations', 'documentOperationBatches', 'documentPresenceBatches']);

/** Results kept for subscribers that have not reached a batch yet; a slow one beyond this executes its own. */
const MAX_RESULTS = 512;

type Result = ExecutionResult | Promise<ExecutionResult>;

/** What a shareable query's results depend on besides the events. */
export interface QueryShape {
  /** `${queryId}\u0000`: the key prefix of every subscriber of this query that reads no variable below the root field. */
  readonly base: string;
  /** Variables read below the root field (e.g. by @include): their values are part of each subscriber's key. */
  readonly innerVariables: readonly string[];
  /** The query's text as first seen (the parser cache gives one document per text). */
  readonly query: string;
}

/** Per-result hooks of the WebSocket path, which runs without envelop's wrappers (graphql.ts). */
export interface ResultHooks {
  /** Each result as the client gets it (error masking). */
  result(result: ExecutionResult): ExecutionResult;
  /** What a failing source becomes (error masking). */
  error(error: unknown): unknown;
}

/**
 * The results of the shareable streams of one server, by (query shape,
 * event): one execution per batch for every subscriber with that shape.
 */
export class SharedStreamResults {
  private readonly shapes = new WeakMap<DocumentNode, { operationName: string | null | undefined; shape: QueryShape | null }>();
  private nextQueryId = 0;
  private readonly results = new Map<string, Result>();

  /** The shape of `document` if its operation is a shareable stream (one op-stream field, nothing else), else null. */
  shapeOf(document: DocumentNode, operationName: string | null | undefined): QueryShape | null {
    const known = this.shapes.get(document);
    if (known && known.operationName === operationName) return known.shape;
    const operation = shareableOperation(document, operationName);
    let shape: QueryShape | null = null;
    if (operation) {
      const fragments = document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION);
      // The root field's own arguments only choose the document, which every event names: not part of the shape.
      const selectionSet = (operation.selectionSet.selections[0] as FieldNode).selectionSet;
      shape = { base: `${this.nextQueryId++}\u0000`, innerVariables: variablesIn([...(selectionSet ? [selectionSet] : []), ...fragments]), query: document.loc?.source.body ?? '' };
    }
    this.shapes.set(document, { operationName, shape });
    return shape;
  }

  /** `source`'s events as results, shared with every subscriber of the same shape; `hooks` for a path without envelop. */
  stream(source: AsyncIterable<unknown>, args: ExecutionArgs, shape: QueryShape, hooks: ResultHooks | null = null): AsyncIterableIterator<ExecutionResult> {
    const variables = args.variableValues;
    const key = shape.innerVariables.length === 0 ? shape.base : `${shape.base}${shape.innerVariables.map((name) => JSON.stringify(variables?.[name] ?? null)).join(',')}`;
    return new SharedResultStream(source[Symbol.asyncIterator](), args, key, this, hooks);
  }

  /** The result of `event` for subscribers of `shape`: computed by the first to ask, then handed to the others. */
  resultOf(event: unknown, shape: string, args: ExecutionArgs): Result {
    const run = () => execute({ ...args, rootValue: event });
    const key = eventKey(event, shape);
    if (key === null) return run();
    const known = this.results.get(key);
    if (known) return known;
    const result = run();
    if (this.results.size >= MAX_RESULTS) this.results.delete(this.results.keys().next().value!);
    this.results.set(key, result);
    // A result with errors (say, the database away while resolving an
    // author) is not kept: whoever asks again gets a fresh attempt.
    // The others get it serialised once (shared-payloads.ts).
    const settle = (settled: ExecutionResult) => {
      if (settled.errors && this.results.get(key) === result) this.results.delete(key);
      markShared(settled); // ignores a result with errors
    };
    if (result instanceof Promise) result.then(settle, () => this.results.delete(key));
    else settle(result);
    return result;
  }
}

/**
 * One subscriber's results. A class with the state in fields, not a
 * closure per step: tens of thousands of idle subscribers each hold one.
 * `return()` ends the source at once (the op streams rely on it to unsubscribe).
 */
class SharedResultStream implements AsyncIterableIterator<ExecutionResult> {
  private readonly source: AsyncIterator<unknown>;
  private readonly args: ExecutionArgs;
  private readonly shape: string;
  private readonly owner: SharedStreamResults;
  private readonly hooks: ResultHooks | null;
  constructor(source: AsyncIterator<unknown>, args: ExecutionArgs, shape: string, owner: SharedStreamResults, hooks: ResultHooks | null) {
    this.source = source;
    this.args = args;
    this.shape = shape;
    this.owner = owner;
    this.hooks = hooks;
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    // One promise per pending step (each idle subscriber has one pending).
    return this.source.next().then(
      (event) => this.step(event),
      (error: unknown) => {
        throw this.hooks ? this.hooks.error(error) : error;
      },
    );
  }

  private step(event: IteratorResult<unknown>): IteratorResult<ExecutionResult> | Promise<IteratorResult<ExecutionResult>> {
    if (event.done) return { value: undefined, done: true };
    const result = this.owner.resultOf(event.value, this.shape, this.args);
    return result instanceof Promise ? result.then((value) => this.item(value)) : this.item(result);
  }

  private item(result: ExecutionResult): IteratorResult<ExecutionResult> {
    return { value: this.hooks && result.errors ? this.hooks.result(result) : result, done: false };
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    await this.source.return?.();
    return { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.source.return?.();
    throw error;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ExecutionResult> {
    return this;
  }
}

/** HTTP (server-sent events): envelop's subscribe, with the shareable streams' results shared. */
export function sharedStreamResultsPlugin(shared: SharedStreamResults): Plugin {
  return {
    onSubscribe({ args, setSubscribeFn }) {
      const shape = shared.shapeOf(args.document as DocumentNode, args.operationName);
      if (!shape) return;
      setSubscribeFn(async (subscribeArgs) => {
        const source = await createSourceEventStream(subscribeArgs);
        if (!isAsyncIterable(source)) return source; // an error result: access refused, bad input
        return shared.stream(source, subscribeArgs as ExecutionArgs, shape);
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

/** Names of the variables read in `nodes` (below the root field and in the fragments, e.g. by @include): they can differ per subscriber. */
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
