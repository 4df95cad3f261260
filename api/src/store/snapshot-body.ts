// A snapshot's content as the Snapshot table keeps it ("body",
// prisma/migrations/20261207100000_snapshot_body): its JSON as UTF-8,
// Brotli-compressed, in base64. Brotli quality 4: the 11 MB of JSON of a
// 5 MB formatted document become 1.1 MB in ~0.1 s (in libuv's pool, off
// the event loop) and come back in ~15 ms; quality 2 left 1.8 MB, 5 took
// twice as long for 1.0 MB (measured). Brotli, not zstd: zstd is still
// experimental in Node.
import { promisify } from 'node:util';
import { brotliCompress, brotliDecompress, constants } from 'node:zlib';
import type { StoredDocument } from '../../../protocol/chunked-document.ts';

const compress = promisify(brotliCompress);
const decompress = promisify(brotliDecompress);
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The body to store for a JSON text. */
export async function encodeBody(text: string): Promise<string> {
  const utf8 = encoder.encode(text);
  const packed = await compress(utf8, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 4, [constants.BROTLI_PARAM_SIZE_HINT]: utf8.byteLength, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT },
  });
  return packed.toString('base64');
}

/** A stored body and layout as a StoredDocument, with the UTF-8 it was made from (a reply can send it as it is). */
export async function decodeBody(body: string, layout: string): Promise<StoredDocument> {
  const utf8 = await decompress(Buffer.from(body, 'base64'));
  return { text: decoder.decode(utf8), layout, utf8 };
}
