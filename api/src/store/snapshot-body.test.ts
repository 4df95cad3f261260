// A snapshot body comes back as the text it was made from, whatever its
// layout says (a layout without UTF-8 lengths is an older snapshot's).
import { describe, expect, it } from 'vitest';
import { ChunkedDocument } from '../../../protocol/chunked-document.ts';
import { Delta } from '../../../protocol/delta.ts';
import { opsBytes } from '../collab/content-bytes.ts';
import { decodeBody, encodeBody } from './snapshot-body.ts';

describe('snapshot body', () => {
  const content = new Delta();
  for (let i = 0; i < 6_000; i++) content.insert(`«wörd» ${i} 😀 `, i % 4 ? undefined : { bold: true }).insert(i % 9 ? '' : '\n');
  const stored = new ChunkedDocument(content, undefined, opsBytes).toStored();

  it('reads back the text and its UTF-8', async () => {
    const read = await decodeBody(await encodeBody(stored.text), stored.layout);
    const utf8 = new TextEncoder().encode(stored.text);
    expect(Buffer.from(read.utf8!).equals(Buffer.from(utf8))).toBe(true);
    expect(read.text).toBe(stored.text);
    expect(ChunkedDocument.fromStored(read, undefined, opsBytes).toDelta().ops).toEqual(content.ops);
  });

  it('reads back a body whose layout has no UTF-8 lengths', async () => {
    const older = JSON.stringify({ blocks: (JSON.parse(stored.layout) as { blocks: number[][] }).blocks.map((b) => b.slice(0, 5)) });
    const read = await decodeBody(await encodeBody(stored.text), older);
    expect(read.text).toBe(stored.text);
    const doc = ChunkedDocument.fromStored(read, undefined, opsBytes);
    expect(doc.size).toBe(opsBytes(content.ops));
    expect(doc.toDelta().ops).toEqual(content.ops);
  });

  it('refuses a body that is not UTF-8 when its text is read', async () => {
    const read = await decodeBody((await import('node:zlib')).brotliCompressSync(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])).toString('base64'), '{"blocks":[]}');
    expect(() => read.text).toThrow(TypeError);
  });
});
