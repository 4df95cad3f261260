// PreviewWriter against a real database (PGlite or PostgreSQL): a migrated
// database per suite; every test works on fresh documents.
import { expect, test } from 'vitest';
import type { DeltaOp } from '../../../protocol/delta.ts';
import { PreviewWriter } from '../../src/documents/preview.ts';
import type { SqlSession } from '../../src/store/database.ts';
import { migratedDatabase, type TempDatabase } from './test-databases.ts';

export function previewWriterSuite(open: () => Promise<TempDatabase>) {
  const temp = migratedDatabase(open);

  const createDocument = async () => (await temp.db.prisma.document.create({ data: { title: 'test' } })).id;
  const previewsOf = async (ids: string[]) => {
    const rows = await temp.db.prisma.document.findMany({ where: { id: { in: ids } }, select: { id: true, preview: true, previewVersion: true } });
    return ids.map((id) => rows.find((r) => r.id === id) ?? null).map((r) => r && [r.preview, r.previewVersion]);
  };

  /** A writer whose heads are `heads` (text and version per document), counting its statements. */
  function writerOf(heads: Map<string, { text: string; version: number }>) {
    const counted = { statements: 0 };
    const sql: SqlSession = {
      query: (text, params) => {
        counted.statements++;
        return temp.db.sql.query(text, params);
      },
      exec: (text) => temp.db.sql.exec(text),
    };
    const errors: unknown[] = [];
    const writer = new PreviewWriter({
      sql,
      opening: async (id) => {
        const head = heads.get(id);
        if (!head) throw new Error('no such document');
        return { version: head.version, ops: [{ insert: `${head.text}\n` }] as DeltaOp[] };
      },
      onError: (error) => errors.push(error),
      // Long: these tests write with flush(), never on the timer.
      delayMs: 60_000,
    });
    return { writer, counted, errors };
  }

  test('writes the previews of every changed document in one statement', async () => {
    const ids = [await createDocument(), await createDocument(), await createDocument()];
    const heads = new Map(ids.map((id, i) => [id, { text: `Document ${i}`, version: i + 1 }]));
    const { writer, counted } = writerOf(heads);
    for (const id of [...ids, ...ids]) writer.changed(id);
    await writer.flush();
    expect(counted.statements).toBe(1);
    expect(await previewsOf(ids)).toEqual([
      ['Document 0', 1],
      ['Document 1', 2],
      ['Document 2', 3],
    ]);
  });

  test('never replaces a preview with that of an older head', async () => {
    const [a, b] = [await createDocument(), await createDocument()];
    const heads = new Map([
      [a, { text: 'newer', version: 5 }],
      [b, { text: 'b', version: 1 }],
    ]);
    const { writer } = writerOf(heads);
    writer.changed(a);
    await writer.flush();
    heads.set(a, { text: 'older', version: 4 });
    heads.set(b, { text: 'b, later', version: 2 });
    writer.changed(a);
    writer.changed(b);
    await writer.flush();
    expect(await previewsOf([a, b])).toEqual([
      ['newer', 5],
      ['b, later', 2],
    ]);
  });

  test('leaves out a document whose head cannot be read, and writes the others', async () => {
    const [a, b] = [await createDocument(), await createDocument()];
    const { writer, errors } = writerOf(new Map([[b, { text: 'here', version: 1 }]]));
    writer.changed(a);
    writer.changed(b);
    await writer.flush();
    expect(await previewsOf([a, b])).toEqual([
      ['', 0],
      ['here', 1],
    ]);
    expect(errors).toHaveLength(1);
  });

  return { get temp() { return temp; }, createDocument, previewsOf, writerOf };
}
