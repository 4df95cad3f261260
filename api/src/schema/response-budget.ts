// A byte budget per response, so that no query can make a node build and
// send more than MAX_RESPONSE_BYTES of content. Query cost (graphql-armor)
// counts fields, not their size: `content` is one scalar whether the
// document holds 10 bytes or 8 MiB, so 15 aliases of it sent 270 MB and
// took the node's memory to 2 GB. Here every field that returns content
// (Document.content, Document.contentAt, Operation.delta, wherever an
// Operation appears: the log, a mutation's answer, a stream event) draws
// its size (content-bytes.ts) from the budget of the response it is part
// of, before it is returned; the field that would pass the budget fails
// with BAD_USER_INPUT (limit responseBytes), and the rest of the response
// is sent. Sizes are known before anything is serialised: the head keeps
// its byte size, ops are measured once.
//
// Which response: over HTTP, the request (one context each); over
// WebSocket, each query or mutation message (one context each); for a
// subscription, whose context lives as long as it does, each event on its
// own (keyed by the event object, per subscriber).
import type { GraphQLResolveInfo } from 'graphql';
import { badInput } from '../errors.ts';
import type { Context } from './builder.ts';

interface Account {
  spent: number;
}
const perContext = new WeakMap<Context, Account>();
const perEvent = new WeakMap<Context, WeakMap<object, Account>>();

function account(ctx: Context, info: GraphQLResolveInfo): Account {
  const event: unknown = info.rootValue;
  if (info.operation.operation === 'subscription' && typeof event === 'object' && event !== null) {
    let events = perEvent.get(ctx);
    if (!events) perEvent.set(ctx, (events = new WeakMap()));
    let entry = events.get(event);
    if (!entry) events.set(event, (entry = { spent: 0 }));
    return entry;
  }
  let entry = perContext.get(ctx);
  if (!entry) perContext.set(ctx, (entry = { spent: 0 }));
  return entry;
}

/** Draws `bytes` from the response's budget, or throws BAD_USER_INPUT (limit responseBytes, max) and draws nothing. */
export function chargeResponse(ctx: Context, info: GraphQLResolveInfo, bytes: number): void {
  const max = ctx.services.config.security.maxResponseBytes;
  const budget = account(ctx, info);
  if (budget.spent + bytes > max) {
    throw badInput(`This response would carry more than ${max} bytes of content; ask for less at once (fewer fields or aliases, smaller pages)`, {
      limit: 'responseBytes',
      max,
    });
  }
  budget.spent += bytes;
}
