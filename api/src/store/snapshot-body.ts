// A snapshot's content as the Snapshot table keeps it ("body",
// prisma/migrations/20261207100000_snapshot_body): its JSON as UTF-8,
// Brotli-compressed, in base64. Brotli quality 4: the 11 MB of JSON of a
// 5 MB formatted document become 1.1 MB in ~0.1 s (in libuv's pool, off
// the event loop) and come back in ~15 ms; quality 2 left 1.8 MB, 5 took
// twice as long for 1.0 MB (measured). Brotli, not zstd: zstd is still
// experimental in Node.
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants } from 'node:zlib';
import { storedUtf8Length, type StoredDocument } from '../../../protocol/chunked-document.ts';

const compress = promisify(brotliCompress);
const decompress = promisify(brotliDecompress);
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
/** zlib's smallest output chunk. */
const MIN_CHUNK = 64;

/** The body to store for a JSON text (or its UTF-8: storedDocumentUtf8). */
export async function encodeBody(json: string | Uint8Array): Promise<string> {
  const utf8 = typeof json === 'string' ? encoder.encode(json) : json;
  const packed = await compress(utf8, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_SIZE_HINT]: utf8.byteLength, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT },
  });
  return packed.toString('base64');
}

/**
 * A stored body and layout as a StoredDocument, with the UTF-8 it was made
 * from (a reply can send it as it is). Its text is decoded only if read:
 * a head opened from it decodes only the blocks it changes (11 MB of JSON
 * took ~33 ms to decode, and the string was 22 MB more for the GC).
 */
export async function decodeBody(body: string, layout: string): Promise<StoredDocument> {
  // Inflated into one buffer of the size the layout gives: in zlib's 16 KiB
  // chunks, 11 MB were ~700 trips to libuv's pool and back and a copy to
  // join them (~60 ms of the main thread).
  const expected = storedUtf8Length(layout);
  const utf8 = await decompress(Buffer.from(body, 'base64'), expected === null ? {} : { chunkSize: Math.max(MIN_CHUNK, expected + 1) });
  let text: string | undefined;
  return {
    get text() {
      return (text ??= decoder.decode(utf8));
    },
    layout,
    utf8,
  };
}
