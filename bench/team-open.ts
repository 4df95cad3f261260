// Opening a document that a team works on: its content with 1,000 comment
// threads and 200 open suggestions, after 500 later edits (so anchors and
// suggestions are moved on read), against the same document without them.
// One embedded node (PGlite) in this process, rate limits off (a bench that
// makes 1,200 comments in seconds would be refused otherwise; the limits are
// not what is measured). Not a test: prints a table.
//   node bench/team-open.ts [threads=1000] [suggestions=200] [edits=500]
//   BENCH_CPU_PROF=/tmp/prof node bench/team-open.ts ...   (CPU profiles of the first open and of the
//   later ones, not of the set-up, with self time by layer and the top functions printed)
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildApp } from '../api/src/app.ts';
import { loadConfig } from '../api/src/config.ts';
import { graphqlAt } from './lib/graphql.ts';
import { summarise } from './profile.ts';

const [threads = 1000, suggestions = 200, edits = 500] = process.argv.slice(2).map(Number);
const OPEN = `query($id: ID!) { document(id: $id) { version content
  threads { id quote status anchor { version index length } comments { id body author { name } } }
  suggestions(status: OPEN) { id status version delta author { name } } } }`;
const OPEN_PLAIN = 'query($id: ID!) { document(id: $id) { version content } }';

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-team-'));
const app = buildApp(loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', NODE_ENV: 'production', RATE_LIMITS: 'off' }));
const { url } = (await app.start()) as { url: string };

const gql = graphqlAt(url);

// BENCH_CPU_PROF=<dir>: the node runs in this process, so a profile covers server and client alike.
const profileDir = process.env.BENCH_CPU_PROF;
const session = profileDir ? new Session() : null;

/** Runs `work` under the CPU profiler (when BENCH_CPU_PROF is set), then writes the profile and prints its summary. */
async function profiled<T>(name: string, work: () => Promise<T>): Promise<T> {
  if (!session || !profileDir) return work();
  await session.post('Profiler.setSamplingInterval', { interval: 100 }); // µs
  await session.post('Profiler.start');
  const result = await work();
  const { profile } = await session.post('Profiler.stop');
  await mkdir(profileDir, { recursive: true });
  const file = path.join(profileDir, `team-open-${name}-${Date.now()}.cpuprofile`);
  await writeFile(file, JSON.stringify(profile));
  const { total, layers, functions } = summarise(profile as unknown as Parameters<typeof summarise>[0]);
  const busy = total - (layers.find(([l]) => l === 'idle')?.[1] ?? 0);
  console.log(`\nprofile (${name}): ${file}, busy ${busy.toFixed(1)} ms\nself time by layer:`);
  for (const [layer, ms] of layers) if (layer !== 'idle' && ms / busy > 0.005) console.log(`  ${ms.toFixed(1).padStart(7)} ms  ${layer}`);
  console.log('top functions by self time:');
  for (const [fn, { ms, layer }] of functions.filter(([, f]) => f.layer !== 'idle').slice(0, 25)) console.log(`  ${ms.toFixed(1).padStart(7)} ms  ${fn}  [${layer}]`);
  return result;
}

/** Median and max of `runs` sequential opens, ms, and this process's CPU per open (server and client share it), ms. */
async function time(query: string, id: string, token: string, runs = 15, profile = false) {
  const maybeProfiled = <T>(name: string, work: () => Promise<T>) => (profile ? profiled(name, work) : work());
  const firstMs = await maybeProfiled('first', async () => {
    const first = performance.now();
    await gql(query, { id }, token);
    return performance.now() - first;
  });
  const ms: number[] = [];
  const used = await maybeProfiled('later', async () => {
    const cpu = process.cpuUsage();
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await gql(query, { id }, token);
      ms.push(performance.now() - t);
    }
    return process.cpuUsage(cpu);
  });
  ms.sort((a, b) => a - b);
  return { firstMs, medianMs: ms[Math.floor(runs / 2)]!, maxMs: ms.at(-1)!, cpuMs: (used.user + used.system) / 1000 / runs };
}

try {
  const token = (await gql('mutation { signUp(email: "team@example.com", password: "correct horse", name: "Team") { accessToken } }', {})).signUp.accessToken as string;
  const paragraph = 'The quick brown fox jumps over the lazy dog. ';
  const content = { ops: [{ insert: paragraph.repeat(400) + '\n' }] }; // ~18 KB of text
  const create = async () => (await gql('mutation($c: Delta) { createDocument(title: "Team", content: $c) { id } }', { c: content }, token)).createDocument.id as string;
  const [team, plain] = [await create(), await create()];

  for (let i = 0; i < threads; i++) {
    await gql('mutation($d: ID!, $i: Int!) { openThread(documentId: $d, version: 1, index: $i, length: 5, body: "Looks right?") { id } }', { d: team, i: (i * 17) % 17_000 }, token);
  }
  for (let i = 0; i < suggestions; i++) {
    const at = 1 + ((i * 83) % 17_000);
    await gql('mutation($input: SuggestInput!) { suggest(input: $input) { id } }', { input: { documentId: team, baseVersion: 1, delta: { ops: [{ retain: at }, { insert: 'quite ' }] }, clientId: 'bench', clientSeq: i } }, token);
  }
  // Later edits spread over the text: anchors and suggestions are moved over them on the first read.
  for (const id of [team, plain]) {
    for (let v = 1; v <= edits; v++) {
      await gql('mutation($input: SubmitOperationInput!) { submitOperation(input: $input) { version } }', { input: { documentId: id, baseVersion: v, delta: { ops: [{ retain: 1 + ((v * 31) % 17_000) }, { insert: 'x' }] }, clientId: 'writer', clientSeq: v } }, token);
    }
  }

  if (session) {
    session.connect();
    await session.post('Profiler.enable');
  }
  const withTeam = await time(OPEN, team, token, 15, true);
  session?.disconnect();
  const without = await time(OPEN_PLAIN, plain, token);
  const fmt = (x: number) => x.toFixed(1);
  console.log(`\nOpening a document (~18 KB of text, ${edits} edits after the comments), embedded node, ${os.cpus().length} cores; ms\n`);
  console.log('| document | first open (moves anchors) | median open | max open | process CPU per open |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(`| ${threads} threads + ${suggestions} open suggestions | ${fmt(withTeam.firstMs)} | ${fmt(withTeam.medianMs)} | ${fmt(withTeam.maxMs)} | ${fmt(withTeam.cpuMs)} |`);
  console.log(`| the same text, no threads | ${fmt(without.firstMs)} | ${fmt(without.medianMs)} | ${fmt(without.maxMs)} | ${fmt(without.cpuMs)} |`);
  console.log(`\nratio (median, with/without): ${(withTeam.medianMs / without.medianMs).toFixed(1)}x`);
} finally {
  await app.stop();
  await rm(dataDir, { recursive: true, force: true });
}
