// Serialises a shared op-stream result once, not once per subscriber.
// graphql-ws turns every `next` message into JSON on its own: with 100
// subscribers of a busy document the same batch became JSON 100 times per
// commit (~13 % of a node's time with 32 writers and 100 watchers). For a
// result that shared-stream-results.ts hands to many subscribers, onNext
// gives graphql-ws a stand-in whose JSON is a token, and the socket's send
// puts the result's JSON, made once, where the token is.
//
// graphql-ws stringifies a message and sends it in the same synchronous
// step, so the token's JSON is always at hand when the send sees it. The
// token is replaced only as the whole payload at the end of a message
// (`"payload":"<token>"}`), which no string from a client or a document can
// produce: JSON escapes the quotes inside strings, and the token carries a
// random part that never leaves the process.
//
// The JSON is kept as UTF-8 bytes, encoded once, and each socket's message
// is its own short head copied in front of them: sent as a string, every
// socket flattened the joined message, measured its UTF-8 length and
// encoded it again (~4 % of a busy node).
import { randomUUID } from 'node:crypto';
import type { ExecutionResult, FormattedExecutionResult } from 'graphql';
import type { WebSocket, WebSocketServer } from 'ws';

const PREFIX = `shared-payload:${randomUUID()}:`;
const MARK = `"payload":"${PREFIX}`;
/** Serialised payloads kept by token: only the newest few are ever looked up (see above). */
const KEPT = 256;

const shared = new WeakSet<ExecutionResult>();
const standIns = new WeakMap<ExecutionResult, FormattedExecutionResult>();
const serialised = new Map<string, Buffer>();
let nextToken = 0;
let serialisations = 0;

/** `result` (no errors) goes to several subscribers unchanged: serialise it once. */
export function markShared(result: ExecutionResult): void {
  if (!result.errors) shared.add(result);
}

/** For graphql-ws's onNext: the stand-in for a shared result, else undefined (graphql-ws then sends the result as usual). */
export function sharedPayload(result: ExecutionResult): FormattedExecutionResult | undefined {
  if (!shared.has(result)) return undefined;
  let standIn = standIns.get(result);
  if (!standIn) {
    const token = PREFIX + nextToken++;
    let json: Buffer | null = null;
    standIn = {
      toJSON: () => {
        if (json === null) {
          // What graphql-ws would send: the result without `errors` (it has none).
          json = Buffer.from(JSON.stringify(result));
          serialisations++;
        }
        if (!serialised.has(token)) {
          if (serialised.size >= KEPT) serialised.delete(serialised.keys().next().value!);
          serialised.set(token, json);
        }
        return token;
      },
    } as FormattedExecutionResult;
    standIns.set(result, standIn);
  }
  return standIn;
}

/** Puts serialised shared payloads in place of their tokens in every message sent on `wss`'s sockets. */
export function expandSharedPayloads(wss: WebSocketServer): void {
  wss.on('connection', (ws: WebSocket) => {
    const send = ws.send.bind(ws) as (data: unknown, ...rest: unknown[]) => void;
    ws.send = ((data: unknown, ...rest: unknown[]) => {
      const message = typeof data === 'string' ? expand(data) : data;
      if (message === data) return send(data, ...rest);
      // Bytes would go out as a binary frame unless told: graphql-ws speaks text.
      const [options, callback] = typeof rest[0] === 'function' ? [{}, rest[0]] : [rest[0] ?? {}, rest[1]];
      send(message, { ...(options as object), binary: false }, callback);
    }) as WebSocket['send'];
  });
}

function expand(message: string): string | Buffer {
  // A message with a token ends with `"}`; a normal `next` ends with `}}`.
  if (message.charCodeAt(message.length - 2) !== 34 /* " */) return message;
  const at = message.lastIndexOf(MARK);
  if (at < 0) return message;
  const token = message.slice(at + MARK.length - PREFIX.length, -2);
  const json = serialised.get(token);
  // Never send a token: fail loudly instead (the socket closes, the client resumes).
  if (json === undefined) throw new Error('shared payload no longer held');
  const head = message.slice(0, at + MARK.length - PREFIX.length - 1); // up to `"payload":`
  const headLength = Buffer.byteLength(head);
  const out = Buffer.allocUnsafe(headLength + json.length + 1);
  out.write(head, 0);
  json.copy(out, headLength);
  out[out.length - 1] = 125; // }
  return out;
}

/** How many shared payloads were serialised (tests: one per result, however many subscribers). */
export const sharedSerialisations = (): number => serialisations;
