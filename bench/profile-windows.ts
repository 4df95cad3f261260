// Where the time of each timed request went, from the profiles that
// `BENCH_CPU_PROF=<dir> node bench/big-document.ts` writes (a node's
// profile covers its whole life; <name>.windows.json says when each timed
// request ran):
//   node bench/profile-windows.ts <dir> [--match "formatted cold"] [--top 25]
// Prints, per window: self time by layer, the top functions by self time,
// and the top functions by total time (their callees included), so that a
// request's share of a database read, a decode or a stringify can be read
// off. Main thread only (libuv's pool and V8's helper threads are not in a
// CPU profile).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { forEachSample, frameName, parentsOf, summarise, type CpuProfile } from './profile.ts';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1]! : fallback;
};
const dir = argv[0];
if (!dir) throw new Error('usage: node bench/profile-windows.ts <dir> [--match text] [--top n]');
const match = arg('--match', '');
const top = Number(arg('--top', '25'));

/** Total time (ms) per function inside the window: each sample counts once for every distinct function on its stack. */
function totals(profile: CpuProfile, startUs: number, endUs: number): Array<[string, number]> {
  const parent = parentsOf(profile);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const stacks = new Map<number, string[]>();
  const stackOf = (id: number): string[] => {
    let names = stacks.get(id);
    if (!names) {
      const up = parent.get(id);
      names = [...new Set([...(up === undefined ? [] : stackOf(up)), frameName(byId.get(id)!.callFrame)])];
      stacks.set(id, names);
    }
    return names;
  };
  const sums = new Map<string, number>();
  forEachSample(profile, { startUs, endUs }, (id, ms) => {
    if (byId.get(id)!.callFrame.functionName === '(idle)') return;
    for (const f of stackOf(id)) sums.set(f, (sums.get(f) ?? 0) + ms);
  });
  return [...sums].sort((a, b) => b[1] - a[1]);
}

for (const file of readdirSync(dir).filter((f) => f.endsWith('.windows.json')).sort()) {
  const windows = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Array<{ label: string; start: number; end: number }>;
  const profile = JSON.parse(readFileSync(path.join(dir, file.replace(/\.windows\.json$/, '.cpuprofile')), 'utf8')) as CpuProfile;
  for (const w of windows.filter((w) => w.label.includes(match))) {
    const { total, layers, functions } = summarise(profile, { startUs: w.start, endUs: w.end });
    const busy = total - (layers.find(([l]) => l === 'idle')?.[1] ?? 0);
    console.log(`\n## ${file.replace(/\.windows\.json$/, '')}: ${w.label}: ${((w.end - w.start) / 1000).toFixed(1)} ms wall, main thread busy ${busy.toFixed(1)} ms`);
    console.log('\nself time by layer (ms):');
    for (const [layer, ms] of layers) if (layer !== 'idle' && ms >= 0.5) console.log(`  ${ms.toFixed(1).padStart(7)}  ${layer}`);
    console.log(`\ntop ${top} by self time (ms):`);
    for (const [name, { ms }] of functions.filter(([n]) => !n.startsWith('(idle)')).slice(0, top)) console.log(`  ${ms.toFixed(1).padStart(7)}  ${name}`);
    console.log(`\ntop ${top * 2} by total time (ms):`);
    for (const [name, ms] of totals(profile, w.start, w.end).slice(0, top * 2)) console.log(`  ${ms.toFixed(1).padStart(7)}  ${name}`);
  }
}
