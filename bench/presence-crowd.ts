// A crowd in one document: N clients, each moving its cursor once a second
// and watching everyone else's. What it costs the node (its own CPU, from
// /proc, and RSS) and how long a cursor move takes to reach the others.
// Not a test: prints a table.
//   node bench/presence-crowd.ts [clients=1000] [seconds=15] [--stream documentPresence|documentPresenceBatches] [--scaled]
//   BENCH_CPU_PROF=/tmp/prof node bench/presence-crowd.ts ...   (the node's CPU profile)
//
// Every client is its own graphql-ws socket speaking the protocol by hand,
// so that 1,000 of them fit beside the node on two cores: most drop what
// they receive unread; 20 probes parse it and time each move from the
// moment its sender sent it. One embedded node (--scaled: one node on
// PostgreSQL and Redis, whose presence store is Redis), rate limits off
// (1,000 clients of 100 accounts are far beyond the per-user presence
// budget, which is not what is measured).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { cpuSecondsOf, startOurNode } from './lib/processes.ts';
import { Samples, sleep } from './lib/stats.ts';
import { graphqlAt } from './lib/graphql.ts';
import { createTempDatabase, probeServices, scaledNodeEnv } from './lib/services.ts';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const stream = flag('--stream') ?? 'documentPresenceBatches';
const scaled = args.includes('--scaled');
const [clients = 1000, seconds = 15] = args.filter((a) => a !== '--scaled').map(Number);
const PROBES = Math.min(20, clients);
const ACCOUNTS = Math.max(1, Math.ceil(clients / 10));

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-presence-'));
const services = scaled ? await probeServices() : null;
if (scaled && !services) throw new Error('--scaled needs PostgreSQL and Redis (DATABASE_URL, REDIS_URL)');
const db = services && (await createTempDatabase(services.databaseUrl, 'presence'));
// BENCH_CPU_PROF=<dir>: the node writes a CPU profile there when it stops.
const profileDir = process.env.BENCH_CPU_PROF;
const node = await startOurNode({
  env: {
    DATA_DIR: dataDir,
    RATE_LIMITS: 'off',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    ...(db && scaledNodeEnv(db, services!, 'presence')),
  },
  nodeArgs: profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
});
const wsUrl = `${node.url.replace('http', 'ws')}/graphql`;

const gql = graphqlAt(node.url);

/** When each (clientId, index) move was sent, performance.now() ms. */
const sentAt = new Map<string, number>();
const latency = new Samples();
let probeMessages = 0;
let probeEntries = 0;

const SELECTION = '{ clientId index left }';
const WATCH = `subscription($id: ID!) { ${stream}(documentId: $id) ${SELECTION} }`;
const MOVE = 'mutation($d: ID!, $c: String!, $i: Int!) { updatePresence(documentId: $d, clientId: $c, version: 1, index: $i, length: 0) }';

interface Crowd {
  socket: WebSocket;
  clientId: string;
}

function probeReceive(raw: WebSocket.RawData): void {
  const message = JSON.parse(String(raw)) as { type: string; id?: string; payload?: { data?: Record<string, unknown> } };
  if (message.type !== 'next' || message.id !== 'watch') return;
  const now = performance.now();
  probeMessages++;
  const data = message.payload?.data?.[stream];
  const entries = (Array.isArray(data) ? data : [data]) as Array<{ clientId: string; index: number }>;
  for (const entry of entries) {
    probeEntries++;
    const sent = sentAt.get(`${entry.clientId}:${entry.index}`);
    if (sent !== undefined) latency.push(now - sent);
  }
}

function connect(token: string, clientId: string, documentId: string, probe: boolean): Promise<Crowd> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
    socket.once('error', reject);
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.once('message', (raw) => {
      if (!String(raw).includes('connection_ack')) return reject(new Error(`not acknowledged: ${raw}`));
      socket.send(JSON.stringify({ id: 'watch', type: 'subscribe', payload: { query: WATCH, variables: { id: documentId } } }));
      // The crowd drops what arrives unread (ws still decodes the frames); probes time it.
      if (probe) socket.on('message', probeReceive);
      else socket.on('message', () => {});
      resolve({ socket, clientId });
    });
  });
}

let moveSeq = 0;
function move(client: Crowd, documentId: string): void {
  const index = moveSeq++ % 5_000;
  sentAt.set(`${client.clientId}:${index}`, performance.now());
  client.socket.send(JSON.stringify({ id: `m${moveSeq}`, type: 'subscribe', payload: { query: MOVE, variables: { d: documentId, c: client.clientId, i: index } } }));
}

try {
  const tokens: string[] = [];
  for (let i = 0; i < ACCOUNTS; i++) {
    tokens.push((await gql(`mutation { signUp(email: "crowd${i}@example.com", password: "correct horse battery", name: "Crowd ${i}") { accessToken } }`, {})).signUp.accessToken);
  }
  const documentId = (await gql('mutation($c: Delta) { createDocument(title: "Crowd", content: $c) { id } }', { c: { ops: [{ insert: 'x'.repeat(6_000) + '\n' }] } }, tokens[0])).createDocument.id as string;
  for (let i = 1; i < ACCOUNTS; i++) {
    await gql('mutation($id: ID!, $e: String!) { shareDocument(id: $id, email: $e, role: EDITOR) { role } }', { id: documentId, e: `crowd${i}@example.com` }, tokens[0]);
  }
  const crowd: Crowd[] = [];
  for (let i = 0; i < clients; i++) crowd.push(await connect(tokens[i % ACCOUNTS]!, `crowd-${i}`, documentId, i < PROBES));

  // Each client moves once a second, at its own phase.
  const timers = crowd.map((client, i) => {
    let timer: NodeJS.Timeout;
    const start = setTimeout(() => {
      move(client, documentId);
      timer = setInterval(() => move(client, documentId), 1_000);
    }, (i * 1_000) / clients);
    return () => {
      clearTimeout(start);
      clearInterval(timer);
    };
  });
  await sleep(5_000); // warm-up
  latency.count = 0;
  probeMessages = 0;
  probeEntries = 0;
  const cpuStart = cpuSecondsOf(node.pid);
  const t0 = performance.now();
  await sleep(seconds * 1_000);
  const elapsed = (performance.now() - t0) / 1_000;
  const cpu = (cpuSecondsOf(node.pid) - cpuStart) / elapsed;
  const rss = node.rss() / 1024 / 1024;
  const moves = clients * elapsed;
  for (const stop of timers) stop();

  const row = (name: string, value: string) => console.log(`| ${name} | ${value} |`);
  console.log(`\n${clients} clients in one document, each moving once a second, ${elapsed.toFixed(1)} s, stream ${stream} (${scaled ? 'scaled' : 'embedded'} node, rate limits off)\n`);
  console.log('| metric | value |\n|---|---|');
  row('node CPU (share of one core)', `${(cpu * 100).toFixed(1)} %`);
  row('node CPU per cursor move (µs)', ((cpu * 1e6) / (moves / elapsed)).toFixed(0));
  row('node RSS (MiB)', rss.toFixed(0));
  row('delivery p50 / p99 (ms)', `${latency.percentile(50).toFixed(1)} / ${latency.percentile(99).toFixed(1)}`);
  row('moves seen per probe per second', (probeEntries / PROBES / elapsed).toFixed(0));
  row('messages per probe per second', (probeMessages / PROBES / elapsed).toFixed(1));
  for (const client of crowd) client.socket.terminate();
} finally {
  await node.stop();
  await db?.drop();
  await rm(dataDir, { recursive: true, force: true });
}
