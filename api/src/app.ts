// Wires a node together. buildApp() has no side effects; start() opens the
// database (migrating it), the buses and the HTTP server; stop() undoes it.
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Accounts } from './auth/accounts.js';
import { createAccessTokens } from './auth/access-tokens.js';
import { PresenceRegistry } from './collab/presence.js';
import { Sequencer } from './collab/sequencer.js';
import type { Config } from './config.js';
import { Documents } from './documents/documents.js';
import { createHttpServer, type HttpServer } from './http/server.js';
import { createLogger, type Logger } from './logger.js';
import { createLocalBuses, createRedisBuses, type Buses } from './pubsub/buses.js';
import { operationsTopic, presenceTopic } from './pubsub/channels.js';
import type { Services } from './services.js';
import { openDatabase, type Database } from './store/database.js';
import { applyMigrations, MIGRATIONS_DIR } from './store/migrate.js';
import { PrismaOperationLog } from './store/operation-log.js';

export interface App {
  /** Listens on config.port (0 = any free port); resolves with the URL. */
  start(): Promise<{ url: string; port: number; services: Services }>;
  stop(): Promise<void>;
}

export interface AppOptions {
  logger?: Logger;
  /** Prefix of every Redis channel (separates test runs on one Redis). @default "collab:" */
  busPrefix?: string;
}

export function buildApp(config: Config, options: AppOptions = {}): App {
  const logger = options.logger ?? createLogger(config.logLevel);
  let db: Database | undefined;
  let buses: Buses | undefined;
  let http: HttpServer | undefined;

  return {
    async start() {
      db = await openDatabase({
        databaseUrl: config.databaseUrl,
        dataDir: config.dataDir,
        poolSize: config.databasePoolSize,
        onPoolError: (err) => logger.warn({ err }, 'database connection lost'),
      });
      const applied = await applyMigrations(db.sql, MIGRATIONS_DIR, (msg) => logger.info(msg));
      if (applied.length > 0) logger.info({ applied }, 'migrations applied');
      buses = config.redisUrl ? await createRedisBuses(config.redisUrl, options.busPrefix ?? 'collab:') : createLocalBuses();

      const log = new PrismaOperationLog(db.prisma);
      const opsBus = buses.ops;
      const presenceBus = buses.presence;
      const sequencer = new Sequencer({
        log,
        snapshotEvery: config.snapshotEvery,
        publish: (op) => opsBus.publish(operationsTopic(op.documentId), op),
        onBackgroundError: (err, context) => logger.warn({ err, context }, 'background step failed'),
      });
      const presence = new PresenceRegistry({
        ttlMs: config.presenceTtlMs,
        publish: (state) => presenceBus.publish(presenceTopic(state.documentId), state),
      });
      const tokens = createAccessTokens(config.authSecret, config.accessTokenTtl);
      const services: Services = {
        config,
        logger,
        db,
        log,
        sequencer,
        presence,
        opsBus,
        presenceBus,
        tokens,
        accounts: new Accounts(db.prisma, tokens, config.refreshTokenTtl),
        documents: new Documents(db.prisma, log, sequencer, presence),
      };

      const database = db;
      const bus = buses;
      http = createHttpServer(services, {
        ready: async () => ({
          database: await database.ping().then(() => true, () => false),
          pubsub: await bus.ping().then(() => true, () => false),
        }),
      });
      const server = http.server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => resolve());
      });
      const { port } = server.address() as AddressInfo;
      const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
      const url = `http://${host}:${port}`;
      logger.info({ url, mode: config.mode, node: randomUUID().slice(0, 8) }, 'listening');
      return { url, port, services };
    },

    async stop() {
      await http?.close();
      await buses?.close();
      await db?.close();
      http = undefined;
      buses = undefined;
      db = undefined;
    },
  };
}
