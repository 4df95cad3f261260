// Memory per open document, for docs/capacity.md: heap and RSS of one api
// node (after a full GC) with N sockets each watching its own document,
// against N sockets all watching one document. The difference per socket is
// what an open document costs a node beyond its socket (head cache entry,
// feed, Redis subscription).
//   node bench/open-documents.ts [count=1000] [embedded|scaled]
import { initialContent } from './lib/edits.ts';
import { probeServices } from './lib/services.ts';
import { mapLimit, range, waitFor } from './lib/stats.ts';
import { launch, type Mode, type Watcher } from './lib/targets.ts';

const count = Number(process.argv[2] ?? 1_000);
const services = await probeServices();
const mode = (process.argv[3] ?? (services ? 'scaled' : 'embedded')) as Mode;

async function growth(ownDocuments: boolean): Promise<{ heap: number; rss: number }> {
  const target = await launch('ours', mode, services, { gcOnSignal: true });
  const watchers: Watcher[] = [];
  try {
    // Warm up the paths first (one document, one socket), then measure from before the documents exist:
    // creating one puts its head in the cache already.
    const warm = await target.openWatcher(await target.createDocument(initialContent()), () => {});
    await warm.close();
    const before = (await target.server.collect())!;
    const rssBefore = target.server.rss();
    const docs = ownDocuments ? await mapLimit(range(count), 16, () => target.createDocument(initialContent())) : [await target.createDocument(initialContent())];
    let opened = 0;
    watchers.push(...(await mapLimit(range(count), 50, (i) => target.openWatcher(docs[i % docs.length]!, () => {}).then((w) => (opened++, w)))));
    await waitFor(() => opened === count, 60_000);
    await new Promise((r) => setTimeout(r, 1_000)); // let the subscriptions settle
    const after = (await target.server.collect())!;
    const heap = after.heapUsed + after.external - (before.heapUsed + before.external);
    return { heap: heap / count, rss: (target.server.rss() - rssBefore) / count };
  } finally {
    await Promise.allSettled(watchers.map((w) => w.close()));
    await target.dispose();
  }
}

const shared = await growth(false);
const own = await growth(true);
const kib = (b: number) => (b / 1024).toFixed(1);
console.log(`open documents, ${mode}, ${count} sockets:`);
console.log(`  all on one document:   heap ${kib(shared.heap)} KiB, RSS ${kib(shared.rss)} KiB per socket`);
console.log(`  each on its own:       heap ${kib(own.heap)} KiB, RSS ${kib(own.rss)} KiB per socket`);
console.log(`  per open document:     heap ${kib(own.heap - shared.heap)} KiB, RSS ${kib(own.rss - shared.rss)} KiB`);
process.exit(0);
