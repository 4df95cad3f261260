// Wires a node together. buildApp() has no side effects; start() opens the
// database (migrating it), the buses and the HTTP server; stop() drains and
// undoes it.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { createAudit } from './audit.ts';
import { AccessCache } from './auth/access-cache.ts';
import { AccessWatch, decodeAccessEvent } from './auth/access-watch.ts';
import { Accounts } from './auth/accounts.ts';
import { createAccessTokens } from './auth/access-tokens.ts';
import { ApiTokens } from './auth/api-tokens.ts';
import { OperationFeed } from './collab/feed.ts';
import { PresenceBatches } from './collab/presence-batches.ts';
import { PresenceRegistry } from './collab/presence.ts';
import { Sequencer } from './collab/sequencer.ts';
import type { Config } from './config.ts';
import { ShareLinks } from './documents/share-links.ts';
import { Comments } from './comments/threads.ts';
import { Suggestions } from './suggestions/suggestions.ts';
import { Documents } from './documents/documents.ts';
import { PreviewWriter } from './documents/preview.ts';
import { Versions } from './documents/versions.ts';
import { createConverter, type Converter } from './convert/converter.ts';
import { Activity } from './http/activity.ts';
import { createMetricsServer } from './http/metrics-endpoint.ts';
import { createHttpServer, type HttpServer } from './http/server.ts';
import { createRateLimits } from './limits/rate-limits.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics } from './observability/metrics.ts';
import { probe } from './observability/readiness.ts';
import { createAccessBus } from './pubsub/access-bus.ts';
import { createLocalBuses, createRedisBuses, type Buses } from './pubsub/buses.ts';
import { operationsTopic, presenceTopic, titlesTopic } from './pubsub/channels.ts';
import { connectRedis, type RedisConnections } from './pubsub/redis-connections.ts';
import type { Services } from './services.ts';
import { openDatabase, type Database } from './store/database.ts';
import { applyMigrations, MIGRATIONS_DIR } from './store/migrate.ts';
import { LogRetention, schedulePasses } from './store/log-retention.ts';
import { EmbeddedVacuum, upkeepStatement } from './store/pglite-vacuum.ts';
import { PrismaOperationLog } from './store/operation-log.ts';
import { WriteBehind } from './store/write-behind.ts';
import { EventPump } from './events/event-pump.ts';
import { EventRetention } from './events/event-retention.ts';
import { Outbox } from './events/outbox.ts';
import { DeliveryWorker } from './webhooks/delivery-worker.ts';
import { Webhooks } from './webhooks/webhooks.ts';

/**
 * Presence batches go out at most this often per document: the same as one
 * client's own coalescing (presence.ts), so a lone mover is not slowed, and
 * at 1,000 movers each watcher gets 20 messages a second, not 1,000.
 */
const PRESENCE_BATCH_MS = 50;
/**
 * Each batch is one socket write per watcher, the node's main cost in a
 * crowd (a 1,000-person document at 20 batches a second: 20,000 writes a
 * second, most of its CPU). Past this many writes a second per document the
 * window grows (1,000 watchers: 100 ms), to at most PRESENCE_BATCH_MAX_MS.
 */
const PRESENCE_SENDS_PER_SECOND = 10_000;
const PRESENCE_BATCH_MAX_MS = 150;
/**
 * Moved anchors and suggestions are stored once no request has come or
 * gone for this long (ms): someone opening documents one after another
 * (~30 ms each) never waits behind them, while a typist's gaps (~100 ms
 * and more) still leave room.
 */
const WRITE_BEHIND_QUIET_MS = 50;
/** The longest an embedded periodic statement (stamping, previews) waits for a commit to follow (ms); a node with no commits runs them after this. */
const BACKGROUND_SLOT_MAX_WAIT_MS = 20;
/** ...and at the latest this long after a read left them (ms), however busy the node: a slice at a time. */
const WRITE_BEHIND_MAX_WAIT_MS = 10_000;
/** An embedded vacuum pass longer than this (ms, slot waits included) is logged at info, not debug. */
const VACUUM_PASS_NOTICE_MS = 100;
/** Pending connections the kernel may queue for the node (see listen below). */
const LISTEN_BACKLOG = 4_096;

export interface App {
  /** Listens on config.port (0 = any free port); resolves with the URL (and that of METRICS_PORT's server when set). */
  start(): Promise<{ url: string; port: number; services: Services; metricsUrl?: string }>;
  /**
   * Graceful stop: refuse new work, let in-flight commits finish, close
   * sockets with 1012 (service restart: reconnect, maybe elsewhere).
   */
  stop(): Promise<void>;
}

export interface AppOptions {
  logger?: Logger;
}

export function buildApp(config: Config, options: AppOptions = {}): App {
  const nodeId = randomUUID().slice(0, 8);
  const logger = (options.logger ?? createLogger(config.logLevel)).child({ node: nodeId });
  let db: Database | undefined;
  let redis: RedisConnections | undefined;
  let buses: Buses | undefined;
  let http: HttpServer | undefined;
  let metricsServer: Server | undefined;
  let feed: OperationFeed | undefined;
  let sequencer: Sequencer | undefined;
  let previews: PreviewWriter | undefined;
  let writeBehind: WriteBehind | undefined;
  let stopAccessWatch: (() => void) | undefined;
  let presenceRegistry: PresenceRegistry | undefined;
  let stopPresenceBatches: (() => void) | undefined;
  let converter: Converter | undefined;
  let stopRetention: (() => Promise<void>) | undefined;
  let stopEventRetention: (() => Promise<void>) | undefined;
  let stopVacuum: (() => Promise<void>) | undefined;
  let pump: EventPump | undefined;
  let worker: DeliveryWorker | undefined;

  return {
    async start() {
      db = await openDatabase({
        databaseUrl: config.databaseUrl,
        dataDir: config.dataDir,
        embeddedFsync: config.embeddedFsync,
        embeddedSharedBuffersMb: config.embeddedSharedBuffersMb,
        poolSize: config.databasePoolSize,
        onPoolError: (err) => logger.warn({ err }, 'database connection lost'),
      });
      const applied = await applyMigrations(db.sql, MIGRATIONS_DIR, (msg) => logger.info(msg));
      if (applied.length > 0) logger.info({ applied }, 'migrations applied');
      // Scaled mode: the node's Redis connections (one Redis or a cluster), shared by the buses,
      // the presence store, the access bus and the rate limits; closed in stop().
      const redisWarn = (err: unknown) => logger.warn({ err }, 'redis');
      const redisTarget = config.redisClusterNodes ? { clusterNodes: config.redisClusterNodes } : config.redisUrl ? { url: config.redisUrl } : undefined;
      redis = redisTarget ? await connectRedis(redisTarget, redisWarn) : undefined;
      buses = redis ? createRedisBuses(redis, config.redisPrefix, redisWarn) : createLocalBuses();
      const bus = buses;
      bus.live.onChange((up) => logger[up ? 'info' : 'warn']({ pubsub: up ? 'up' : 'down' }, up ? 'pub/sub is back: live delivery' : 'pub/sub is down: streams poll the log'));

      // Security (README "Security model"): access changes reach every node,
      // rate limits are shared through Redis, the audit trail goes to the log.
      const rateLimits = createRateLimits(config.security.rateLimits, redis?.commands, config.redisPrefix);
      const access = new AccessWatch(createAccessBus(redis, config.redisPrefix, decodeAccessEvent), (err) => logger.warn({ err }, 'access bus'));
      const accessCache = new AccessCache(config.accessCacheMs);
      access.observe((event) => accessCache.forget(event));
      stopAccessWatch = await access.listen();
      const audit = createAudit(logger);

      const metrics = createMetrics();
      const log = new PrismaOperationLog(db.prisma, db.sql);
      sequencer = new Sequencer({
        log,
        snapshotEvery: config.snapshotEvery,
        maxDocumentBytes: config.security.maxDocumentBytes,
        publish: (op) => bus.ops.publish(operationsTopic(op.documentId), op),
        deliver: (ops) => {
          feed?.deliver(ops);
          for (const documentId of new Set(ops.map((op) => op.documentId))) previews?.changed(documentId);
        },
        // Both modes: one statement for the documents ready together (PostgreSQL: a round trip and a WAL flush each).
        groupAppends: true,
        // One PGlite has one node: nobody to share a document with.
        lockedCommits: db.kind === 'postgres' && config.sharedWrites === 'lock',
        // The same: every commit to a PGlite goes through this sequencer.
        soleWriter: db.kind === 'pglite',
        metrics: metrics.collab,
        onBackgroundError: (err, context) => logger.warn({ err, context }, 'background step failed'),
      });
      const seq = sequencer;
      // Embedded, periodic statements wait for the moment after a commit (Sequencer.afterCommit).
      const backgroundSlot = db.kind === 'pglite' ? () => seq.afterCommit(BACKGROUND_SLOT_MAX_WAIT_MS) : undefined;
      previews = new PreviewWriter({
        sql: db.sql,
        opening: (documentId, units) => seq.opening(documentId, units),
        slot: backgroundSlot,
        onError: (err) => logger.warn({ err }, 'document preview'),
      });
      const activity = new Activity({ quietMs: WRITE_BEHIND_QUIET_MS });
      writeBehind = new WriteBehind({
        onError: (err) => logger.warn({ err }, 'storing moved anchors or suggestions'),
        quiet: (deadline) => activity.quiet(deadline),
        maxWaitMs: WRITE_BEHIND_MAX_WAIT_MS,
        now: activity.now,
      });
      const presenceBatches = new PresenceBatches({
        windowMs: PRESENCE_BATCH_MS,
        sendsPerSecond: PRESENCE_SENDS_PER_SECOND,
        maxWindowMs: PRESENCE_BATCH_MAX_MS,
        subscribe: (documentId) => bus.presence.subscribe(presenceTopic(documentId)),
      });
      stopPresenceBatches = () => presenceBatches.dispose();
      feed = new OperationFeed({
        log,
        subscribe: (documentId) => bus.ops.subscribe(operationsTopic(documentId)),
        headVersion: async (documentId) => (await seq.head(documentId)).version,
        live: bus.live,
        pollIntervalMs: config.fallbackPollMs,
        // Other nodes' commits keep this node's cached heads current.
        onOpSeen: (op) => seq.observe(op),
        onFanOut: (op, subscribers) => {
          metrics.collab.fannedOut(Date.now() - op.createdAt.getTime(), subscribers);
          // Cursors waiting for their window go with the ops that moved them: one socket write each.
          presenceBatches.opsHandedOut(op.documentId);
        },
        onError: (err, context) => logger.warn({ err, context }, 'op feed'),
      });
      const presence = new PresenceRegistry({
        ttlMs: config.presenceTtlMs,
        store: bus.presenceStore,
        publish: (state) => bus.presence.publish(presenceTopic(state.documentId), state),
        onError: (err, context) => logger.warn({ err, context }, 'presence'),
      });
      presenceRegistry = presence;
      const tokens = createAccessTokens(config.authSecret, config.accessTokenTtl);
      const documents = new Documents(db.prisma, log, sequencer, presence, {
        audit,
        onAccessChange: (event) => access.publish(event),
        onRenamed: (change) => bus.titles.publish(titlesTopic(change.documentId), change),
        cache: accessCache,
        deltaPolicy: {
          maxOps: config.security.maxDeltaOps,
          maxInsertBytes: config.security.maxDeltaInsertBytes,
          maxEmbedBytes: config.security.maxEmbedBytes,
          formats: new Set(config.security.allowedFormats),
        },
        maxTitleBytes: config.security.maxTitleBytes,
      });
      // Document events: every node stamps the outbox and sends webhooks; the database shares the work out.
      const outbox = new Outbox(db.sql);
      pump = new EventPump({ outbox, bus: bus.events, intervalMs: config.events.stampMs, slot: backgroundSlot, onError: (err) => logger.warn({ err }, 'event outbox') });
      pump.start();
      // PGlite never starts autovacuum: without this, transaction IDs are never frozen and wrap around.
      if (db.kind === 'pglite') {
        const vacuum = new EmbeddedVacuum({ sql: db.sql, slot: backgroundSlot });
        const pass = async () => {
          const started = performance.now();
          const done = await vacuum.runOnce();
          const ms = Math.round(performance.now() - started);
          // Each statement holds the node's thread: a long pass is worth knowing of.
          if (done.length > 0) logger[ms > VACUUM_PASS_NOTICE_MS ? 'info' : 'debug']({ upkeep: done.map(upkeepStatement), ms }, 'embedded vacuum');
        };
        stopVacuum = schedulePasses({ runOnce: pass }, config.embeddedVacuumIntervalMs, (err) => logger.warn({ err }, 'embedded vacuum'));
      }
      stopEventRetention = schedulePasses(new EventRetention({ sql: db.sql, days: config.events.retentionDays }), config.events.retentionIntervalMs, (err) =>
        logger.warn({ err }, 'event retention'),
      );
      worker = new DeliveryWorker({
        sql: db.sql,
        bus: bus.events,
        allowPrivate: config.events.allowPrivateWebhookUrls,
        maxAttempts: config.events.webhookMaxAttempts,
        backoffMs: config.events.webhookBackoffMs,
        backoffMaxMs: config.events.webhookBackoffMaxMs,
        timeoutMs: config.events.webhookTimeoutMs,
        leaseMs: config.events.webhookLeaseMs,
        pollMs: config.events.webhookPollMs,
        onError: (err) => logger.warn({ err }, 'webhook deliveries'),
      });
      await worker.start();
      const services: Services = {
        config,
        logger,
        db,
        log,
        sequencer,
        feed,
        presence,
        opsBus: bus.ops,
        presenceBus: bus.presence,
        presenceBatches,
        tokens,
        apiTokens: new ApiTokens(db.prisma, {
          cache: accessCache,
          // Revoked as a session is: every node ends what it holds open (access-lease.ts).
          onRevoked: (userId, tokenIds) => access.publish({ kind: 'sessions-revoked', userId, sessionIds: tokenIds }),
          audit,
          onError: (err) => logger.warn({ err }, 'api token lastUsedAt'),
        }),
        accounts: new Accounts(db.prisma, tokens, config.refreshTokenTtl, {
          audit,
          onRevoked: (userId, sessionIds) => access.publish({ kind: 'sessions-revoked', userId, sessionIds }),
          cache: accessCache,
        }),
        documents,
        shareLinks: new ShareLinks(db.prisma, documents, { audit, onAccessChange: (event) => access.publish(event) }),
        versions: new Versions(db.prisma, log, sequencer, documents, (converter = createConverter())),
        comments: new Comments(db.prisma, sequencer, documents, bus.threads, {
          onPublishError: (err) => logger.warn({ err }, 'threads bus'),
          writeBehind,
        }),
        threadsBus: bus.threads,
        titlesBus: bus.titles,
        suggestions: new Suggestions(db.prisma, sequencer, log, documents, bus.suggestions, {
          onPublishError: (err) => logger.warn({ err }, 'suggestions bus'),
          writeBehind,
        }),
        suggestionsBus: bus.suggestions,
        outbox,
        eventsBus: bus.events,
        webhooks: new Webhooks(db.prisma, { allowPrivate: config.events.allowPrivateWebhookUrls }),
        access,
        rateLimits,
        metrics,
        activity,
      };

      const database = db;
      const watched = feed;
      // /readyz and the metrics' view of the dependencies (observability/readiness.ts).
      const dependencies = async () => {
        const [databaseUp, pubsubUp] = await Promise.all([probe(() => database.ping()), probe(() => bus.ping())]);
        return { database: databaseUp, pubsub: pubsubUp };
      };
      http = createHttpServer(services, { ready: dependencies });
      metrics.observe({
        sockets: () => http?.sockets() ?? 0,
        subscribers: () => watched.subscribers,
        documentsWatched: () => watched.documents,
        pubsubUp: () => bus.live.healthy(),
        dependencies,
      });
      const server = http.server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        // A backlog of 4,096 connections (the kernel caps it at somaxconn)
        // instead of Node's 511: in a storm of thousands of sockets
        // connecting at once (a reconnect after a restart, the idle
        // connections bench) a busy node overflowed 511, and the kernel's
        // dropped handshakes reached clients as resets (1006).
        server.listen(config.port, config.host, LISTEN_BACKLOG, () => resolve());
      });
      const { port } = server.address() as AddressInfo;
      const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
      const url = `http://${host}:${port}`;
      logger.info({ url, mode: config.mode }, 'listening');
      let metricsUrl: string | undefined;
      if (config.metrics.port !== undefined) {
        const ms = (metricsServer = createMetricsServer(metrics.registry, { production: config.production, ...config.metrics }, logger));
        await new Promise<void>((resolve, reject) => {
          ms.once('error', reject);
          ms.listen(config.metrics.port, config.host, () => resolve());
        });
        metricsUrl = `http://${host}:${(ms.address() as AddressInfo).port}/metrics`;
        logger.info({ url: metricsUrl }, 'metrics listening');
      }
      if (config.logRetention) {
        const seqr = sequencer;
        // This node forgets its cached head of a cut document, so it answers from the log as every other node will.
        const retention = new LogRetention({ sql: db.sql, days: config.logRetention.days, onCut: (documentId) => seqr.forget(documentId) });
        stopRetention = schedulePasses(retention, config.logRetention.intervalMs, (err) => logger.warn({ err }, 'log retention'));
      }
      return { url, port, services, ...(metricsUrl && { metricsUrl }) };
    },

    async stop() {
      // 1. Stop taking new connections and say so on /readyz.
      http?.drain();
      // Before the database closes under a pass.
      await stopRetention?.();
      stopRetention = undefined;
      await stopEventRetention?.();
      stopEventRetention = undefined;
      await stopVacuum?.();
      stopVacuum = undefined;
      // 2. Let queued submissions commit (their HTTP replies are in flight).
      await sequencer?.idle();
      await previews?.flush();
      // 3. Close sockets (1012) and the server, then the rest.
      await http?.close();
      // Moved anchors and suggestions that reads left to store (none is needed: the next read would move them again).
      await writeBehind?.idle();
      const ms = metricsServer;
      if (ms) await new Promise<void>((resolve) => ms.close(() => resolve()).closeAllConnections());
      metricsServer = undefined;
      // The closed sockets' presence leaves go out while the buses are still up.
      await presenceRegistry?.dispose();
      stopPresenceBatches?.();
      await converter?.close();
      converter = undefined;
      await worker?.stop();
      await pump?.stop();
      worker = undefined;
      pump = undefined;
      feed?.dispose();
      stopAccessWatch?.();
      // After everything that publishes or subscribes through them.
      await redis?.close();
      await db?.close();
      http = undefined;
      redis = undefined;
      buses = undefined;
      db = undefined;
      feed = undefined;
      sequencer = undefined;
      previews = undefined;
      writeBehind = undefined;
      stopAccessWatch = undefined;
      presenceRegistry = undefined;
      stopPresenceBatches = undefined;
    },
  };
}
