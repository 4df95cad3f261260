// yoga has no request body limit; a 100 MiB JSON body would be parsed in
// full. Bodies are read here with a cap and handed to yoga as a buffer.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Reads the body; null if it exceeds `limit` bytes (the rest is not read). */
export function readBodyWithin(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(null);
  // Gone already: no event would come now.
  if (req.destroyed) return Promise.reject(new Error('request aborted'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        resolve(null);
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
    // A client that goes away mid-body: not every Node version says so with 'error'.
    req.on('close', () => {
      if (!req.complete) reject(new Error('request aborted'));
    });
  });
}

/** A body read ahead of yoga, in the form whatwg-node takes as is. */
export interface PreReadBody extends AsyncIterable<Buffer> {
  readonly byteLength: number;
}

/**
 * The body for yoga as one chunk. whatwg-node takes a pre-read body when
 * `Object.keys(body).length > 0`; on a Buffer (or a string) that lists one
 * key per byte: ~50 ms of a node's thread for a 400 KB edit, during which
 * nobody else's keystroke is served. This object has one key however long
 * the body, and whatwg-node reads an async iterable as a body.
 */
export function preReadBody(body: Buffer): PreReadBody {
  return {
    byteLength: body.length,
    async *[Symbol.asyncIterator]() {
      // An empty body as one space: yoga then answers it as it answers any body that is not JSON.
      yield body.length > 0 ? body : Buffer.from(' ');
    },
  };
}

/** The GraphQL-shaped 413 reply, typed like every other rejection. */
export function payloadTooLarge(res: ServerResponse, limit: number): void {
  const body = JSON.stringify({
    errors: [{ message: `Request body is larger than ${limit} bytes`, extensions: { code: 'BAD_USER_INPUT', limit } }],
  });
  res.writeHead(413, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Connection: 'close' }).end(body);
}
