// UTF-8 of a string as a Buffer of its own, for bytes that are kept (a
// shared payload, a document's encoded content). TextEncoder, not
// Buffer.from, for two reasons:
// - a small Buffer.from is a slice of Node's shared 64 KiB pool (8 KiB
//   before Node 22), and a slice kept alive keeps its whole slab;
// - for a string holding any character past U+00FF (V8 keeps it two bytes
//   a unit; a typographic quote is enough), Buffer.from took ~110 ms for
//   13 MB, TextEncoder 35.
const encoder = new TextEncoder();

/** UTF-8 of `text` in a buffer exactly its size. */
export function utf8Bytes(text: string): Buffer {
  const bytes = encoder.encode(text);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
