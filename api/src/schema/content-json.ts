// A large Delta becomes JSON once per content, not once per reply, and its
// UTF-8 bytes once too. When 100 people open a 5 MB document at one
// version, the node used to turn the same ~250k ops into the same 11 MB of
// JSON 100 times (~0.1-0.3 s of CPU each); then, with that made once, it
// still joined each reply into one 11 MB string and encoded it to UTF-8
// (~40 ms a reply, and 11 MB of memory per reply waiting in its socket).
//
// The Delta scalar serialises to a ContentValue: JSON.stringify of it is
// `{ ops }` as before, except inside a reply's stringifier, where a large
// content's JSON is put into the reply in place of a placeholder. The
// content's JSON comes from its source when it has one (a head's content,
// document-head.ts: made from the blocks' JSON, or the stored snapshot's
// text itself), else it is made once and kept beside its ops array. HTTP
// replies that hold one are sent as bytes (contentJsonPlugin): the reply's
// own JSON around the content's bytes, which every reply of that content
// shares (a socket writes them without a copy).
//
// Sound because ops arrays are never changed in place (quill-delta and
// ChunkedDocument build new ones), so an array's JSON stays its JSON, and a
// source is the content at one version, which never changes.
// The placeholder is a string holding NUL, which no content or client text
// can hold (delta validation refuses NUL), with a random part per process;
// the replies are rebuilt in the order the placeholders were written.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { isAsyncIterable, processRegularResult } from 'graphql-yoga';
import type { Plugin } from 'graphql-yoga';
import { getOperationAST, Kind, type DocumentNode } from 'graphql';
import { negotiateEncoding } from '../http/compression.ts';
import { utf8Bytes } from '../http/utf8-bytes.ts';
import { deflateReply, worthCompressing } from './compressed-reply.ts';
import type { JSONPart } from '../../../protocol/chunked-document.ts';
import type { Delta, DeltaOp } from '../../../protocol/delta.ts';

/** Contents with at least this many ops, or a first op this long (UTF-16 units), are serialised once. */
const MIN_OPS = 64;
const MIN_RUN = 16_384;

/** Content whose JSON is at hand without building its ops (a head's, DocumentHead.read). */
export interface ContentSource {
  readonly content: Delta;
  /** `JSON.stringify({ ops: content.ops })`. */
  json(): string;
  /** Bytes of the content (content-bytes.ts): whether it is worth a placeholder. */
  readonly bytes: number;
  /**
   * json() in parts, `{"ops":[` + parts joined by commas + `]}`, where a
   * part that stays from one version to the next is the same object: its
   * bytes are encoded once, not once per version.
   */
  jsonParts?(): readonly JSONPart[];
  /** The UTF-8 of json() when it is at hand as is (a snapshot's, read back), else null. */
  utf8?(): Uint8Array | null;
}

const json = new WeakMap<readonly DeltaOp[], string>();
/** UTF-8 of a content's JSON, by its ops array or its source. */
const utf8 = new WeakMap<object, Buffer[]>();
const PLACEHOLDER = `\u0000content-json:${randomUUID()}:`;

/** A content met by the stringify under way: its JSON (made when asked for: bytes may come from parts), and what its bytes are kept by. */
interface Met {
  text(): string;
  key: object;
  parts?: (() => readonly JSONPart[]) | undefined;
  utf8?: (() => Uint8Array | null) | undefined;
}

/** Contents met by the stringify under way (null outside stringifyReply). */
let pending: Met[] | null = null;

/** UTF-8 of a source's parts, by part (a part that stays from one version to the next keeps its bytes). */
const partBytes = new WeakMap<object, Buffer>();
const OPEN = Buffer.from('{"ops":[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']}');

const view = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** A part's UTF-8 encoded from its text, once per part. */
function encodedPart(part: JSONPart): Buffer {
  let bytes = partBytes.get(part);
  if (!bytes) partBytes.set(part, (bytes = utf8Bytes(part.text)));
  return bytes;
}

/**
 * A large content's UTF-8, in a few pieces, made once per content: the
 * bytes it has at hand (a snapshot's, as read), or its parts' (only parts
 * changed since the last version are encoded). Neighbouring stored blocks
 * are neighbours in the snapshot's bytes too (the comma between them is
 * there): one slice covers them, so a document read back with a short tail
 * of ops replies with a slice, the new blocks' bytes and another slice,
 * not with an 11 MB copy (allocating it alone took ~30 ms on a busy node).
 */
function bytesOf(m: Met): Buffer[] {
  let bytes = utf8.get(m.key);
  if (bytes) return bytes;
  const direct = m.utf8?.();
  const parts = direct ? null : m.parts?.();
  if (direct) {
    bytes = [view(direct)];
  } else if (parts) {
    // In order: `{"ops":[`, the parts with commas between, `]}`; `stored` marks a slice of the snapshot's bytes.
    const items: Array<{ bytes: Uint8Array; stored: boolean }> = [{ bytes: OPEN, stored: false }];
    parts.forEach((part, k) => {
      if (k > 0) items.push({ bytes: COMMA, stored: false });
      if (part.utf8) return items.push({ bytes: part.utf8, stored: true });
      items.push({ bytes: encodedPart(part), stored: false });
    });
    items.push({ bytes: CLOSE, stored: false });
    bytes = [];
    let loose: Uint8Array[] = [];
    const flushLoose = () => {
      if (loose.length > 0) bytes!.push(loose.length === 1 ? view(loose[0]!) : Buffer.concat(loose));
      loose = [];
    };
    for (let i = 0; i < items.length; i++) {
      const { bytes: first, stored } = items[i]!;
      if (!stored) {
        loose.push(first);
        continue;
      }
      // Over the comma and the next slice while they follow on in the same bytes.
      let end = first.byteOffset + first.byteLength;
      for (let next = items[i + 2]; next?.stored && next.bytes.buffer === first.buffer && next.bytes.byteOffset === end + 1; next = items[i + 2]) {
        end = next.bytes.byteOffset + next.bytes.byteLength;
        i += 2;
      }
      flushLoose();
      bytes.push(Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset));
    }
    flushLoose();
  } else {
    bytes = [utf8Bytes(m.text())];
  }
  utf8.set(m.key, bytes);
  return bytes;
}

/** What the Delta scalar returns: `ops` as they are (an own property, so the value compares equal to `{ ops }`), and JSON `{ ops }`. */
export class ContentValue {
  declare readonly ops: DeltaOp[];
  readonly #source: ContentSource | null;
  constructor(ops: DeltaOp[] | ContentSource) {
    if (Array.isArray(ops)) {
      this.#source = null;
      Object.defineProperty(this, 'ops', { value: ops, enumerable: true });
    } else {
      const source = (this.#source = ops);
      // Built (or parsed) only if someone reads them: an HTTP reply needs the JSON alone.
      Object.defineProperty(this, 'ops', { get: () => source.content.ops, enumerable: true });
    }
  }

  toJSON(): unknown {
    if (pending === null) return { ops: this.ops };
    const met = this.#met();
    if (met === null) return { ops: this.ops };
    pending.push(met);
    return `${PLACEHOLDER}${pending.length - 1}`;
  }

  /** The JSON of a content worth a placeholder, made once; null for a small one. */
  #met(): Met | null {
    const source = this.#source;
    if (source) return source.bytes >= MIN_RUN ? { text: () => source.json(), key: source, parts: source.jsonParts?.bind(source), utf8: source.utf8?.bind(source) } : null;
    const ops = this.ops;
    if (!isLarge(ops)) return null;
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
    const made = text;
    return { text: () => made, key: ops };
  }
}

const isLarge = (ops: readonly DeltaOp[]) => {
  if (ops.length >= MIN_OPS) return true;
  const first = ops[0]?.insert;
  return typeof first === 'string' && first.length >= MIN_RUN;
};

/** What the Delta scalar returns for a delta's ops, or for a head's content (its JSON at hand). */
export const contentValue = (content: DeltaOp[] | ContentSource): ContentValue => new ContentValue(content);

/** JSON.stringify(value) with the placeholders of the large contents in it, and those contents. */
function stringifyMeeting(value: unknown): { out: string; met: Met[] } {
  const outer = pending;
  const met: Met[] = (pending = []);
  try {
    return { out: JSON.stringify(value), met };
  } finally {
    pending = outer;
  }
}

/** Calls `each` with the reply's own JSON and each content's in turn, in order. */
function splice(out: string, met: Met[], text: (part: string) => void, content: (m: Met) => void): void {
  let at = 0;
  for (let k = 0; k < met.length; k++) {
    const quoted = JSON.stringify(`${PLACEHOLDER}${k}`);
    const found = out.indexOf(quoted, at);
    if (found < 0) throw new Error('a content placeholder was not found in the reply');
    text(out.slice(at, found));
    content(met[k]!);
    at = found + quoted.length;
  }
  text(out.slice(at));
}

/** JSON.stringify(value), with large contents' JSON made once per content (see above). */
export function stringifyReply(value: unknown): string {
  const { out, met } = stringifyMeeting(value);
  if (met.length === 0) return out;
  const parts: string[] = [];
  splice(
    out,
    met,
    (part) => parts.push(part),
    (m) => parts.push(m.text()),
  );
  return parts.join('');
}

/**
 * JSON.stringify(value) as UTF-8 bytes, in pieces: the reply's own JSON,
 * and each large content's bytes, encoded once per content and shared by
 * every reply that holds it. Null when the reply holds no large content.
 */
export function replyBytes(value: unknown): Buffer[] | null {
  const { out, met } = stringifyMeeting(value);
  if (met.length === 0) return null;
  const parts: Buffer[] = [];
  splice(
    out,
    met,
    (part) => {
      if (part.length > 0) parts.push(Buffer.from(part));
    },
    (m) => parts.push(...bytesOf(m)),
  );
  return parts;
}

/**
 * A piece of a reply's UTF-8, for compressing it in pieces
 * (compressed-reply.ts): a content's part, kept by `key` (a part that stays
 * from one version to the next is the same object; `comma` says whether the
 * comma before it is in `bytes`), a whole content without parts (by its
 * key), or the reply's own JSON around them (no key: made per reply).
 */
export interface ReplyChunk {
  key?: object;
  comma?: boolean;
  bytes(): Buffer;
  /** bytes().length, without joining anything. */
  length(): number;
}

/** JSON.stringify(value) in chunks (see ReplyChunk), and the keys of its large contents; null when it holds none. */
export function replyChunks(value: unknown): { chunks: ReplyChunk[]; contents: object[] } | null {
  const { out, met } = stringifyMeeting(value);
  if (met.length === 0) return null;
  const chunks: ReplyChunk[] = [];
  const loose = (bytes: Buffer) => chunks.push({ bytes: () => bytes, length: () => bytes.length });
  splice(
    out,
    met,
    (part) => {
      if (part.length > 0) loose(Buffer.from(part));
    },
    (m) => {
      const parts = m.parts?.();
      if (!parts) {
        chunks.push({ key: m.key, bytes: () => Buffer.concat(bytesOf(m)), length: () => bytesOf(m).reduce((n, b) => n + b.length, 0) });
        return;
      }
      loose(OPEN);
      parts.forEach((part, k) => {
        const own = () => (part.utf8 ? view(part.utf8) : encodedPart(part));
        const comma = k > 0;
        chunks.push({ key: part, comma, bytes: () => (comma ? Buffer.concat([COMMA, own()]) : own()), length: () => own().length + (comma ? 1 : 0) });
      });
      loose(CLOSE);
    },
  );
  return { chunks, contents: met.map((m) => m.key) };
}

/** The media types yoga's regular (JSON) replies answer with, in its order. */
const REGULAR_TYPES = ['application/graphql-response+json', 'application/json'];

/**
 * The media type yoga gives a regular reply for this request: its result
 * processors try the Accept header's types from last to first (utf-8 only)
 * against theirs in order, and the last match wins (graphql-yoga,
 * use-result-processor.js); ours replaces its regular processor only, so it
 * must answer with the same type.
 */
function regularType(request: Request): string | null {
  let chosen: string | null = null;
  const accepts = (request.headers.get('accept') || '*/*').replace(/\s/g, '').toLowerCase().split(',');
  for (const accept of accepts.reverse()) {
    const [asked, ...params] = accept.split(';');
    if (asked === undefined || (params.find((p) => p.includes('charset=')) ?? 'charset=utf-8') !== 'charset=utf-8') continue;
    const [askedPre, askedSuf] = asked.split('/');
    for (const type of REGULAR_TYPES) {
      const [pre, suf] = type.split('/');
      if ((askedPre === '*' || askedPre === pre) && (askedSuf === '*' || askedSuf === suf)) chosen = type;
    }
  }
  return chosen;
}

/**
 * Whether a reply to this operation may be compressed (compressed-reply.ts):
 * a query whose one root field is `document` (__typename aside), named in
 * so many words (no fragments at the root, where another field could hide).
 */
function onlyReadsADocument(document: DocumentNode, operationName: string | null | undefined): boolean {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'query') return false;
  const fields = operation.selectionSet.selections.filter((s) => s.kind !== Kind.FIELD || s.name.value !== '__typename');
  return fields.length === 1 && fields[0]!.kind === Kind.FIELD && fields[0]!.name.value === 'document';
}

/**
 * Every single (non-streamed) result gets stringifyReply as its
 * stringifier (yoga's HTTP replies use `result.stringify` when there is
 * one), and a regular JSON reply that holds a large content is sent as
 * bytes (replyBytes) with the status and headers yoga gives it, or, for a
 * client that takes deflate, a large reply to a document query compressed
 * (compressed-reply.ts). graphql-ws messages ignore all of it and
 * serialise contents as usual.
 */
export function contentJsonPlugin(): Plugin {
  /** Results of operations whose replies may be compressed. */
  const compressible = new WeakSet<object>();
  return {
    onExecute({ args }) {
      const mayCompress = onlyReadsADocument(args.document, args.operationName);
      return {
        onExecuteDone({ result }) {
          if (isAsyncIterable(result)) return;
          (result as { stringify?: (value: unknown) => string }).stringify = stringifyReply;
          if (mayCompress) compressible.add(result);
        },
      };
    },
    onResultProcess({ request, result, resultProcessor, setResultProcessor }) {
      if (resultProcessor !== processRegularResult || Array.isArray(result) || isAsyncIterable(result)) return;
      const type = regularType(request);
      if (type === null) return;
      const mayCompress = compressible.has(result);
      const compress = mayCompress && negotiateEncoding(request.headers.get('accept-encoding'), ['deflate']) !== null;
      setResultProcessor((result, fetchAPI, acceptedType) => {
        let parts: Buffer[] | null = null;
        let deflating: ReplyChunk[] | null = null;
        const single = result as { stringify?: (value: unknown) => string };
        const stringify = single.stringify ?? stringifyReply;
        // yoga's own processor sets the status and headers; its body is left empty when ours is bytes.
        single.stringify = (value) => {
          const reply = compress ? replyChunks(value) : null;
          if (reply && worthCompressing(reply.chunks, reply.contents)) {
            deflating = reply.chunks;
            return '';
          }
          parts = replyBytes(value);
          return parts ? '' : stringify(value);
        };
        const response = processRegularResult(result, fetchAPI, acceptedType) as Response;
        single.stringify = stringify;
        const init = (headers: Headers) => ({ status: response.status, statusText: response.statusText, headers });
        if (mayCompress) response.headers.append('vary', 'Accept-Encoding');
        if (deflating !== null) {
          const headers = new fetchAPI.Headers(response.headers);
          headers.delete('content-length');
          headers.set('content-encoding', 'deflate');
          return new fetchAPI.Response(Readable.from(deflateReply(deflating)) as never, init(headers));
        }
        if (parts === null) return response;
        const bytes: Buffer[] = parts;
        const headers = new fetchAPI.Headers(response.headers);
        headers.set('content-length', String(bytes.reduce((n, b) => n + b.length, 0)));
        return new fetchAPI.Response(Readable.from(bytes) as never, init(headers));
      }, type);
    },
  };
}
