import { readFileSync, mkdtempSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import os from 'node:os';
import { TRACES_DIR, prng } from './bench/lib/edits.ts';
import { Delta, type DeltaOp } from './protocol/delta.ts';
import { openDatabase } from './api/src/store/database.ts';
import { applyMigrations, MIGRATIONS_DIR } from './api/src/store/migrate.ts';
import { PrismaOperationLog } from './api/src/store/operation-log.ts';
import { Sequencer } from './api/src/collab/sequencer.ts';
import { contentValue, replyBytes } from './api/src/schema/content-json.ts';
/** Lines of real prose (two recorded traces' final texts), reused round-robin. */
function sourceLines(): string[] {
  const lines: string[] = [];
  for (const file of ['automerge-paper.json.gz', 'seph-blog1.json.gz']) {
    const data = JSON.parse(gunzipSync(readFileSync(path.join(TRACES_DIR, file))).toString('utf8')) as { endContent: string };
    for (const line of data.endContent.split('\n')) if (line.trim().length > 0) lines.push(line.replace(/[\uD800-\uDFFF]/g, ''));
  }
  return lines;
}

/**
 * Formatted content of about `bytes` UTF-8 bytes: paragraphs whose words
 * are now and then bold, italic, code or a link; every line a paragraph,
 * a header (1 in 25) or a list item (runs of 3-6 bullets or numbers).
 */
function formattedContent(bytes: number, seed = 7): DeltaOp[] {
  const lines = sourceLines();
  const rand = prng(seed);
  const ops: DeltaOp[] = [];
  let size = 0;
  let listLeft = 0;
  let listKind: 'bullet' | 'ordered' = 'bullet';
  for (let n = 0; size < bytes; n++) {
    const line = lines[n % lines.length]!;
    const words = line.split(' ');
    let plain = '';
    const flush = () => {
      if (plain) ops.push({ insert: plain });
      plain = '';
    };
    for (let w = 0; w < words.length; w++) {
      const word = words[w]! + (w < words.length - 1 ? ' ' : '');
      if (word === '') continue;
      const r = rand();
      const attributes =
        r < 0.06 ? { bold: true } : r < 0.1 ? { italic: true } : r < 0.115 ? { bold: true, italic: true } : r < 0.125 ? { code: true } : r < 0.135 ? { link: 'https://example.com/' + w } : null;
      if (attributes) {
        flush();
        ops.push({ insert: word, attributes });
      } else plain += word;
    }
    flush();
    let lineFormat: Record<string, unknown> | null = null;
    if (listLeft > 0) {
      listLeft--;
      lineFormat = { list: listKind };
    } else {
      const r = rand();
      if (r < 0.04) lineFormat = { header: r < 0.015 ? 1 : 2 };
      else if (r < 0.1) {
        listKind = r < 0.07 ? 'bullet' : 'ordered';
        listLeft = 2 + Math.floor(rand() * 4);
        lineFormat = { list: listKind };
      }
    }
    ops.push(lineFormat ? { insert: '\n', attributes: lineFormat } : { insert: '\n' });
    size += Buffer.byteLength(line, 'utf8') + 1;
  }
  return new Delta(ops).ops; // canonical: neighbouring plain runs joined
}

const opText = (op: DeltaOp) => (typeof op.insert === 'string' ? op.insert : ' ');
const contentBytes = (ops: readonly DeltaOp[]) => ops.reduce((n, op) => n + Buffer.byteLength(opText(op), 'utf8'), 0);

/**
 * Pieces that fit the default limits (1 MiB request, 1,000,000 inserted
 * bytes, 10,000 ops per delta), each ending at a line end; plain text is
 * cut inside its run (the pieces join into one run again).
 */
function pieces(ops: DeltaOp[]): DeltaOp[][] {
  const out: DeltaOp[][] = [];
  let piece: DeltaOp[] = [];
  let json = 0;
  const push = () => {
    if (piece.length) out.push(piece);
    piece = [];
    json = 0;
  };
  for (const op of ops) {
    const text = opText(op);
    if (text.length > 400_000) {
      push();
      for (let at = 0; at < text.length; at += 400_000) out.push([{ insert: text.slice(at, at + 400_000) }]);
      continue;
    }
    piece.push(op);
    json += JSON.stringify(op).length + 1;
    if ((json > 600_000 || piece.length >= 9_000) && text.endsWith('\n')) push();
  }
  push();
  return out;
}


const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'coldopen-'));
const kind = process.argv[2] ?? 'formatted';
let db = await openDatabase({ dataDir, databaseUrl: process.env.COLD_PG });
await applyMigrations(db.sql, MIGRATIONS_DIR);
if (process.env.EXTERNAL) await db.sql.exec('ALTER TABLE "Snapshot" ALTER COLUMN "body" SET STORAGE EXTERNAL');
const user = await db.prisma.user.create({ data: { email: `u${Date.now()}@x`, name: 'u', passwordHash: 'x' } });
const doc = await db.prisma.document.create({ data: { title: 't', members: { create: { userId: user.id, role: 'OWNER' } } } });
let seq = new Sequencer({ log: new PrismaOperationLog(db.prisma, db.sql), snapshotEvery: 100, publish: async () => {} });
const ops = kind === 'formatted' ? formattedContent(5_000_000) : [{ insert: 'x'.repeat(4_999_999) + '\n' }];
let version = 0, length = 0;
for (const piece of pieces([...ops])) {
  await seq.submit({ documentId: doc.id, baseVersion: version, delta: new Delta(version === 0 ? piece : [{ retain: length }, ...piece]), clientId: 's', clientSeq: version, authorId: user.id });
  version++; length += new Delta(piece).length();
}
const snaps = await db.sql.query<{ version: number }>('SELECT version FROM "Snapshot" WHERE "documentId" = $1 ORDER BY version', [doc.id]);
console.log(kind, 'versions', version, 'snapshots', snaps.map((s) => s.version).join(','));
const totals: number[] = [];
for (let round = 0; round < 7; round++) {
  if (!process.env.COLD_PG) { await db.close(); db = await openDatabase({ dataDir }); await db.sql.query('SELECT 1'); }
  const log = new PrismaOperationLog(db.prisma, db.sql);
  seq = new Sequencer({ log, snapshotEvery: 100, publish: async () => {} });
  const c = cpu();
  const head = await seq.head(doc.id);
  const t1 = cpu() - c;
  const bytes = replyBytes({ data: { document: { version: head.version, content: contentValue(head) } } })!;
  const total = cpu() - c;
  totals.push(total);
  console.log(`round ${round}: head ${t1.toFixed(0)} ms, with reply bytes ${total.toFixed(0)} ms (${(bytes.reduce((n, b) => n + b.length, 0) / 1e6).toFixed(1)} MB)`);
}
totals.sort((a, b) => a - b);
console.log('median', totals[3]!.toFixed(0), 'min', totals[0]!.toFixed(0));
await db.close();
