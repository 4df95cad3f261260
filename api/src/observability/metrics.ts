// Prometheus metrics of one node, on a registry of its own (several nodes
// may share a process in tests). Gauges that mirror live state are read at
// scrape time.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CollabMetrics } from '../collab/types.ts';
import { assessReadiness, type DependencyChecks } from './readiness.ts';

export interface LiveGauges {
  sockets: () => number;
  subscribers: () => number;
  documentsWatched: () => number;
  pubsubUp: () => boolean;
  /** Probes the node's dependencies (the same as /readyz). */
  dependencies: () => Promise<DependencyChecks>;
}

export interface Metrics {
  registry: Registry;
  collab: CollabMetrics;
  /** A shared op-stream batch was serialised (once, for all its subscribers). */
  sharedPayloadSerialised(): void;
  /** A large request (http/large-body-gate.ts) got its turn; `transport`: how it came. */
  largeRequestStarted(transport: 'http' | 'websocket'): void;
  /** Wires the gauges read at scrape time (once the server exists). */
  observe(gauges: LiveGauges): void;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let gauges: LiveGauges | null = null;

  const committed = new Counter({ name: 'collab_ops_committed_total', help: 'Operations committed to the log by this node', registers: [registry] });
  const batch = new Histogram({
    name: 'collab_commit_batch_size',
    help: 'Operations per commit transaction (group commit)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [registry],
  });
  const distance = new Histogram({
    name: 'collab_rebase_distance',
    help: 'Committed ops an incoming op was transformed over',
    buckets: [0, 1, 2, 4, 8, 16, 32, 64, 256, 1024],
    registers: [registry],
  });
  const retries = new Counter({ name: 'collab_commit_retries_total', help: 'Commits re-planned after another writer took the version', registers: [registry] });
  const lag = new Histogram({
    name: 'collab_fanout_lag_seconds',
    help: 'From commit to hand-off to local subscribers (includes pub/sub transit)',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const fanout = new Counter({ name: 'collab_ops_delivered_total', help: 'Op deliveries to local stream subscribers', registers: [registry] });
  const sharedPayloads = new Counter({
    name: 'collab_shared_payloads_serialised_total',
    help: 'Op-stream batches serialised once for all their subscribers on this node',
    registers: [registry],
  });
  const largeRequests = new Counter({
    name: 'collab_large_requests_total',
    help: 'Requests over 64 KB handled in turns (an HTTP body, or a WebSocket message starting a mutation)',
    labelNames: ['transport'],
    registers: [registry],
  });
  const gauge = (name: string, help: string, read: (g: LiveGauges) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        if (gauges) this.set(read(gauges));
      },
    });
  gauge('collab_websockets', 'Open WebSocket connections', (g) => g.sockets());
  gauge('collab_stream_subscribers', 'Live documentOperations streams on this node', (g) => g.subscribers());
  gauge('collab_documents_watched', 'Documents with at least one live stream on this node', (g) => g.documentsWatched());
  gauge('collab_pubsub_up', '1 when pub/sub delivers (Redis connected or in-process), 0 while streams poll the log', (g) => (g.pubsubUp() ? 1 : 0));
  // One probe per scrape for both gauges (prom-client collects metrics concurrently).
  let probing: Promise<DependencyChecks> | null = null;
  const probe = (g: LiveGauges) =>
    (probing ??= g.dependencies().finally(() => {
      probing = null;
    }));
  new Gauge({
    name: 'collab_dependency_up',
    help: '1 when the dependency (database, pubsub) answered its probe at scrape time, as on /readyz',
    labelNames: ['dependency'],
    registers: [registry],
    async collect() {
      if (!gauges) return;
      for (const [dependency, up] of Object.entries(await probe(gauges))) this.set({ dependency }, up ? 1 : 0);
    },
  });
  new Gauge({
    name: 'collab_degraded',
    help: '1 while the node serves (ready) but a dependency it can ride out (pub/sub) is down, as on /readyz',
    registers: [registry],
    async collect() {
      if (gauges) this.set(assessReadiness(await probe(gauges)).status === 'degraded' ? 1 : 0);
    },
  });

  return {
    registry,
    sharedPayloadSerialised: () => sharedPayloads.inc(),
    largeRequestStarted: (transport) => largeRequests.inc({ transport }),
    collab: {
      batchCommitted(distances) {
        committed.inc(distances.length);
        batch.observe(distances.length);
        for (const d of distances) distance.observe(d);
      },
      retried: () => retries.inc(),
      fannedOut(lagMs, subscribers) {
        lag.observe(Math.max(0, lagMs) / 1000);
        fanout.inc(subscribers);
      },
    },
    observe(g) {
      gauges = g;
    },
  };
}
