// Capacity probe for docs/capacity.md: committed ops/s of real api nodes on
// one PostgreSQL + Redis, for a hot document written through one or two
// nodes, and for many documents. Every client keeps one op in flight and
// takes its ack from the stream. Not a test: prints a table.
//   node bench/capacity.ts [seconds=10]
import { randomBytes } from 'node:crypto';
import { gql, tempPostgres } from '../api/test/harness.ts';
import { prng, randomEdit } from '../api/test/random-edits.ts';
import { startNode, type NodeProcess } from '../api/test/cluster/processes.ts';
import { SyncClient } from '../api/test/sync-client.ts';

const seconds = Number(process.argv[2] ?? 10);
const databaseServer = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function metric(node: NodeProcess, name: string): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

async function runRow(label: string, nodeCount: number, documents: number, writersPerDocument: number) {
  const db = await tempPostgres(databaseServer);
  const env = { DATABASE_URL: db.url, REDIS_URL: redisUrl, AUTH_SECRET: randomBytes(32).toString('hex'), REDIS_PREFIX: `cap-${randomBytes(3).toString('hex')}:`, RATE_LIMITS: 'off', LOG_LEVEL: 'warn' };
  const nodes = [await startNode(env)];
  if (process.env.NODE_LOGS) nodes[0]!.child.stdout!.on('data', (d: Buffer) => process.stderr.write(d));
  for (let i = 1; i < nodeCount; i++) nodes.push(await startNode(env));
  try {
    const signUp = await gql(nodes[0]!, 'mutation { signUp(email: "cap@example.com", password: "correct horse", name: "cap") { accessToken } }');
    const token = signUp.data!.signUp.accessToken as string;
    const clients: SyncClient[] = [];
    for (let d = 0; d < documents; d++) {
      const res = await gql(nodes[0]!, 'mutation { createDocument(title: "cap", content: { ops: [{ insert: "\\n" }] }) { id } }', {}, token);
      const id = res.data!.createDocument.id as string;
      for (let w = 0; w < writersPerDocument; w++) clients.push(new SyncClient(nodes[(d * writersPerDocument + w) % nodeCount]!, token, id, `w${d}-${w}`));
    }
    for (const c of clients) c.connect();
    await Promise.all(clients.map((c) => c.until((x) => x.ot.version >= 1)));
    let stopped = false;
    const rand = prng(1);
    const loops = clients.map(async (c) => {
      while (!stopped) {
        c.edit(randomEdit(c.doc, rand));
        await c.until((x) => stopped || x.ot.state === 'synchronised');
      }
    });
    const before = await Promise.all(nodes.map((n) => metric(n, 'collab_ops_committed_total')));
    const started = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const after = await Promise.all(nodes.map((n) => metric(n, 'collab_ops_committed_total')));
    const elapsed = (performance.now() - started) / 1000;
    stopped = true;
    for (const c of clients) c.poke();
    await Promise.all(loops);
    const committed = after.reduce((s, v, i) => s + v - before[i]!, 0);
    const retries = (await Promise.all(nodes.map((n) => metric(n, 'collab_commit_retries_total')))).reduce((a, b) => a + b, 0);
    const batches = (await Promise.all(nodes.map((n) => metric(n, 'collab_commit_batch_size_count')))).reduce((a, b) => a + b, 0);
    const batchOps = (await Promise.all(nodes.map((n) => metric(n, 'collab_commit_batch_size_sum')))).reduce((a, b) => a + b, 0);
    const errors = clients.reduce((n, c) => n + c.errors.length, 0);
    if (errors) console.error('sample error:', JSON.stringify(clients.find((c) => c.errors.length)?.errors[0]).slice(0, 400));
    console.log(`| ${label} | ${nodeCount} | ${documents} × ${writersPerDocument} | ${Math.round(committed / elapsed)} | ${(batchOps / Math.max(1, batches)).toFixed(1)} | ${retries} | ${errors} |`);
    for (const c of clients) await c.disconnect();
  } finally {
    for (const n of nodes) await n.kill();
    await db.drop();
  }
}

console.log(`capacity probe: ${seconds} s per row; load average ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}`);
const only = process.env.ROWS?.split(',');
const run = (label: string, ...rest: [number, number, number]) => (!only || only.includes(label) ? runRow(label, ...rest) : Promise.resolve());
console.log('| workload | nodes | documents × writers | committed ops/s | ops per commit | lost races (retries) | client errors |');
console.log('|---|---|---|---|---|---|---|');
await run('hot document', 1, 1, 32);
await run('hot document, two nodes', 2, 1, 32);
await run('many documents', 1, 200, 2);
await run('many documents, two nodes', 2, 200, 2);
