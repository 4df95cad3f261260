// The capacity model of docs/capacity.md ("1M open documents, 100k
// editors"), as arithmetic that can be rerun: per-node figures measured on
// this project's benches in, shards, nodes and PostgreSQL throughput out.
//   node bench/capacity-model.ts            # prints the table and the working
//   node bench/capacity-model.ts --check    # exits 1 if docs/capacity.md's table differs
// capacity-model.test.ts runs the check, so the doc cannot drift from it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Figures measured here; `source` says where (bench/RESULTS.md at commit 7d10093 unless said). */
export const MEASURED = {
  /** Node CPU per committed op, no subscribers: hot document, 32 writers, no watchers, PG+Redis (RESULTS.md notes, 7d10093). */
  nodeCpuPerOpUs: 235,
  /** Node CPU per op with 100 watchers on the same run: the difference is the fan-out (RESULTS.md notes, 7d10093). */
  nodeCpuPerOpWith100WatchersUs: 340,
  /** Ops per delivered batch in that run (~14-20; RESULTS.md notes): the fan-out cost per subscriber is per batch. */
  opsPerBatchHot: 15,
  /** Heap per idle socket with one document subscription at 5,000 sockets, PG+Redis (`bench/run.ts --only memory --modes scaled --connections 5000`, branch idle, load 8.3-9.1; was 22.7 at 7d10093). */
  heapPerConnectionKiB: 7.3,
  /** RSS per idle socket at 5,000 (same run; was 26.7 at 7d10093 on another run: RSS keeps the pages of the connection storm's garbage, so it moves with the run). */
  rssPerConnectionKiB: 34.2,
  /** Ops per commit, 200 documents × 2 writers on one node (docs/capacity.md, bench/capacity.ts). */
  opsPerCommitManyDocuments: 1.4,
  /** pgbench on this machine: single-row commits/s from four connections (docs/capacity.md). */
  pgCommitsPerSecHere: 1_490,
  /** redis-benchmark on this machine: PUBLISH/s of an op message, 50 unpipelined clients, one core (docs/capacity.md). */
  redisPublishesPerSecUnpipelined: 40_900,
  /** bench/op-log-probe.ts (commit of this model): Operation heap + TOAST bytes per row, small edits. */
  pgHeapBytesPerOp: 285,
  /** Same probe: the three Operation indexes together, bytes per row (98 + 119 + 21). */
  pgIndexBytesPerOp: 238,
  /** Same probe: WAL per committed op (includes the Document head update and full-page writes; an upper bound: pg_current_wal_lsn counts every database). */
  pgWalBytesPerOp: 2_756,
  /** bench/open-documents.ts (scaled, 1,000 sockets): node heap per open document beyond its socket, for the bench's 2 KB document without history. */
  heapPerOpenDocumentKiB: 4.4,
  /** Redis 7.0 MEMORY USAGE of one document's presence keys (state hash + expiry zset) with one person in it. */
  presenceBytesFirstPerson: 656,
} as const;

/** Assumptions: not measured here; change them and rerun. */
export const ASSUMED = {
  /** Each open document is open on its own socket (worst case: a browser tab per document; one socket can carry 50). */
  socketsPerOpenDocument: 1,
  /** Keystrokes per editor per second, averaged over a session (5/s while typing, typing 40 % of the time). */
  keystrokesPerEditorPerSec: 2,
  /** Ops per keystroke: one op in flight, an ack well under the keystroke gap, so about one op each. */
  opsPerKeystroke: 1,
  /** Presence (cursor) updates per editor per second. */
  presencePerEditorPerSec: 1,
  /** People with an edited document open (the editor and two others): deliveries per op. */
  viewersPerEditedDocument: 3,
  /** Node CPU per presence update: the submission's GraphQL (~50 µs per op, RESULTS.md notes) + a Redis write; not measured. */
  nodeCpuPerPresenceUs: 100,
  /** Redis work per presence update besides its publish: HSET + ZADD + PEXPIRE, in one round trip. */
  redisUnitsPerPresenceWrite: 3,
  /** An extra person in a document's presence (a listpack entry: key + JSON state), bytes. */
  presenceBytesPerExtraPerson: 260,
  /** Beyond the measured 2 KB document: ~10 KB more content and ~100 recent ops (~150 B each) in the head cache, KiB. */
  extraKiBPerOpenDocument: 25,
  /** Busy share a node, a shard or a primary is planned to, leaving room for bursts and failover. */
  targetUtilisation: 0.6,
  /** Memory a node may use for sockets and documents, GiB (the rest: V8, code, buffers). */
  nodeMemoryBudgetGiB: 3,
  /** Single-row commits/s of one PostgreSQL primary on server hardware (NVMe, group commit across connections). */
  pgCommitsPerSecServerClass: 20_000,
  /** Hash partitions of Operation per primary. */
  partitionsPerPrimary: 64,
} as const;

export const TARGET = { openDocuments: 1_000_000, editors: 100_000 } as const;

export interface ModelRow {
  quantity: string;
  value: number;
  unit: string;
}

const GiB = 2 ** 30;
const KiB = 1024;

/** The model: every row of the doc's table, in order. */
export function capacityModel(measured = MEASURED, assumed = ASSUMED, target = TARGET): ModelRow[] {
  const sockets = target.openDocuments * assumed.socketsPerOpenDocument;
  const opsPerSec = target.editors * assumed.keystrokesPerEditorPerSec * assumed.opsPerKeystroke;
  const presencePerSec = target.editors * assumed.presencePerEditorPerSec;
  const deliveriesPerSec = opsPerSec * assumed.viewersPerEditedDocument;
  // Fan-out CPU per (batch, subscriber), from the hot-document run: (with watchers − without) × ops per batch / 100 watchers.
  const deliveryUs = ((measured.nodeCpuPerOpWith100WatchersUs - measured.nodeCpuPerOpUs) * measured.opsPerBatchHot) / 100;
  // Sparse documents: about one op per batch, so every delivery pays a batch's cost.
  const cpuCores = (opsPerSec * measured.nodeCpuPerOpUs + deliveriesPerSec * deliveryUs + presencePerSec * (assumed.nodeCpuPerPresenceUs + assumed.viewersPerEditedDocument * deliveryUs)) / 1e6;
  const nodesForCpu = Math.ceil(cpuCores / assumed.targetUtilisation);
  const socketMemoryGiB = (sockets * measured.rssPerConnectionKiB * KiB) / GiB;
  const documentMemoryGiB = (target.openDocuments * (measured.heapPerOpenDocumentKiB + assumed.extraKiBPerOpenDocument) * KiB) / GiB;
  const nodesForMemory = Math.ceil((socketMemoryGiB + documentMemoryGiB) / assumed.nodeMemoryBudgetGiB);
  const nodes = Math.max(nodesForCpu, nodesForMemory);

  // Redis: every op and presence update is one SPUBLISH on its document's shard, delivered once per
  // subscribing node (at most one per viewer); presence writes besides. A unit = one publish or delivery.
  const redisUnitsPerSec = (opsPerSec + presencePerSec) * (1 + assumed.viewersPerEditedDocument) + presencePerSec * assumed.redisUnitsPerPresenceWrite;
  const shards = Math.ceil(redisUnitsPerSec / (measured.redisPublishesPerSecUnpipelined * assumed.targetUtilisation));
  const editedDocuments = target.editors; // one editor per edited document (the others watch)
  const presenceBytes = target.openDocuments * measured.presenceBytesFirstPerson + editedDocuments * (assumed.viewersPerEditedDocument - 1) * assumed.presenceBytesPerExtraPerson;

  // PostgreSQL: one row per op; commits per document lane.
  const commitsPerSec = opsPerSec / measured.opsPerCommitManyDocuments;
  const walMiBPerSec = (opsPerSec * measured.pgWalBytesPerOp) / 2 ** 20;
  const storageGiBPerDay = (opsPerSec * 86_400 * (measured.pgHeapBytesPerOp + measured.pgIndexBytesPerOp)) / GiB;
  const primariesHere = Math.ceil(commitsPerSec / (measured.pgCommitsPerSecHere * assumed.targetUtilisation));
  const primariesServer = Math.ceil(commitsPerSec / (assumed.pgCommitsPerSecServerClass * assumed.targetUtilisation));
  const rowsPerPartitionPerDay = (opsPerSec * 86_400) / (primariesServer * assumed.partitionsPerPrimary);

  return [
    { quantity: 'open sockets (one per open document)', value: sockets, unit: 'sockets' },
    { quantity: 'ops committed', value: opsPerSec, unit: 'ops/s' },
    { quantity: 'presence updates', value: presencePerSec, unit: 'updates/s' },
    { quantity: 'deliveries to sockets (ops × viewers)', value: deliveriesPerSec, unit: 'deliveries/s' },
    { quantity: 'node CPU per delivery (one op per batch)', value: deliveryUs, unit: 'µs' },
    { quantity: 'node CPU in all', value: cpuCores, unit: 'cores' },
    { quantity: 'api nodes for CPU', value: nodesForCpu, unit: 'nodes' },
    { quantity: 'socket memory (RSS)', value: socketMemoryGiB, unit: 'GiB' },
    { quantity: 'open documents (head cache, feeds)', value: documentMemoryGiB, unit: 'GiB' },
    { quantity: 'api nodes for memory', value: nodesForMemory, unit: 'nodes' },
    { quantity: 'api nodes', value: nodes, unit: 'nodes' },
    { quantity: 'sockets per node', value: Math.ceil(sockets / nodes), unit: 'sockets' },
    { quantity: 'Redis units (publishes + deliveries + presence writes)', value: redisUnitsPerSec, unit: 'units/s' },
    { quantity: 'Redis Cluster masters', value: shards, unit: 'shards' },
    { quantity: 'Redis units per master', value: redisUnitsPerSec / shards, unit: 'units/s' },
    { quantity: 'presence keys in Redis', value: presenceBytes / 2 ** 20, unit: 'MiB' },
    { quantity: 'PostgreSQL rows written (Operation)', value: opsPerSec, unit: 'rows/s' },
    { quantity: 'PostgreSQL commits', value: commitsPerSec, unit: 'commits/s' },
    { quantity: 'PostgreSQL WAL (upper bound)', value: walMiBPerSec, unit: 'MiB/s' },
    { quantity: 'Operation heap + indexes growth', value: storageGiBPerDay, unit: 'GiB/day' },
    { quantity: 'PostgreSQL primaries at the commit rate measured here', value: primariesHere, unit: 'primaries' },
    { quantity: `PostgreSQL primaries at ${assumed.pgCommitsPerSecServerClass.toLocaleString('en-US')} commits/s each (assumed)`, value: primariesServer, unit: 'primaries' },
    { quantity: `rows per Operation partition per day (${assumed.partitionsPerPrimary} per primary)`, value: rowsPerPartitionPerDay, unit: 'rows' },
  ];
}

/** Three significant digits at most, thousands separated: what the doc shows. */
export function formatValue(value: number): string {
  const rounded = value >= 100 ? Math.round(value) : Number(value.toPrecision(3));
  return rounded.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

export function renderTable(rows: ModelRow[]): string {
  return ['| quantity | value | unit |', '|---|---:|---|', ...rows.map((r) => `| ${r.quantity} | ${formatValue(r.value)} | ${r.unit} |`)].join('\n');
}

export const DOC = path.join(path.dirname(fileURLToPath(import.meta.url)), '../docs/capacity.md');
const START = '<!-- capacity-model:start (generated by node bench/capacity-model.ts; do not edit by hand) -->';
const END = '<!-- capacity-model:end -->';

/** The generated table as docs/capacity.md holds it (null if the markers are missing). */
export function tableInDoc(text = readFileSync(DOC, 'utf8')): string | null {
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) return null;
  return text.slice(start + START.length, end).trim();
}

export const MARKERS = { START, END };

if (import.meta.url === `file://${process.argv[1]}`) {
  const table = renderTable(capacityModel());
  if (process.argv.includes('--check')) {
    const inDoc = tableInDoc();
    if (inDoc !== table) {
      console.error(`docs/capacity.md's table differs from the model; the model says:\n\n${table}`);
      process.exit(1);
    }
    console.log('docs/capacity.md matches the model');
  } else {
    console.log(`${START}\n${table}\n${END}`);
  }
}
