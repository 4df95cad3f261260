// Big documents (issue 21 item 5): a 5 MB document of formatted text
// (~100k runs: bold, italic, links, headers, lists), the same size as one
// plain run, and a 5 KB one beside them. Not a test: prints tables.
//   node bench/big-document.ts [--mode embedded|scaled] [--mb 5] [--keys 300] [--clients 100] [--opens 1]
//     [--systems ours,sharedb] [--sharedb-keys 30]
//   BENCH_CPU_PROF=<dir> node bench/big-document.ts ...   (each node's CPU profile; then
//     node bench/profile-windows.ts <dir> for where each timed open's time went)
//   --only open,server,client,crowd: the parts to run (of ours)
//   BENCH_THREADS=1: each cold open's CPU per node thread (main, V8's helpers, libuv's pool)
//
// 1. cold open: a fresh node (after a warm-up on the small document and on
//    a 0.6 MB formatted one, so the JIT, the schema and the code paths of
//    large contents are not what is timed) opens each big document:
//    the `document { version content }` query (time to the response's
//    first byte, which the node sends once the whole reply is built: the
//    server's share; then to its last byte) and the node's CPU for it;
//    then a graphql-ws socket, the op stream from that version, one edit,
//    and its ack from the stream ("editable"). Then the same again, warm.
//    --opens N: N fresh nodes in turn, and the median of each row (the
//    machine is shared: one cold open is one sample of its load).
// 2. server CPU per keystroke: one writer (the web client's sync engine
//    over graphql-ws) types one character at a time near the middle, each
//    after the previous ack; the node's CPU from /proc over them.
// 3. client CPU per keystroke: the sync engine in this process over a
//    transport that answers at once: a local keystroke, its ack, and one
//    remote op from someone else, each timed with this process's CPU.
// 4. a crowd opening at once: N clients (hand-written: an HTTP query for
//    the content, then a graphql-ws socket, the stream and one edit each)
//    start together on a fresh node; time until each has its edit acked,
//    and the node's peak RSS (VmHWM). A crowd client reads the whole
//    reply, keeps only its start and parses only its version: parsing 5 MB
//    of JSON 100 times in one process would time this process, not the
//    node (part 3 and the cold open give a client's own cost).
// 5. ShareDB 7 (rich-text; memory db embedded, sharedb-postgres + Redis
//    scaled) on the same documents, side by side: a bare client's open
//    (subscribe until the snapshot is in hand), server CPU per keystroke
//    (ShareDB's own client, fewer keystrokes: see --sharedb-keys), and the
//    crowd (bare clients: subscribe, one op, its ack), with ratios to ours
//    from the same run. --systems ours or sharedb runs one side only.
// Rate limits off: the set-up makes a document of ~20 large submissions.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import { constants as zlibConstants, gunzipSync, inflateSync } from 'node:zlib';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { cpuNanosOf, cpuSecondsOf, startOurNode } from './lib/processes.ts';
import { writeFileSync } from 'node:fs';
import { Samples } from './lib/stats.ts';
import { graphqlAt } from './lib/graphql.ts';
import { TRACES_DIR, prng } from './lib/edits.ts';
import { OursApi, dropKeptConnections } from './lib/ours.ts';
import { createTempDatabase, probeServices, uniquePrefix, type Services, type TempDatabase } from './lib/services.ts';
import { launch, LABELS, type Target } from './lib/targets.ts';
import { Delta, DocumentSync, type DeltaOp, type SyncTransport, type WireOp, type StreamSink } from '../web/src/sync/index.ts';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : fallback;
};
const mode = flag('--mode', 'embedded');
const MB = Number(flag('--mb', '5'));
const KEYS = Number(flag('--keys', '300'));
const CLIENTS = Number(flag('--clients', '100'));
const CLIENT_KEYS = Number(flag('--client-keys', '2000'));
const only = flag('--only', 'open,server,client,crowd').split(',');
const OPENS = Number(flag('--opens', '1'));
const systems = flag('--systems', 'ours,sharedb').split(',');
const SHAREDB_KEYS = Number(flag('--sharedb-keys', '30'));
// Our HTTP replies: `deflate` asks for them compressed, as browsers do (large document replies are); `identity` does not.
const ENCODING = flag('--encoding', 'deflate');
const profileDir = process.env.BENCH_CPU_PROF;

// --- the documents ----------------------------------------------------------

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

/** The same amount of text as one plain run. */
function plainContent(bytes: number): DeltaOp[] {
  const text = sourceLines().join('\n');
  let out = '';
  while (out.length < bytes) out += text + '\n';
  return [{ insert: out.slice(0, bytes - 1) + '\n' }];
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

// --- set-up -----------------------------------------------------------------

const AUTH_SECRET = randomBytes(32).toString('hex');
let db: TempDatabase | null = null;
let services: Services | null = null;
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-big-'));
let env: Record<string, string> = { DATA_DIR: dataDir, AUTH_SECRET, RATE_LIMITS: 'off', LOG_LEVEL: 'warn', NODE_ENV: 'production' };
if (mode === 'scaled') {
  services = await probeServices();
  if (!services) throw new Error('scaled mode needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL)');
  db = await createTempDatabase(services.databaseUrl, 'big');
  env = { ...env, DATABASE_URL: db.url, REDIS_URL: services.redisUrl, REDIS_PREFIX: uniquePrefix('big') };
}
let profileCount = 0;
/** The profile the current node writes (without its extension), when profiling. */
let profileName: string | null = null;
/**
 * When each timed request of the current node ran (µs of CLOCK_MONOTONIC,
 * the clock of V8's profile timestamps), written beside its profile as
 * <name>.windows.json: a profile covers the node's whole life, and these
 * say which samples were the cold open.
 */
const profileWindows: Array<{ label: string; start: number; end: number }> = [];
const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);
const startNode = () => {
  profileName = profileDir ? `big-${process.pid}-${profileCount++}` : null;
  profileWindows.length = 0;
  return startOurNode({ env, nodeArgs: profileName ? ['--cpu-prof', '--cpu-prof-dir', profileDir!, '--cpu-prof-name', `${profileName}.cpuprofile`] : [] });
};
const saveWindows = () => {
  if (profileName && profileWindows.length > 0) writeFileSync(path.join(profileDir!, `${profileName}.windows.json`), JSON.stringify(profileWindows, null, 1));
};

const bigBytes = Math.round(MB * 1_000_000);
const formatted = formattedContent(bigBytes);
const plain = plainContent(bigBytes);
const small = formattedContent(5_000, 11);
const docs = [
  { name: `${MB} MB formatted`, ops: formatted },
  { name: `${MB} MB one plain run`, ops: plain },
  { name: '5 KB formatted', ops: small },
  // Opened only to warm a node up (never measured).
  { name: 'warm-up 0.6 MB formatted', ops: formattedContent(600_000, 13) },
] as const;
const measured = docs.slice(0, 3);

let node = await startNode();
const gql = graphqlAt(node.url);
const signUp = await gql('mutation { signUp(email: "big@example.com", password: "correct horse battery", name: "Big") { accessToken } }');
const token = signUp.signUp.accessToken as string;
const ids: string[] = [];
const lengths: number[] = [];
const SUBMIT = 'mutation($input: SubmitOperationInput!) { submitOperation(input: $input) { version } }';
for (const doc of docs) {
  const [first, ...rest] = pieces([...doc.ops]);
  const id = (await gql('mutation($c: Delta) { createDocument(title: "Big", content: $c) { id } }', { c: { ops: first } }, token)).createDocument.id as string;
  let length = new Delta(first).length();
  let version = 1;
  for (const piece of rest) {
    await gql(SUBMIT, { input: { documentId: id, baseVersion: version, delta: { ops: [{ retain: length }, ...piece] }, clientId: 'setup', clientSeq: version } }, token);
    length += new Delta(piece).length();
    version++;
  }
  ids.push(id);
  lengths.push(length);
}
await node.stop();
console.log(`\nBig documents, ${mode} node, ${os.cpus().length} cores, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} at start`);
console.log(`documents: ${measured.map((d) => `${d.name}: ${(contentBytes(d.ops) / 1e6).toFixed(2)} MB, ${d.ops.length} ops`).join('; ')}\n`);

// --- clients ----------------------------------------------------------------

const HEAD = 'query($id: ID!) { document(id: $id) { version content } }';

interface Fetched {
  firstByteMs: number;
  lastByteMs: number;
  /** As sent (compressed when `deflated`): all of it, or its start alone (postTimed's `whole`). */
  body: Buffer;
  /** Bytes received. */
  length: number;
  deflated: boolean;
}

/** What a client that reads only the version keeps of a reply: its start (replyText's head needs 4 KiB of it). */
const HEAD_BYTES = 64 * 1024;

/** The reply's JSON bytes: all of them, or (`head`) its start alone, as a client that reads only the version inflates no more. */
function replyText(fetched: Fetched, head = false): Buffer {
  if (!fetched.deflated) return head ? fetched.body.subarray(0, 200) : fetched.body;
  return head ? inflateSync(fetched.body.subarray(0, 4096), { finishFlush: zlibConstants.Z_SYNC_FLUSH }) : inflateSync(fetched.body);
}

/**
 * POSTs a query; when the first and the last byte of the reply arrived, ms
 * after the call. Every byte is read; with `whole` false only the first
 * HEAD_BYTES are kept (a crowd of 100 holding and joining 2.7-11 MB each
 * cost this process ~0.5 s of copying and ~1 s of GC, on the cores the
 * node under test shares).
 */
function postTimed(url: string, query: string, variables: Record<string, unknown>, whole = true): Promise<Fetched> {
  const body = JSON.stringify({ query, variables });
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      url + '/graphql',
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}`, 'accept-encoding': ENCODING } },
      (res) => {
        const chunks: Buffer[] = [];
        let firstByteMs = -1;
        let length = 0;
        res.on('data', (c: Buffer) => {
          if (firstByteMs < 0) firstByteMs = performance.now() - t0;
          if (whole || length < HEAD_BYTES) chunks.push(c);
          length += c.length;
        });
        res.on('end', () => resolve({ firstByteMs, lastByteMs: performance.now() - t0, body: Buffer.concat(chunks), length, deflated: res.headers['content-encoding'] === 'deflate' }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The version in a `document { version content }` reply, without parsing the content. */
function versionOf(fetched: Fetched): number {
  const head = replyText(fetched, true).subarray(0, 200).toString('utf8');
  const match = /"version":(\d+)/.exec(head);
  if (!match) throw new Error(`no version in reply: ${head}`);
  return Number(match[1]);
}

let seq = 0;
/** Where each client of a crowd is (for the report of a crowd that does not finish). */
const phases = new Map<string, string>();
/**
 * A socket, the op stream from `version`, one edit at `index`; resolves
 * once the stream brings that edit back (its ack), with the time it took.
 */
function editOnce(url: string, documentId: string, version: number, index: number): Promise<{ socket: WebSocket; ms: number }> {
  const t0 = performance.now();
  const clientId = `crowd-${seq++}`;
  phases.set(clientId, 'socket');
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', { maxPayload: 64 * 1024 * 1024 });
    socket.once('error', reject);
    // A close before the ack would otherwise leave this promise pending for ever.
    socket.once('close', (code, reason) => reject(new Error(`socket closed ${code} ${String(reason)} (${phases.get(clientId)})`)));
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as { type: string; id?: string; payload?: { data?: Record<string, any> | null; errors?: unknown } };
      // A client done (its edit back on the stream) has no phase left, and the others' edits go on arriving.
      const phase = phases.get(clientId);
      if (message.type === 'next' && message.id === 'edit' && phase !== undefined) phases.set(clientId, `edit answered (stream: ${phase})`);
      else if (message.type === 'next' && message.id === 'ops' && phase !== undefined && !phase.startsWith('edit')) phases.set(clientId, 'stream live');
      if (message.type === 'connection_ack') {
        phases.set(clientId, 'subscribing');
        socket.send(
          JSON.stringify({
            id: 'ops',
            type: 'subscribe',
            payload: { query: 'subscription($id: ID!, $after: Int!) { documentOperationBatches(documentId: $id, afterVersion: $after) { version clientId } }', variables: { id: documentId, after: version } },
          }),
        );
        socket.send(
          JSON.stringify({
            id: 'edit',
            type: 'subscribe',
            payload: { query: SUBMIT, variables: { input: { documentId, baseVersion: version, delta: { ops: [{ retain: index }, { insert: 'x' }] }, clientId, clientSeq: 0 } } },
          }),
        );
      } else if (message.type === 'next' && message.id === 'ops' && message.payload?.data) {
        const ops = message.payload.data.documentOperationBatches as Array<{ clientId: string }>;
        if (ops.some((op) => op.clientId === clientId)) {
          phases.delete(clientId);
          resolve({ socket, ms: performance.now() - t0 });
        }
      } else if (message.type === 'error' || message.payload?.errors) reject(new Error(JSON.stringify(message).slice(0, 500)));
    });
  });
}

/** Content query, then socket + stream + one acked edit; the times of each. */
let opening = 0;
async function openAndEdit(url: string, documentId: string, parse: boolean, knownLength = 2) {
  const t0 = performance.now();
  const key = `opening-${opening++}`;
  phases.set(key, 'content over HTTP');
  const fetched = await postTimed(url, HEAD, { id: documentId }, parse);
  phases.delete(key);
  const p0 = performance.now();
  let version: number;
  let length = knownLength;
  if (parse) {
    const reply = JSON.parse(replyText(fetched).toString('utf8')) as { data: { document: { version: number; content: { ops: DeltaOp[] } } } };
    version = reply.data.document.version;
    length = new Delta(reply.data.document.content.ops).length();
  } else version = versionOf(fetched);
  const parseMs = performance.now() - p0;
  const edit = await editOnce(url, documentId, version, Math.floor(length / 2));
  return { ...fetched, bytes: fetched.length, parseMs, editMs: edit.ms, totalMs: performance.now() - t0, socket: edit.socket };
}

const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
/** This process's CPU so far, ms. */
const cpuNow = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** Ours, from this run, for ShareDB's ratios: node CPU of each cold open, per keystroke (node and writer), and of each crowd. */
const oursOpen = new Map<string, number>();
const oursKeystroke = new Map<string, { server: number; client: number }>();
const oursCrowd = new Map<string, { p99: number; cpu: number; peak: number }>();
const vmHwm = (pid: number) => Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
const threadNanos = (pid: number) => {
  const out = new Map<string, [string, number]>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {}
  for (const tid of tids) {
    try {
      out.set(tid, [readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(), Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0])]);
    } catch {}
  }
  return out;
};
const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- 1. cold open -----------------------------------------------------------

/** Opens the small and the warm-up documents a few times (JIT, schema, prepared statements, the paths of large contents). */
async function warmUp(url: string): Promise<void> {
  for (const id of [ids[2]!, ids[3]!]) for (let i = 0; i < 3; i++) (await openAndEdit(url, id, true)).socket.terminate();
}

const OPEN_HEADER = '| document | open | reply first byte | reply last byte | node CPU for the query (all threads) | of it the main thread | client JSON.parse | socket + stream + one edit acked | editable (total) | reply MB |';
/** Each run's cells of each row (document, cold/warm), for the medians of --opens. */
const openRuns = new Map<string, number[][]>();

/** Longer than PREVIEW_DELAY_MS (documents/preview.ts) and the preview's write. */
const PREVIEW_SETTLE_MS = 1_500;

async function coldOpen(run: number): Promise<void> {
  node = await startNode();
  await warmUp(node.url);
  await sleepMs(200);
  if (run === 0) {
    console.log(`1. Opening a document: a fresh node (warmed up on the small one and a 0.6 MB one), then the same again; ms${OPENS > 1 ? `; ${OPENS} nodes, then the medians` : ''}`);
    console.log('   reply = `document { version content }` over HTTP; first byte ≈ the server building it; CPU = the node\'s over the query (schedstat: all threads, and the main thread alone)\n');
    console.log(OPEN_HEADER);
    console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  }
  for (const [k, doc] of measured.entries()) {
    for (const which of ['cold', 'warm']) {
      // The edits before (the warm-up's, the previous document's) write their previews a second
      // later (documents/preview.ts), with a commit and an fsync: not this open's work.
      await sleepMs(PREVIEW_SETTLE_MS);
      const threads0 = threadNanos(node.pid);
      const [cpu0, main0, t0] = [cpuNanosOf(node.pid), cpuNanosOf(node.pid, 'main'), monotonicMicros()];
      const fetched = await postTimed(node.url, HEAD, { id: ids[k]! });
      const cpuMs = (cpuNanosOf(node.pid) - cpu0) / 1e6;
      const mainMs = (cpuNanosOf(node.pid, 'main') - main0) / 1e6;
      if (process.env.BENCH_THREADS) {
        const by = new Map<string, number>();
        for (const [tid, [name, ns]] of threadNanos(node.pid)) by.set(name, (by.get(name) ?? 0) + (ns - (threads0.get(tid)?.[1] ?? 0)) / 1e6);
        console.log(`  threads ${doc.name} ${which}: ${[...by].filter(([, ms]) => ms > 0.5).map(([n, ms]) => `${n} ${ms.toFixed(1)}`).join(', ')}`);
      }
      profileWindows.push({ label: `${doc.name} ${which}`, start: t0, end: monotonicMicros() });
      const p0 = performance.now();
      const reply = JSON.parse(replyText(fetched).toString('utf8')) as { data: { document: { version: number; content: { ops: DeltaOp[] } } } };
      const parseMs = performance.now() - p0;
      const length = new Delta(reply.data.document.content.ops).length();
      const edit = await editOnce(node.url, ids[k]!, reply.data.document.version, Math.floor(length / 2));
      edit.socket.terminate();
      const cells = [fetched.firstByteMs, fetched.lastByteMs, cpuMs, mainMs, parseMs, edit.ms, fetched.lastByteMs + parseMs + edit.ms, fetched.length / 1e6];
      const key = `${doc.name} | ${which}`;
      if (which === 'cold' && run === 0) oursOpen.set(doc.name, cpuMs);
      openRuns.set(key, [...(openRuns.get(key) ?? []), cells]);
      console.log(`| ${key}${OPENS > 1 ? ` (node ${run + 1})` : ''} | ${openRow(cells)} |`);
    }
  }
  await node.stop();
  saveWindows();
  dropKeptConnections();
}

const openRow = (c: number[]) => `${fmt(c[0]!)} | ${fmt(c[1]!)} | ${fmt(c[2]!, 0)} | ${fmt(c[3]!, 0)} | ${fmt(c[4]!)} | ${fmt(c[5]!)} | ${fmt(c[6]!)} | ${fmt(c[7]!, 2)}`;

/** The median of each cell over the runs of --opens. */
function openMedians(): void {
  console.log(`\nMedians over ${OPENS} nodes:\n`);
  console.log(OPEN_HEADER);
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [key, runs] of openRuns) {
    const median = runs[0]!.map((_, i) => {
      const column = runs.map((r) => r[i]!).sort((a, b) => a - b);
      return column[Math.floor(column.length / 2)]!;
    });
    console.log(`| ${key} | ${openRow(median)} |`);
  }
}

// --- 2. server CPU per keystroke -------------------------------------------

async function serverKeystrokes(): Promise<void> {
  node = await startNode();
  const api = new OursApi(node.url, token);
  console.log(`\n2. Server CPU per keystroke: one writer (the web sync engine over graphql-ws) types ${KEYS} characters near the middle, one after each ack; node CPU from /proc, the writer's (this process) from process.cpuUsage\n`);
  console.log('| document | node CPU per keystroke (ms) | ack p50 / p99 (ms) | ratio to 5 KB (CPU) | writer CPU per keystroke (ms) |');
  console.log('|---|---:|---:|---:|---:|');
  const rows: Array<{ name: string; cpu: number; p50: number; p99: number; client: number }> = [];
  for (const [k, doc] of measured.entries()) {
    const writer = await api.openWriter(ids[k]!);
    const rand = prng(k + 1);
    const middle = Math.floor(writer.length() / 2);
    // Warm-up keystrokes (the head is loaded, the paths are compiled).
    for (let i = 0; i < 20; i++) await writer.editAcked([{ retain: middle + i }, { insert: 'w' }]);
    const ack = new Samples();
    const cpu0 = cpuSecondsOf(node.pid);
    const client0 = cpuNow();
    for (let i = 0; i < KEYS; i++) {
      const t = performance.now();
      await writer.editAcked([{ retain: middle + Math.floor(rand() * 200) }, { insert: 'k' }]);
      ack.push(performance.now() - t);
    }
    const client = (cpuNow() - client0) / KEYS;
    const cpu = ((cpuSecondsOf(node.pid) - cpu0) * 1000) / KEYS;
    rows.push({ name: doc.name, cpu, p50: ack.percentile(50), p99: ack.percentile(99), client });
    oursKeystroke.set(doc.name, { server: cpu, client });
    await writer.close();
  }
  const base = rows.at(-1)!.cpu;
  for (const r of rows) console.log(`| ${r.name} | ${fmt(r.cpu, 3)} | ${fmt(r.p50)} / ${fmt(r.p99)} | ${fmt(r.cpu / base, 2)} | ${fmt(r.client, 3)} |`);
  await node.stop();
  dropKeptConnections();
}

// --- 3. client CPU per keystroke -------------------------------------------

/** A transport that holds the document's stream and acks each submission at once (single writer + injected remote ops). */
class InstantTransport implements SyncTransport {
  sink: StreamSink<WireOp> | null = null;
  version: number;
  submitted: WireOp | null = null;
  private readonly content: { version: number; content: { ops: DeltaOp[] } };
  constructor(ops: DeltaOp[]) {
    this.version = 1;
    this.content = { version: 1, content: { ops } };
  }
  loadDocument = async () => this.content;
  subscribeOperations = (_documentId: string, _after: number, sink: StreamSink<WireOp>) => {
    this.sink = sink;
    queueMicrotask(() => sink.open());
    return () => {
      this.sink = null;
    };
  };
  submitOperation = async (input: { baseVersion: number; delta: { ops: DeltaOp[] }; clientId: string; clientSeq: number }) => {
    this.submitted = { version: input.baseVersion + 1, delta: input.delta, clientId: input.clientId, clientSeq: input.clientSeq } as WireOp;
  };
  subscribePresence = () => () => {};
  updatePresence = async () => {};
  /** Delivers the op submitted (its ack) or a remote one. */
  deliver(op: WireOp): void {
    this.version = op.version;
    this.sink!.next(op);
  }
}

const tick = () => new Promise<void>((r) => setImmediate(r));

async function clientKeystrokes(): Promise<void> {
  console.log(`\n3. Client CPU per keystroke: the web sync engine (DocumentSync + ChunkedDocument) in this process, ${CLIENT_KEYS} keystrokes near the middle, each acked, and a remote op from someone else after each; µs of this process's CPU\n`);
  console.log('| document | open (ms) | local keystroke (µs) | its ack (µs) | remote op (µs) | whole round, with the async work after each (µs) | ratio to 5 KB |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  const rows: Array<{ name: string; open: number; local: number; ack: number; remote: number; total: number }> = [];
  for (const doc of measured) {
    const transport = new InstantTransport([...doc.ops]);
    const o0 = cpuNow();
    const sync = await DocumentSync.open({ documentId: 'big', transport, initial: { version: 1, content: { ops: [...doc.ops] } } });
    const open = cpuNow() - o0;
    await tick();
    const rand = prng(3);
    const middle = Math.floor(sync.contentLength / 2);
    let local = 0;
    let ack = 0;
    let remote = 0;
    let total = 0;
    const rounds = CLIENT_KEYS + 100;
    for (let i = 0; i < rounds; i++) {
      const warm = i >= 100; // the first 100 rounds warm up
      const round = cpuNow();
      let t = round;
      sync.applyLocal(new Delta([{ retain: middle + Math.floor(rand() * 200) }, { insert: 'k' }]));
      if (warm) local += cpuNow() - t;
      while (!transport.submitted) await tick();
      const mine = transport.submitted;
      transport.submitted = null;
      t = cpuNow();
      transport.deliver(mine);
      if (warm) ack += cpuNow() - t;
      t = cpuNow();
      transport.deliver({ version: transport.version + 1, delta: { ops: [{ retain: middle - 500 + Math.floor(rand() * 100) }, { insert: 'r' }] }, clientId: 'someone', clientSeq: i } as WireOp);
      if (warm) remote += cpuNow() - t;
      await tick();
      await tick();
      if (warm) total += cpuNow() - round;
    }
    const n = CLIENT_KEYS / 1000; // ms → µs per keystroke
    rows.push({ name: doc.name, open, local: local / n, ack: ack / n, remote: remote / n, total: total / n });
    await sync.close();
  }
  const base = rows.at(-1)!;
  for (const r of rows) console.log(`| ${r.name} | ${fmt(r.open)} | ${fmt(r.local)} | ${fmt(r.ack)} | ${fmt(r.remote)} | ${fmt(r.total)} | ${fmt(r.total / base.total, 2)} |`);
}

// --- 4. a crowd opening at once --------------------------------------------

async function crowd(): Promise<void> {
  console.log(`\n4. ${CLIENTS} clients opening a big document at once on a fresh node (warmed up as in 1): content over HTTP, then socket + stream + one edit each, until its ack; ms\n`);
  console.log('| document | editable p50 | p99 | max | content reply p50 / p99 | node peak RSS (MiB) | node RSS before (MiB) | node CPU (s) | clients\' CPU (s, this process, same cores) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const k of [0, 1]) {
    node = await startNode();
    await warmUp(node.url);
    await sleepMs(300);
    const rssBefore = node.rss();
    const cpu0 = cpuSecondsOf(node.pid);
    const clients0 = process.cpuUsage();
    const t0 = monotonicMicros();
    // A crowd that has not finished after 3 minutes says where its clients are, then gives up.
    const watchdog = setTimeout(() => {
      const where = new Map<string, number>();
      for (const phase of phases.values()) where.set(phase, (where.get(phase) ?? 0) + 1);
      console.error(`crowd not done after 180 s; clients by phase: ${JSON.stringify(Object.fromEntries(where))}`);
    }, 180_000);
    const results = await Promise.all(Array.from({ length: CLIENTS }, () => openAndEdit(node.url, ids[k]!, false, lengths[k]))).finally(() => clearTimeout(watchdog));
    const cpu = cpuSecondsOf(node.pid) - cpu0;
    const clientsUsage = process.cpuUsage(clients0);
    profileWindows.push({ label: `${docs[k]!.name} crowd`, start: t0, end: monotonicMicros() });
    saveWindows();
    const peak = vmHwm(node.pid);
    oursCrowd.set(docs[k]!.name, { p99: 0, cpu, peak });
    const editable = new Samples();
    const reply = new Samples();
    for (const r of results) {
      editable.push(r.totalMs);
      reply.push(r.lastByteMs);
      r.socket.terminate();
    }
    oursCrowd.get(docs[k]!.name)!.p99 = editable.percentile(99);
    console.log(
      `| ${docs[k]!.name} | ${fmt(editable.percentile(50), 0)} | ${fmt(editable.percentile(99), 0)} | ${fmt(editable.percentile(100), 0)} | ${fmt(reply.percentile(50), 0)} / ${fmt(reply.percentile(99), 0)} | ${fmt(peak / 2 ** 20, 0)} | ${fmt(rssBefore / 2 ** 20, 0)} | ${fmt(cpu, 2)} | ${fmt((clientsUsage.user + clientsUsage.system) / 1e6, 2)} |`,
    );
    await node.stop();
    dropKeptConnections();
  }
}

// --- 5. ShareDB on the same documents ---------------------------------------

/**
 * A bare ShareDB client: handshake, subscribe (the snapshot arrives in one
 * message: its version is read from its start, the rest is not parsed, as
 * our crowd clients do), then, with `index`, one op and its ack. Times are
 * ms from the call.
 */
function shareDbOpen(url: string, documentId: string, index: number | null): Promise<{ snapshotMs: number; totalMs: number; bytes: number; socket: WebSocket }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), { maxPayload: 256 * 1024 * 1024 });
    let me: string | null = null;
    let snapshotMs = -1;
    let bytes = 0;
    socket.once('error', reject);
    socket.on('message', (raw: Buffer) => {
      // The snapshot reply is the one large message: `{"data":{"v":N,"data":{...}},"a":"s",...}`.
      if (raw.length > 4096 && snapshotMs < 0) {
        const match = /"v":(\d+)/.exec(raw.subarray(0, 100).toString('utf8'));
        if (!match) return reject(new Error(`no version in ${raw.subarray(0, 100).toString('utf8')}`));
        snapshotMs = performance.now() - t0;
        bytes = raw.length;
        if (index === null) return resolve({ snapshotMs, totalMs: snapshotMs, bytes, socket });
        socket.send(JSON.stringify({ a: 'op', c: 'docs', d: documentId, v: Number(match[1]), seq: 1, op: [{ retain: index }, { insert: 'x' }] }));
        return;
      }
      const m = JSON.parse(raw.toString('utf8')) as { a: string; id?: string; src?: string; seq?: number; op?: unknown; error?: unknown; data?: { v: number } };
      if (m.error) return reject(new Error(JSON.stringify(m.error)));
      if (m.a === 'init') socket.send(JSON.stringify({ a: 'hs', id: null, protocol: 1, protocolMinor: 2 }));
      else if (m.a === 'hs') {
        me = m.id ?? null;
        socket.send(JSON.stringify({ a: 's', c: 'docs', d: documentId, v: null }));
      } else if (m.a === 's' && snapshotMs < 0) reject(new Error('a small snapshot: not a big document'));
      else if (m.a === 'op' && m.src === me && m.seq === 1 && !('op' in m)) resolve({ snapshotMs, totalMs: performance.now() - t0, bytes, socket });
    });
  });
}

const ratio = (theirs: number, ours: number | undefined) => (ours ? `${fmt(theirs / ours, 1)}×` : '–');

async function shareDbSide(): Promise<void> {
  const label = LABELS.sharedb[mode as 'embedded' | 'scaled'];
  const target: Target = await launch('sharedb', mode as 'embedded' | 'scaled', services, profileDir ? { cpuProfDir: profileDir } : {});
  try {
    // The same contents, created whole (ShareDB's create takes the content as one op).
    const sids: string[] = [];
    for (const doc of docs) sids.push(await target.createDocument([...doc.ops]));
    // Warm-up: the small and the 0.6 MB documents, opened and edited (JIT, as for ours).
    for (const k of [2, 3]) for (let i = 0; i < 3; i++) (await shareDbOpen(target.server.url, sids[k]!, 1)).socket.terminate();

    console.log(`\n5. ${label} on the same documents, side by side (× = ShareDB / ours, from this run)`);
    if (only.includes('open')) {
      console.log(`\n   ${mode === 'embedded' ? 'The memory db cannot restart: its "cold" open is the first after the warm-up, on the process that holds the data.' : 'Cold: a fresh ShareDB process (sharedb-postgres reads the snapshot).'}\n`);
      console.log('| document | open | snapshot in hand (ms) | node CPU for it (ms) | × ours (cold CPU) | message MB |');
      console.log('|---|---|---:|---:|---:|---:|');
      await target.restart();
      for (const [k, doc] of measured.entries()) {
        for (const which of ['cold', 'warm']) {
          const cpu0 = cpuSecondsOf(target.server.pid);
          const opened = await shareDbOpen(target.server.url, sids[k]!, null);
          const cpuMs = (cpuSecondsOf(target.server.pid) - cpu0) * 1000;
          opened.socket.terminate();
          console.log(`| ${doc.name} | ${which} | ${fmt(opened.snapshotMs)} | ${fmt(cpuMs, 0)} | ${which === 'cold' ? ratio(cpuMs, oursOpen.get(doc.name)) : ''} | ${fmt(opened.bytes / 1e6, 2)} |`);
        }
      }
    }
    if (only.includes('server')) {
      console.log(`\n   Keystrokes: ShareDB's own client (one op in flight, like ours) types ${SHAREDB_KEYS} characters near the middle, one after each ack\n`);
      console.log('| document | node CPU per keystroke (ms) | × ours | ack p50 / p99 (ms) | writer CPU per keystroke (ms) | × ours |');
      console.log('|---|---:|---:|---:|---:|---:|');
      for (const [k, doc] of measured.entries()) {
        const writer = await target.openWriter(sids[k]!);
        const rand = prng(k + 1);
        const middle = Math.floor(writer.length() / 2);
        for (let i = 0; i < 3; i++) await writer.editAcked([{ retain: middle + i }, { insert: 'w' }]);
        const ack = new Samples();
        const cpu0 = cpuSecondsOf(target.server.pid);
        const client0 = cpuNow();
        for (let i = 0; i < SHAREDB_KEYS; i++) {
          const t = performance.now();
          await writer.editAcked([{ retain: middle + Math.floor(rand() * 200) }, { insert: 'k' }]);
          ack.push(performance.now() - t);
        }
        const client = (cpuNow() - client0) / SHAREDB_KEYS;
        const cpu = ((cpuSecondsOf(target.server.pid) - cpu0) * 1000) / SHAREDB_KEYS;
        await writer.close();
        const ours = oursKeystroke.get(doc.name);
        console.log(`| ${doc.name} | ${fmt(cpu, 3)} | ${ratio(cpu, ours?.server)} | ${fmt(ack.percentile(50))} / ${fmt(ack.percentile(99))} | ${fmt(client, 3)} | ${ratio(client, ours?.client)} |`);
      }
    }
    if (only.includes('crowd')) {
      console.log(`\n   ${CLIENTS} bare clients at once: subscribe (snapshot in hand), one op, its ack; ms\n`);
      console.log('| document | editable p50 | p99 | max | snapshot p50 / p99 | × ours (p99) | node peak RSS (MiB) | node CPU (s) | × ours (CPU) |');
      console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
      for (const k of [0, 1]) {
        await target.restart();
        const cpu0 = cpuSecondsOf(target.server.pid);
        const results = await Promise.all(Array.from({ length: CLIENTS }, () => shareDbOpen(target.server.url, sids[k]!, Math.floor(lengths[k]! / 2))));
        const cpu = cpuSecondsOf(target.server.pid) - cpu0;
        const peak = vmHwm(target.server.pid);
        const editable = new Samples();
        const snapshot = new Samples();
        for (const r of results) {
          editable.push(r.totalMs);
          snapshot.push(r.snapshotMs);
          r.socket.terminate();
        }
        const ours = oursCrowd.get(docs[k]!.name);
        console.log(
          `| ${docs[k]!.name} | ${fmt(editable.percentile(50), 0)} | ${fmt(editable.percentile(99), 0)} | ${fmt(editable.percentile(100), 0)} | ${fmt(snapshot.percentile(50), 0)} / ${fmt(snapshot.percentile(99), 0)} | ${ratio(editable.percentile(99), ours?.p99)} | ${fmt(peak / 2 ** 20, 0)} | ${fmt(cpu, 2)} | ${ratio(cpu, ours?.cpu)} |`,
        );
      }
    }
  } finally {
    await target.dispose();
  }
}

try {
  if (systems.includes('ours')) {
    if (only.includes('open')) {
      for (let run = 0; run < OPENS; run++) await coldOpen(run);
      if (OPENS > 1) openMedians();
    }
    if (only.includes('server')) await serverKeystrokes();
    if (only.includes('client')) await clientKeystrokes();
    if (only.includes('crowd')) await crowd();
  }
  if (systems.includes('sharedb')) await shareDbSide();
  console.log(`\nload average at end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  await node.stop().catch(() => {});
  await rm(dataDir, { recursive: true, force: true });
  await db?.drop();
}

