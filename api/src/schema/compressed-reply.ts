// Large document replies, compressed in pieces that outlive the reply.
//
// A 5 MB document is ~11 MB of JSON; 100 people opening it are 1.1 GB to
// send. Compressed it is several times smaller, but compressing 11 MB
// costs more than building the reply, and a document being typed in is at
// a new version for every opener. So each piece of the content (a block of
// ChunkedDocument, the same object while its text is unchanged) is
// compressed once, on its own, as raw deflate ending with a full flush: a
// byte-aligned, non-final block that refers to nothing before it, so
// pieces compressed apart join into one valid deflate stream. A reply is
// the zlib header, the reply's own JSON and the content's pieces in order
// (each compressed or taken from the cache), an empty final block, and the
// Adler-32 of it all, combined from the pieces' without reading them again
// (Content-Encoding: deflate, RFC 9110 §8.4.1.2: the zlib format).
//
// Only where no secret can be guessed (BREACH): the caller compresses a
// query whose one root field is `document`. Nothing in it is a secret from
// the document's members (an owner's extra fields, like its share links'
// ids and roles, are not secrets), and only members can write text into
// it. Secrets (tokens, link secrets) are only ever in mutation replies,
// which are never compressed.
import { constants, createDeflateRaw, type DeflateRaw } from 'node:zlib';
import type { ReplyChunk } from './content-json.ts';

/** Replies smaller than this (bytes) are sent as they are: compressing them saves little. */
const MIN_COMPRESSED_REPLY_BYTES = 256 * 1024;

/** Fast levels compress JSON almost as well as the slow ones here (~5-6×), at a fraction of the CPU. */
const LEVEL = 3;

const ZLIB_HEADER = Buffer.from([0x78, 0x5e]); // deflate, 32 KiB window, "fast" level; (0x78 << 8 | 0x5e) % 31 === 0
const FINAL_BLOCK = Buffer.from([0x03, 0x00]); // an empty final block with fixed codes

interface Piece {
  /** Raw deflate, full-flushed. */
  deflated: Buffer;
  adler: number;
  length: number;
}

/** Pieces of contents by their key; per key, without and with the comma before it. */
const pieces = new WeakMap<object, [Promise<Piece> | undefined, Promise<Piece> | undefined]>();

/**
 * Compresses pieces one after another through one raw deflate stream, a
 * full flush after each: what each flush gives is that piece alone, as if
 * compressed on its own. (A stream per piece, zlib's one-shot calls, cost
 * ~1 ms of set-up each: 1.1 s of CPU for a 5 MB document's ~1,000 pieces
 * against ~0.17 s this way.)
 */
class PieceCompressor {
  private stream: DeflateRaw | null = null;
  private output: Buffer[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  compress(bytes: Buffer): Promise<Piece> {
    const job = this.queue.then(() => this.run(bytes));
    this.queue = job.catch(() => {});
    return job;
  }

  private async run(bytes: Buffer): Promise<Piece> {
    const stream = (this.stream ??= this.open());
    const flushed = new Promise<void>((resolve, reject) => {
      stream.once('error', reject);
      stream.write(bytes);
      stream.flush(constants.Z_FULL_FLUSH, () => {
        stream.off('error', reject);
        resolve();
      });
    });
    try {
      await flushed;
    } catch (error) {
      // A broken stream is not used again.
      this.stream = null;
      this.output = [];
      stream.destroy();
      throw error;
    }
    const deflated = Buffer.concat(this.output);
    this.output = [];
    return { deflated, adler: adler32(bytes), length: bytes.length };
  }

  private open(): DeflateRaw {
    const stream = createDeflateRaw({ level: LEVEL });
    stream.on('data', (b: Buffer) => this.output.push(b));
    stream.on('error', () => {}); // reported to the piece that met it (above)
    return stream;
  }
}

const compressor = new PieceCompressor();

/** Where a chunk's piece is kept under its key: without or with the comma before it. */
const slotOf = (chunk: ReplyChunk) => (chunk.comma ? 1 : 0);

/** A content chunk's piece, compressed or on its way, if one was started. */
const keptPiece = (chunk: ReplyChunk): Promise<Piece> | undefined => (chunk.key ? pieces.get(chunk.key)?.[slotOf(chunk)] : undefined);

/** Contents (by key) a reply was asked for while their pieces were mostly not compressed yet. */
const askedBefore = new WeakSet<object>();

/**
 * Whether to send a reply of `contents` compressed now: never below
 * MIN_COMPRESSED_REPLY_BYTES; else yes when most of its pieces are compressed already (a document read before, a few blocks
 * changed since), or when the same content was asked for before: a crowd
 * opening one document shares one compression. The first reader of a
 * content no one has compressed yet gets it uncompressed at once, so a
 * document opened once by one person costs no compression at all.
 */
export function worthCompressing(chunks: readonly ReplyChunk[], contents: readonly object[]): boolean {
  let missing = 0;
  let total = 0;
  for (const chunk of chunks) {
    const length = chunk.length();
    total += length;
    if (chunk.key && !keptPiece(chunk)) missing += length;
  }
  if (total < MIN_COMPRESSED_REPLY_BYTES) return false;
  if (missing <= total / 4 || contents.some((c) => askedBefore.has(c))) return true;
  for (const c of contents) askedBefore.add(c);
  return false;
}

function pieceOf(chunk: ReplyChunk): Promise<Piece> {
  const kept = keptPiece(chunk);
  if (kept) return kept;
  const piece = compressor.compress(chunk.bytes());
  if (chunk.key) {
    let slots = pieces.get(chunk.key);
    if (!slots) pieces.set(chunk.key, (slots = [undefined, undefined]));
    slots[slotOf(chunk)] = piece;
  }
  return piece;
}

/**
 * The reply `chunks` make, as a zlib stream in pieces (see above). Every
 * piece not kept is queued for the compressor at once; each is sent, in
 * order, as soon as it is there.
 */
export async function* deflateReply(chunks: readonly ReplyChunk[]): AsyncGenerator<Buffer> {
  // The reply's own JSON between two contents is one piece (it is made per reply anyway).
  const merged: ReplyChunk[] = [];
  for (const chunk of chunks) {
    const last = merged.at(-1);
    if (!chunk.key && last && !last.key) {
      const [a, b] = [last.bytes(), chunk.bytes()];
      merged[merged.length - 1] = { bytes: () => Buffer.concat([a, b]), length: () => a.length + b.length };
    } else merged.push(chunk);
  }
  const started = merged.map(pieceOf);
  const ready: Array<Piece | undefined> = [];
  started.forEach((p, k) =>
    p.then(
      (piece) => (ready[k] = piece),
      // Nobody waits on the rest if the client goes: keep a rejection from going unhandled.
      () => {},
    ),
  );
  // Sent as soon as each is there, but what is there already goes in one write (a socket write per
  // piece costs more than the copy). One turn first, for the kept pieces' `then`s above to run.
  await null;
  let adler = 1;
  let batch: Buffer[] = [ZLIB_HEADER];
  for (let k = 0; k < started.length; k++) {
    let piece = ready[k];
    if (!piece) {
      if (batch.length > 0) yield Buffer.concat(batch);
      batch = [];
      piece = await started[k]!;
    }
    adler = adler32Combine(adler, piece.adler, piece.length);
    batch.push(piece.deflated);
  }
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(adler);
  yield Buffer.concat([...batch, FINAL_BLOCK, trailer]);
}

const BASE = 65521;
/** Bytes that can be summed before the sums can pass 2^53 (well under it; zlib's 5552 is for 32 bits). */
const RUN = 1 << 20;

/** Adler-32 (RFC 1950 §8.2) of `bytes`. */
export function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let start = 0; start < bytes.length; start += RUN) {
    const end = Math.min(bytes.length, start + RUN);
    for (let i = start; i < end; i++) {
      a += bytes[i]!;
      b += a;
    }
    a %= BASE;
    b %= BASE;
  }
  return ((b << 16) | a) >>> 0;
}

/**
 * Adler-32 of X then Y from Adler-32 of X, of Y and Y's length: over Y,
 * X's sum A shifts every running sum by A − 1, so B = Bx + By + len·(Ax − 1).
 */
export function adler32Combine(x: number, y: number, yLength: number): number {
  const ax = x & 0xffff;
  const bx = x >>> 16;
  const ay = y & 0xffff;
  const by = y >>> 16;
  const len = yLength % BASE;
  const a = (ax + ay - 1 + BASE) % BASE;
  const b = (bx + by + ((len * ((ax - 1 + BASE) % BASE)) % BASE)) % BASE;
  return ((b << 16) | a) >>> 0;
}
