// Serialises a shared op-stream result once, not once per subscriber.
// graphql-ws turns every `next` message into JSON on its own: with 100
// subscribers of a busy document the same batch became JSON 100 times per
// commit (~13 % of a node's time with 32 writers and 100 watchers). For a
// result that shared-stream-results.ts hands to many subscribers, onNext
// gives graphql-ws a stand-in whose JSON is a placeholder string, and the
// socket server (socket-server.ts) puts the result's JSON, made once, where
// the placeholder is.
//
// graphql-ws's makeServer builds each message and hands it to our socket's
// send in one synchronous step (`socket.send(stringifyMessage(message))`),
// so the stand-in's JSON is the one `take` finds waiting: nothing can run
// between the two. The placeholder is only looked for as the whole payload
// at the end of that one message (`"payload":"<placeholder>"}`), never
// searched for in other text.
//
// The JSON is kept as UTF-8 bytes, encoded once, and each socket's message
// is its own short head copied in front of them: sent as a string, every
// socket flattened the joined message, measured its UTF-8 length and
// encoded it again (~4 % of a busy node).
//
// Those bytes live as long as their result is cached (up to 512 per
// server), so they get a buffer of their own (utf8-bytes.ts): as a slice of
// Node's Buffer pool, each kept the 64 KiB slab that the messages for every
// socket between two commits filled around it (12.5 MiB of a node after the
// steady load, bench/README).
import { randomUUID } from 'node:crypto';
import type { ExecutionResult, FormattedExecutionResult } from 'graphql';
import { utf8Bytes } from './utf8-bytes.ts';

/** Results (without errors) that go to several subscribers unchanged. */
const shared = new WeakSet<ExecutionResult>();

/** `result` (no errors) goes to several subscribers unchanged: serialise it once. */
export function markShared(result: ExecutionResult): void {
  if (!result.errors) shared.add(result);
}

/** One socket server's stand-ins and the payload its next send is waiting for. */
export class SharedPayloads {
  /** Random per server: no client text is ever compared with it, but it costs nothing to make it unguessable. */
  private readonly placeholder = `shared-payload:${randomUUID()}`;
  private readonly tail: string;
  private readonly standIns = new WeakMap<ExecutionResult, FormattedExecutionResult>();
  private readonly serialisedOnce: () => void;
  /** The bytes of the stand-in serialised last, for the send that follows at once. */
  private waiting: Buffer | null = null;

  constructor(onSerialised: () => void = () => {}) {
    this.serialisedOnce = onSerialised;
    this.tail = `"payload":${JSON.stringify(this.placeholder)}}`;
  }

  /** For graphql-ws's onNext: the stand-in for a shared result, else undefined (graphql-ws then sends the result as usual). */
  standInFor(result: ExecutionResult): FormattedExecutionResult | undefined {
    if (!shared.has(result)) return undefined;
    let standIn = this.standIns.get(result);
    if (!standIn) {
      let json: Buffer | null = null;
      standIn = {
        toJSON: () => {
          if (json === null) {
            // What graphql-ws would send: the result without `errors` (it has none).
            json = utf8Bytes(JSON.stringify(result));
            this.serialisedOnce();
          }
          this.waiting = json;
          return this.placeholder;
        },
      } as FormattedExecutionResult;
      this.standIns.set(result, standIn);
    }
    return standIn;
  }

  /** The message to send for `message`: as is, or with the waiting payload's bytes in the placeholder's place. */
  take(message: string): string | Buffer {
    const json = this.waiting;
    if (json === null) return message;
    this.waiting = null;
    // Never send a placeholder: fail loudly instead (the socket closes, the client resumes).
    if (!message.endsWith(this.tail)) throw new Error('a shared payload was serialised but not sent');
    const head = message.slice(0, message.length - this.tail.length + '"payload":'.length);
    const headLength = Buffer.byteLength(head);
    const out = Buffer.allocUnsafe(headLength + json.length + 1);
    out.write(head, 0);
    json.copy(out, headLength);
    out[out.length - 1] = 125; // }
    return out;
  }
}
