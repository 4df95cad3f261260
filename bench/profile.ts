// Where our server's time goes under load:
//   node bench/profile.ts [--mode embedded|scaled] [--writers 32] [--watchers 100] [--documents 1] [--seconds 10] [--top 40] [--system ours|sharedb]
//   node bench/profile.ts --workload fair [--agents 20] [--shared 5] [--kb 400] [--mode …] [--seconds 10]
//   node bench/profile.ts --workload docs [--documents 12] [--mode …] [--seconds 10]   (documents per node: 3 typists + 2 watchers each)
// Starts the server with `node --cpu-prof`, runs the hot-document load (or the fairness workload),
// stops it (the profile is written at exit) and prints self time by layer
// and the top functions by self time. The .cpuprofile stays in the printed
// folder (open it in Chrome DevTools or speedscope for the call tree).
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { probeServices } from './lib/services.ts';
import { launch, type Mode, type SystemName } from './lib/targets.ts';
import { editLoad } from './workloads/edit-load.ts';
import { documentsPerNode } from './workloads/documents-per-node.ts';
import { fairness } from './workloads/fairness.ts';

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Which layer a function belongs to, from its script URL. */
export function layerOf(url: string, name: string): string {
  if (url === '') {
    if (name === '(garbage collector)') return 'GC';
    if (name === '(idle)') return 'idle';
    if (name === '(program)') return 'V8/native (program)';
    if (/^(stringify|parse)$/.test(name)) return 'JSON (native)';
    return `native: ${name}`;
  }
  const rules: Array<[RegExp, string]> = [
    [/node_modules\/graphql\//, 'graphql-js (execute/validate/parse)'],
    [/node_modules\/(graphql-yoga|@graphql-yoga|@whatwg-node|@envelop|@graphql-tools|@escape\.tech)\//, 'yoga/envelop/whatwg-node/armor'],
    [/node_modules\/@pothos\//, 'Pothos'],
    [/node_modules\/graphql-ws\//, 'graphql-ws'],
    [/node_modules\/ws\//, 'ws'],
    [/node_modules\/(@prisma|\.prisma|prisma)\//, 'Prisma client/engine'],
    [/api\/src\/store\/generated\//, 'Prisma client/engine'],
    [/node_modules\/(pg|pg-protocol|pg-pool|pg-types|postgres-array|pg-cloudflare)\//, 'pg driver'],
    [/node_modules\/@prisma\/adapter-pg\//, 'Prisma pg adapter'],
    [/node_modules\/(@electric-sql\/pglite|pglite-prisma-adapter)\//, 'PGlite (WASM Postgres)'],
    [/node_modules\/(ioredis|@graphql-yoga\/redis-event-target|redis-parser|@ioredis)\//, 'Redis client'],
    [/node_modules\/(quill-delta|fast-diff|lodash\.(clonedeep|isequal))\//, 'quill-delta (compose/transform)'],
    [/node_modules\/(pino|pino-std-serializers|sonic-boom|thread-stream)\//, 'pino (logging)'],
    [/node_modules\/(prom-client)\//, 'prom-client (metrics)'],
    [/node_modules\/(jose)\//, 'jose (tokens)'],
    [/node_modules\/(zod)\//, 'zod'],
    [/node_modules\/(rate-limiter-flexible)\//, 'rate limits'],
    [/node_modules\/(sharedb|rich-text|@teamwork)\//, 'ShareDB'],
    [/node_modules\/tsx\//, 'tsx loader'],
    [/api\/src\/collab\//, 'ours: api/src/collab'],
    [/api\/src\/store\//, 'ours: api/src/store'],
    [/api\/src\/pubsub\//, 'ours: api/src/pubsub'],
    [/api\/src\/schema\//, 'ours: api/src/schema'],
    [/api\/src\/http\//, 'ours: api/src/http'],
    [/api\/src\//, 'ours: api/src (other)'],
    [/^node:/, 'Node core (net, http, streams, timers)'],
  ];
  for (const [pattern, layer] of rules) if (pattern.test(url)) return layer;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  return pkg ? `other: ${pkg[1]}` : `other: ${url}`;
}

/**
 * Self time (ms) per layer and per function, over the samples inside
 * `window` (monotonic microseconds) when given. WebAssembly and native
 * frames are charged to the layer of the JavaScript that called them
 * (PGlite's Postgres and Prisma's query compiler are both WASM).
 */
/** A function's name and where it is (package path, or api/ or protocol/ path), as tables print it. */
export function frameName(f: ProfileNode['callFrame']): string {
  const where = f.url.startsWith('wasm://') ? 'wasm' : f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(api|protocol)\//, '$1/');
  return `${f.functionName || '(anonymous)'} ${where}${f.url ? `:${f.lineNumber + 1}` : ''}`;
}

/** Each node's parent id. */
export function parentsOf(profile: CpuProfile): Map<number, number> {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  return parent;
}

/** Calls `fn` with each sample's node id and duration (ms), for the samples inside `window` (monotonic µs), or all. */
export function forEachSample(profile: CpuProfile, window: { startUs: number; endUs: number } | undefined, fn: (id: number, ms: number) => void): void {
  let t = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (window && (t < window.startUs || t > window.endUs)) return;
    fn(id, delta / 1000);
  });
}

export function summarise(profile: CpuProfile, window?: { startUs: number; endUs: number }) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = parentsOf(profile);
  const layerCache = new Map<number, string>();
  const layerOfNode = (id: number): string => {
    const cached = layerCache.get(id);
    if (cached) return cached;
    const { url, functionName } = byId.get(id)!.callFrame;
    let layer: string;
    const special = url === '' && /^\((garbage collector|idle|program|root)\)$/.test(functionName);
    if ((url === '' || url.startsWith('wasm://')) && !special) {
      const up = parent.get(id);
      const callerLayer = up === undefined || byId.get(up)!.callFrame.functionName === '(root)' ? null : layerOfNode(up);
      layer = callerLayer ?? layerOf(url, functionName);
    } else {
      layer = layerOf(url, functionName);
    }
    layerCache.set(id, layer);
    return layer;
  };
  const self = new Map<number, number>();
  forEachSample(profile, window, (id, ms) => self.set(id, (self.get(id) ?? 0) + ms));
  const layers = new Map<string, number>();
  const functions = new Map<string, { ms: number; layer: string }>();
  let total = 0;
  for (const [id, ms] of self) {
    const layer = layerOfNode(id);
    total += ms;
    layers.set(layer, (layers.get(layer) ?? 0) + ms);
    const key = frameName(byId.get(id)!.callFrame);
    const f = functions.get(key) ?? { ms: 0, layer };
    f.ms += ms;
    functions.set(key, f);
  }
  return { total, layers: [...layers].sort((a, b) => b[1] - a[1]), functions: [...functions].sort((a, b) => b[1].ms - a[1].ms) };
}

/** Commits, ops per commit and deliveries, from the node's /metrics (whole run, warm-up included). */
async function commitFigures(url: string): Promise<string> {
  const text = await (await fetch(url + '/metrics')).text();
  const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  const commits = value('collab_commit_batch_size_count');
  const ops = value('collab_commit_batch_size_sum');
  return `commits ${commits}, ops per commit ${(ops / commits).toFixed(2)}, deliveries per op ${(value('collab_ops_delivered_total') / ops).toFixed(1)}`;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string, fallback: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1]! : fallback;
  };
  const mode = arg('--mode', 'embedded') as Mode;
  const system = arg('--system', 'ours') as SystemName;
  const writers = Number(arg('--writers', '32'));
  const watchers = Number(arg('--watchers', '100'));
  const seconds = Number(arg('--seconds', '10'));
  const top = Number(arg('--top', '40'));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-profile-'));
  const services = await probeServices();
  const target = await launch(system, mode, services, { cpuProfDir: dir });
  const workload = arg('--workload', 'hot');
  const fair = workload === 'fair';
  const load = fair
    ? await fairness(target, { soloAgents: Number(arg('--agents', '20')), sharedAgents: Number(arg('--shared', '5')), blockChars: Number(arg('--kb', '400')) * 1000, keystrokeMs: 150, warmupMs: 2_000, measureMs: seconds * 1000 })
    : workload === 'docs'
      ? await documentsPerNode(target, { documents: Number(arg('--documents', '12')), warmupMs: 2_000, measureMs: seconds * 1000 })
      : await editLoad(target, { documents: Number(arg('--documents', '1')), writersPerDocument: writers, watchers, warmupMs: 2_000, measureMs: seconds * 1000 });
  if (system === 'ours') console.log(await commitFigures(target.server.url));
  await target.dispose();
  const { window, ...result } = load;
  console.log(`${system} ${mode}, ${fair ? 'fairness' : workload === 'docs' ? 'documents per node' : `${arg('--documents', '1')} × ${writers} writers + ${watchers} watchers`}: ${JSON.stringify(result)}`);
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written in ${dir}`);
  const { total, layers, functions } = summarise(JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile, window);
  const busy = total - (layers.find(([l]) => l === 'idle')?.[1] ?? 0);
  console.log(`\nprofile: ${path.join(dir, file)}\nmeasured window ${(total / 1000).toFixed(1)} s (monotonic µs ${window.startUs}-${window.endUs}), busy ${(busy / 1000).toFixed(1)} s\n\nself time by layer (% of busy):`);
  for (const [layer, ms] of layers.filter(([, ms]) => ms / busy > 0.002)) if (layer !== 'idle') console.log(`  ${((100 * ms) / busy).toFixed(1).padStart(5)} %  ${(ms / 1000).toFixed(2).padStart(6)} s  ${layer}`);
  console.log(`\ntop ${top} functions by self time (% of busy):`);
  for (const [name, { ms, layer }] of functions.filter(([, f]) => f.layer !== 'idle').slice(0, top)) {
    console.log(`  ${((100 * ms) / busy).toFixed(1).padStart(5)} %  ${name}  [${layer}]`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
