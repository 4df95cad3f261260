// A large Delta becomes JSON once per content, not once per reply. A head's
// content is one object until the next op (DocumentHead.content), so when
// 100 people open a 5 MB document at one version, the node used to turn
// the same ~250k ops into the same 11 MB of JSON 100 times (~0.1-0.3 s of
// CPU each). The Delta scalar serialises to a ContentValue: JSON.stringify
// of it is `{ ops }` as before, except inside stringifyReply (the HTTP
// reply's stringifier, attached by contentJsonPlugin), where a large
// content's JSON is written once, kept beside its ops array, and put into
// each reply in place of a placeholder.
//
// Sound because ops arrays are never changed in place (quill-delta and
// ChunkedDocument build new ones), so an array's JSON stays its JSON.
// The placeholder is a string holding NUL, which no content or client text
// can hold (delta validation refuses NUL), with a random part per process;
// the replies are rebuilt in the order the placeholders were written.
import { randomUUID } from 'node:crypto';
import { isAsyncIterable } from 'graphql-yoga';
import type { Plugin } from 'graphql-yoga';
import type { DeltaOp } from '../../../protocol/delta.ts';

/** Contents with at least this many ops, or a first op this long (UTF-16 units), are serialised once. */
const MIN_OPS = 64;
const MIN_RUN = 16_384;

const json = new WeakMap<readonly DeltaOp[], string>();
const PLACEHOLDER = `\u0000content-json:${randomUUID()}:`;

/** Contents met by the stringify under way (null outside stringifyReply). */
let pending: string[] | null = null;

/** What the Delta scalar returns: `ops` as they are, and JSON `{ ops }` (toJSON on the prototype, so the value compares equal to `{ ops }`). */
export class ContentValue {
  readonly ops: DeltaOp[];
  constructor(ops: DeltaOp[]) {
    this.ops = ops;
  }

  toJSON(): unknown {
    const ops = this.ops;
    if (pending === null || !isLarge(ops)) return { ops };
    let text = json.get(ops);
    if (text === undefined) {
      const outer = pending;
      pending = null; // the content's own JSON, with no placeholders in it
      try {
        text = JSON.stringify({ ops });
      } finally {
        pending = outer;
      }
      json.set(ops, text);
    }
    pending.push(text);
    return `${PLACEHOLDER}${pending.length - 1}`;
  }
}

const isLarge = (ops: readonly DeltaOp[]) => {
  if (ops.length >= MIN_OPS) return true;
  const first = ops[0]?.insert;
  return typeof first === 'string' && first.length >= MIN_RUN;
};

/** What the Delta scalar returns for `ops`. */
export const contentValue = (ops: DeltaOp[]): ContentValue => new ContentValue(ops);

/** JSON.stringify(value), with large contents' JSON made once per content (see above). */
export function stringifyReply(value: unknown): string {
  const outer = pending;
  const texts: string[] = (pending = []);
  let out: string;
  try {
    out = JSON.stringify(value);
  } finally {
    pending = outer;
  }
  if (texts.length === 0) return out;
  const parts: string[] = [];
  let at = 0;
  for (let k = 0; k < texts.length; k++) {
    const quoted = JSON.stringify(`${PLACEHOLDER}${k}`);
    const found = out.indexOf(quoted, at);
    if (found < 0) throw new Error('a content placeholder was not found in the reply');
    parts.push(out.slice(at, found), texts[k]!);
    at = found + quoted.length;
  }
  parts.push(out.slice(at));
  return parts.join('');
}

/**
 * Gives every single (non-streamed) result stringifyReply as its
 * stringifier: yoga's HTTP replies use `result.stringify` when there is
 * one. graphql-ws messages ignore it and serialise contents as usual.
 */
export function contentJsonPlugin(): Plugin {
  return {
    onExecute() {
      return {
        onExecuteDone({ result }) {
          if (isAsyncIterable(result)) return;
          (result as { stringify?: (value: unknown) => string }).stringify = stringifyReply;
        },
      };
    },
  };
}
