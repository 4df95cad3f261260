// Opening a document that a team works on: its content with 1,000 comment
// threads and 200 open suggestions, after 500 later edits (so anchors and
// suggestions are moved on read), against the same document without them.
// One embedded node (PGlite) in a process of its own, as `npm start` runs
// it, rate limits off (a bench that makes 1,200 comments in seconds would
// be refused otherwise; the limits are not what is measured). The node's
// CPU comes from /proc (in ticks of 10 ms: per open, it is averaged over
// the runs). Not a test: prints a table.
//   node bench/team-open.ts [threads=1000] [suggestions=200] [edits=500]
//   BENCH_CPU_PROF=/tmp/prof node bench/team-open.ts ...   (the node's CPU profile, with self time by
//   layer and the top functions printed for the first open and for the later ones, not the set-up)
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { graphqlAt } from './lib/graphql.ts';
import { startOurNode } from './lib/processes.ts';
import { summarise } from './profile.ts';

const [threads = 1000, suggestions = 200, edits = 500] = process.argv.slice(2).map(Number);
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

/** The first open, then the median and max of `runs` sequential opens, ms, and the node's CPU for the first open and per later open, ms. */
async function time(query: string, id: string, token: string, runs = 15, label?: string) {
  const cpuFirst = node.cpuSeconds();
  const startUs = monotonicUs();
  const first = performance.now();
  await gql(query, { id }, token);
  const firstMs = performance.now() - first;
  const firstCpuMs = (node.cpuSeconds() - cpuFirst) * 1000;
  if (label) windows[`${label}: first open`] = { startUs, endUs: monotonicUs() };
  const ms: number[] = [];
  const cpu = node.cpuSeconds();
  const laterUs = monotonicUs();
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await gql(query, { id }, token);
    ms.push(performance.now() - t);
  }
  const cpuMs = ((node.cpuSeconds() - cpu) * 1000) / runs;
  if (label) windows[`${label}: ${runs} later opens`] = { startUs: laterUs, endUs: monotonicUs() };
  const inOrder = ms.map((m) => m.toFixed(0)).join(' ');
  ms.sort((a, b) => a - b);
  return { inOrder, firstMs, firstCpuMs, medianMs: ms[Math.floor(runs / 2)]!, maxMs: ms.at(-1)!, cpuMs };
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
  const withTeam = await time(OPEN, team, token, 15, 'with threads');
  const without = await time(OPEN_PLAIN, plain, token);
  const fmt = (x: number) => x.toFixed(1);
  console.log(`\nOpening a document (~18 KB of text, ${edits} edits after the comments), embedded node in its own process, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ms\n`);
  console.log('| document | first open (moves anchors) | node CPU, first open | median open | max open | node CPU per open |');
  console.log('|---|---:|---:|---:|---:|---:|');
  console.log(`| ${threads} threads + ${suggestions} open suggestions | ${fmt(withTeam.firstMs)} | ${fmt(withTeam.firstCpuMs)} | ${fmt(withTeam.medianMs)} | ${fmt(withTeam.maxMs)} | ${fmt(withTeam.cpuMs)} |`);
  console.log(`| the same text, no threads | ${fmt(without.firstMs)} | ${fmt(without.firstCpuMs)} | ${fmt(without.medianMs)} | ${fmt(without.maxMs)} | ${fmt(without.cpuMs)} |`);
  console.log(`\nlater opens in order (ms), with threads: ${withTeam.inOrder}; without: ${without.inOrder}`);
  console.log(`\nthe first open in this process (another document, ${threads / 10} threads + ${suggestions / 10} suggestions, ${edits} edits): ${fmt(warmUp.firstMs)} ms, node CPU ${fmt(warmUp.firstCpuMs)} ms`);
  console.log(`\nratio (median, with/without): ${(withTeam.medianMs / without.medianMs).toFixed(1)}x`);
} finally {
  await node.stop();
  if (profileDir) await printProfile(profileDir);
  await rm(dataDir, { recursive: true, force: true });
}
