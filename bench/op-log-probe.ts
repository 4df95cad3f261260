// What one committed op costs PostgreSQL, for docs/capacity.md: rows, WAL
// bytes, heap and index bytes per op, under the many-documents load (small
// random edits, one op in flight per writer) on one api node.
//   node bench/op-log-probe.ts [seconds=8] [documents=200]
// WAL is read from pg_current_wal_lsn(), which counts every database of the
// server: other work on it adds to the figure (run it on a quiet server).
import { probeServices } from './lib/services.ts';
import { launch } from './lib/targets.ts';
import { editLoad } from './workloads/edit-load.ts';

const seconds = Number(process.argv[2] ?? 8);
const documents = Number(process.argv[3] ?? 200);
const services = await probeServices();
if (!services) throw new Error('needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL)');
const target = await launch('ours', 'scaled', services);
try {
  const sql = target.sql!;
  const num = async (query: string) => Number(Object.values((await sql(query))[0]!)[0]);
  const lsn = async () => String((await sql('SELECT pg_current_wal_lsn()::text AS lsn'))[0]!.lsn);
  const rowsBefore = await num('SELECT count(*) FROM "Operation"');
  const walBefore = await lsn();
  const load = await editLoad(target, { documents, writersPerDocument: 2, watchers: 0, warmupMs: 0, measureMs: seconds * 1000 });
  const walAfter = await lsn();
  const rows = (await num('SELECT count(*) FROM "Operation"')) - rowsBefore;
  const walBytes = await num(`SELECT pg_wal_lsn_diff('${walAfter}', '${walBefore}')`);
  await sql('VACUUM ANALYZE "Operation"');
  const totalRows = await num('SELECT count(*) FROM "Operation"');
  const heap = await num(`SELECT pg_relation_size('"Operation"') + pg_relation_size(reltoastrelid) FROM pg_class WHERE relname = 'Operation'`);
  const indexes = await sql(`SELECT indexrelid::regclass::text AS name, pg_relation_size(indexrelid) AS bytes FROM pg_index WHERE indrelid = '"Operation"'::regclass`);
  const delta = await num('SELECT avg(pg_column_size("delta")) FROM "Operation"');
  const snapshots = await num('SELECT count(*) FROM "Snapshot"');
  console.log(`op-log probe: ${documents} documents × 2 writers, ${seconds} s, committed ${Math.round(load.opsPerSec)} ops/s`);
  console.log(`rows written: ${rows} (${(rows / seconds).toFixed(0)}/s); snapshots: ${snapshots}`);
  console.log(`WAL: ${walBytes} bytes = ${(walBytes / rows).toFixed(0)} bytes per op (all databases of the server)`);
  console.log(`Operation heap + TOAST: ${(heap / totalRows).toFixed(0)} bytes per row (${totalRows} rows); delta column avg ${delta.toFixed(0)} bytes`);
  for (const index of indexes) console.log(`index ${index.name}: ${(Number(index.bytes) / totalRows).toFixed(0)} bytes per row`);
} finally {
  await target.dispose();
}
process.exit(0);
