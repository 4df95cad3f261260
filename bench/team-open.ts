// Opening a document that a team works on: its content with 1,000 comment
// threads and 200 open suggestions, after 500 later edits (so anchors and
// suggestions are moved on read), against the same document without them.
// One embedded node (PGlite) in a process of its own, as `npm start` runs
// it, rate limits off (a bench that makes 1,200 comments in seconds would
// be refused otherwise; the limits are not what is measured). The node's
// CPU per open comes from /proc (its threads' run time, in ns), so it can
// be judged apart from the load of the machine. Not a test: prints a table.
//   node bench/team-open.ts [threads=1000] [suggestions=200] [edits=500] [later opens=30]
//   BENCH_CPU_PROF=/tmp/prof node bench/team-open.ts ...   (the node's CPU profile, with self time by
//   layer and the top functions printed for the first open and for the later ones, not the set-up)
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { graphqlAt } from './lib/graphql.ts';
import { startOurNode } from './lib/processes.ts';
import { summarise } from './profile.ts';

const [threads = 1000, suggestions = 200, edits = 500, laterOpens = 30] = process.argv.slice(2).map(Number);
const OPEN = `query($id: ID!) { document(id: $id) { version content
  threads { id quote status anchor { version index length } comments { id body author { name } } }
  suggestions(status: OPEN) { id status version delta author { name } } } }`;
const OPEN_PLAIN = 'query($id: ID!) { document(id: $id) { version content } }';

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-team-'));
// BENCH_CPU_PROF=<dir>: the node writes a CPU profile into a new folder there when it stops.
const profileDir = process.env.BENCH_CPU_PROF ? await mkdtemp(path.join(await mkdir(process.env.BENCH_CPU_PROF, { recursive: true }).then(() => process.env.BENCH_CPU_PROF!), 'team-open-')) : undefined;
const node = await startOurNode({
  env: { DATA_DIR: dataDir, RATE_LIMITS: 'off', LOG_LEVEL: 'warn', NODE_ENV: 'production' },
  nodeArgs: profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
});
const gql = graphqlAt(node.url);

/** Now on the clock of the node's profile (CLOCK_MONOTONIC), µs. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
const windows: Record<string, { startUs: number; endUs: number }> = {};

/** One open: its wall time from send to parsed reply, and the node's CPU in that time (all its threads, and its main thread alone), ms. */
async function openOnce(query: string, id: string, token: string): Promise<{ wallMs: number; cpuMs: number; mainMs: number }> {
  const cpu = node.cpuNanos();
  const main = node.cpuNanos('main');
  const t = performance.now();
  await gql(query, { id }, token);
  const wallMs = performance.now() - t;
  return { wallMs, cpuMs: (node.cpuNanos() - cpu) / 1e6, mainMs: (node.cpuNanos('main') - main) / 1e6 };
}

/** The value below which `share` of the sorted `xs` lie (nearest rank). */
const rank = (xs: number[], share: number) => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(share * xs.length) - 1)]!;

/**
 * The first open, then `runs` opens one after the other. Per open: wall and
 * node CPU; and the node's CPU between the later opens (work an answer left
 * behind that did not run while an open waited).
 */
async function time(query: string, id: string, token: string, runs = laterOpens, label?: string) {
  const startUs = monotonicUs();
  const first = await openOnce(query, id, token);
  if (label) windows[`${label}: first open`] = { startUs, endUs: monotonicUs() };
  const later: Array<Awaited<ReturnType<typeof openOnce>>> = [];
  const laterUs = monotonicUs();
  const cpuBefore = node.cpuNanos();
  for (let i = 0; i < runs; i++) {
    const openUs = monotonicUs();
    later.push(await openOnce(query, id, token));
    // The open after the first on its own: it is the one that met the first's leftover work.
    if (label && i === 0) windows[`${label}: second open`] = { startUs: openUs, endUs: monotonicUs() };
  }
  // Whatever the node did after the last answer (a write it left for later) counts too.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const betweenMs = (node.cpuNanos() - cpuBefore) / 1e6 - later.reduce((sum, o) => sum + o.cpuMs, 0);
  if (label) windows[`${label}: ${runs} later opens`] = { startUs: laterUs, endUs: monotonicUs() };
  const wall = later.map((o) => o.wallMs);
  const cpu = later.map((o) => o.cpuMs);
  return {
    first,
    wall: { median: rank(wall, 0.5), p95: rank(wall, 0.95), max: rank(wall, 1) },
    cpu: { median: rank(cpu, 0.5), p95: rank(cpu, 0.95), max: rank(cpu, 1) },
    betweenMs,
    inOrder: later.map((o) => `${o.wallMs.toFixed(0)}/${o.cpuMs.toFixed(0)}/${o.mainMs.toFixed(0)}`).join(' '),
  };
}

/** Self time by layer and the top functions of the node's profile, in each measured window. */
async function printProfile(dir: string): Promise<void> {
  const file = (await readdir(dir)).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written in ${dir}`);
  const profile = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as Parameters<typeof summarise>[0];
  for (const [name, window] of Object.entries(windows)) {
    const { total, layers, functions } = summarise(profile, window);
    const busy = total - (layers.find(([l]) => l === 'idle')?.[1] ?? 0);
    console.log(`\nprofile ${path.join(dir, file)}, ${name}: busy ${busy.toFixed(1)} ms of ${total.toFixed(1)} ms\nself time by layer:`);
    for (const [layer, ms] of layers) if (layer !== 'idle' && ms / busy > 0.01) console.log(`  ${ms.toFixed(1).padStart(7)} ms  ${layer}`);
    console.log('top functions by self time:');
    for (const [fn, { ms, layer }] of functions.filter(([, f]) => f.layer !== 'idle').slice(0, 20)) console.log(`  ${ms.toFixed(1).padStart(7)} ms  ${fn}  [${layer}]`);
  }
}

try {
  const token = (await gql('mutation { signUp(email: "team@example.com", password: "correct horse", name: "Team") { accessToken } }', {})).signUp.accessToken as string;
  const paragraph = 'The quick brown fox jumps over the lazy dog. ';
  const content = { ops: [{ insert: paragraph.repeat(400) + '\n' }] }; // ~18 KB of text
  const create = async () => (await gql('mutation($c: Delta) { createDocument(title: "Team", content: $c) { id } }', { c: content }, token)).createDocument.id as string;
  const [team, plain, other] = [await create(), await create(), await create()];

  // `other`: a smaller document of the same kind, opened first so that the
  // timed first open is that of a document in a running node (query shape
  // and code already warm), as in a server that has served others before.
  const populate = async (id: string, threadCount: number, suggestionCount: number) => {
    for (let i = 0; i < threadCount; i++) {
      await gql('mutation($d: ID!, $i: Int!) { openThread(documentId: $d, version: 1, index: $i, length: 5, body: "Looks right?") { id } }', { d: id, i: (i * 17) % 17_000 }, token);
    }
    for (let i = 0; i < suggestionCount; i++) {
      const at = 1 + ((i * 83) % 17_000);
      await gql('mutation($input: SuggestInput!) { suggest(input: $input) { id } }', { input: { documentId: id, baseVersion: 1, delta: { ops: [{ retain: at }, { insert: 'quite ' }] }, clientId: 'bench', clientSeq: i } }, token);
    }
  };
  await populate(team, threads, suggestions);
  await populate(other, threads / 10, suggestions / 10);
  // Later edits spread over the text: anchors and suggestions are moved over them on the first read.
  for (const id of [team, plain, other]) {
    for (let v = 1; v <= edits; v++) {
      await gql('mutation($input: SubmitOperationInput!) { submitOperation(input: $input) { version } }', { input: { documentId: id, baseVersion: v, delta: { ops: [{ retain: 1 + ((v * 31) % 17_000) }, { insert: 'x' }] }, clientId: 'writer', clientSeq: v } }, token);
    }
  }

  const warmUp = await time(OPEN, other, token, 5);
  const withTeam = await time(OPEN, team, token, laterOpens, 'with threads');
  const without = await time(OPEN_PLAIN, plain, token);
  const fmt = (x: number) => x.toFixed(1);
  console.log(`\nOpening a document (~18 KB of text, ${edits} edits after the comments), embedded node in its own process, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ms; wall / node CPU; ${laterOpens} later opens\n`);
  console.log('| document | first open (moves anchors) | median open | p95 open | max open | node CPU between the later opens (total) |');
  console.log('|---|---:|---:|---:|---:|---:|');
  const row = (name: string, r: Awaited<ReturnType<typeof time>>) =>
    console.log(`| ${name} | ${fmt(r.first.wallMs)} / ${fmt(r.first.cpuMs)} | ${fmt(r.wall.median)} / ${fmt(r.cpu.median)} | ${fmt(r.wall.p95)} / ${fmt(r.cpu.p95)} | ${fmt(r.wall.max)} / ${fmt(r.cpu.max)} | ${fmt(r.betweenMs)} |`);
  row(`${threads} threads + ${suggestions} open suggestions`, withTeam);
  row('the same text, no threads', without);
  console.log(`\nlater opens in order (wall / node CPU / its main thread's, ms), with threads: ${withTeam.inOrder}\nwithout: ${without.inOrder}`);
  console.log(`\nfirst open, main thread's CPU: ${fmt(withTeam.first.mainMs)} ms (without threads ${fmt(without.first.mainMs)} ms)`);
  console.log(`\nthe first open in this process (another document, ${threads / 10} threads + ${suggestions / 10} suggestions, ${edits} edits): ${fmt(warmUp.first.wallMs)} ms, node CPU ${fmt(warmUp.first.cpuMs)} ms`);
  console.log(`\nratio (median wall, with/without): ${(withTeam.wall.median / without.wall.median).toFixed(1)}x`);
  // One line per run, for collecting several: first, median, p95, max (wall/CPU ms), load.
  console.log(`\nRESULT first ${fmt(withTeam.first.wallMs)}/${fmt(withTeam.first.cpuMs)}/${fmt(withTeam.first.mainMs)} median ${fmt(withTeam.wall.median)}/${fmt(withTeam.cpu.median)} p95 ${fmt(withTeam.wall.p95)}/${fmt(withTeam.cpu.p95)} max ${fmt(withTeam.wall.max)}/${fmt(withTeam.cpu.max)} between ${fmt(withTeam.betweenMs)} load ${os.loadavg()[0]!.toFixed(2)}`);
} finally {
  await node.stop();
  if (profileDir) await printProfile(profileDir);
  await rm(dataDir, { recursive: true, force: true });
}
