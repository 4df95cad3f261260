// Compression for what is large and the same for every client: the web
// client's files and the GraphiQL page (~9 MB of HTML). API replies are not
// compressed here: most are small, and compressing a token next to text an
// attacker chose is how BREACH guesses secrets; large document replies,
// where no secret can be, are (schema/compressed-reply.ts). Streams (SSE)
// and WebSocket frames are never buffered through here.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

/** Encodings the static files are sent in; API replies: see schema/compressed-reply.ts. */
export type Encoding = 'br' | 'gzip';

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/** Not worth a Content-Encoding below this many bytes. */
export const MIN_COMPRESS_BYTES = 1024;

/**
 * The encoding to answer with for an Accept-Encoding header (RFC 9110
 * §12.5.3): the one of `offered` with the highest q (the first on a tie;
 * by default br, then gzip), null for identity.
 */
export function negotiateEncoding(header: string | string[] | undefined | null): Encoding | null;
export function negotiateEncoding<E extends string>(header: string | string[] | undefined | null, offered: readonly E[]): E | null;
export function negotiateEncoding(header: string | string[] | undefined | null, offered: readonly string[] = ['br', 'gzip']): string | null {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return null;
  const weights = new Map<string, number>();
  for (const part of value.split(',')) {
    const [name, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (!name) continue;
    let q = 1;
    for (const param of params) {
      const match = /^q=([01](?:\.\d{0,3})?)$/.exec(param);
      if (match) q = Number(match[1]);
    }
    weights.set(name, q);
  }
  const weight = (name: string) => weights.get(name) ?? weights.get('*') ?? 0;
  let best: string | null = null;
  for (const name of offered) if (weight(name) > (best === null ? 0 : weight(best))) best = name;
  return best;
}

/**
 * Compressed copies of bodies seen before, by encoding and content. Bounded
 * in bytes; the oldest entry goes first. The first client pays for the
 * compression (off the event loop, in libuv's pool); later ones get the copy.
 */
export class CompressionCache {
  private readonly entries = new Map<string, Promise<Buffer>>();
  private readonly sizes = new Map<string, number>();
  private bytes = 0;

  private readonly maxBytes;
  constructor(maxBytes = 64 * 1024 * 1024) {
    this.maxBytes = maxBytes;
  }

  /** `key` names the content (a file's path and mtime); without one the content's hash does. */
  compress(body: Buffer, encoding: Encoding, key?: string): Promise<Buffer> {
    const id = `${encoding}:${key ?? createHash('sha256').update(body).digest('base64url')}`;
    const cached = this.entries.get(id);
    if (cached) return cached;
    // Brotli quality 5: ~gzip -9 size at a few times gzip's speed; 11 takes seconds on the GraphiQL page.
    const pending = encoding === 'br' ? brotli(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }) : gz(body, { level: 6 });
    this.entries.set(id, pending);
    pending.then(
      (out) => this.remember(id, out.length),
      () => this.entries.delete(id),
    );
    return pending;
  }

  private remember(id: string, size: number): void {
    if (!this.entries.has(id)) return;
    this.sizes.set(id, size);
    this.bytes += size;
    for (const [oldest, oldSize] of this.sizes) {
      if (this.bytes <= this.maxBytes) break;
      this.sizes.delete(oldest);
      this.entries.delete(oldest);
      this.bytes -= oldSize;
    }
  }
}
