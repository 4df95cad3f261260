// One HTTP server, one port: /graphql (yoga over HTTP, graphql-ws over
// WebSocket on the same path), /healthz, /readyz, and the web client.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { serveGraphQLOverWebSockets } from './socket-server.ts';
import type { Services } from '../services.ts';
import { createGraphQL, createSocketExecution } from './graphql.ts';
import { SharedStreamResults } from './shared-stream-results.ts';
import type { Viewer } from '../documents/documents.ts';
import { beforeSubscribe, onConnect, releaseSocket, verifyUpgrade } from './socket-guard.ts';
import type { SocketExtra } from './socket-context.ts';
import { endOperation, guardOperation, operationViewer } from './operation-auth.ts';
import { payloadTooLarge, preReadBody, readBodyWithin, type PreReadBody } from './body-limit.ts';
import { LARGE_BODY_BYTES, LargeBodyGate } from './large-body-gate.ts';
import { createStaticHandler } from './static-web.ts';
import { guardClientErrors, guardRequests } from './request-guard.ts';
import { apiPortMetrics } from './metrics-endpoint.ts';
import { CompressionCache } from './compression.ts';
import { assessReadiness, type DependencyChecks } from '../observability/readiness.ts';
import { connectionOf } from './socket-connection.ts';

export interface HttpServer {
  server: Server;
  /** Open WebSocket connections. */
  sockets(): number;
  /** Stops accepting connections; /readyz answers 503 from now on. */
  drain(): void;
  /** Closes every WebSocket with 1012 (service restart: reconnect, maybe to another node) and stops the server. */
  close(): Promise<void>;
}

/** WebSocket close code sent on shutdown: RFC 6455 "Service Restart". */
export const CLOSE_SERVICE_RESTART = 1012;

type Root = { execute: (args: ExecutionArgs) => unknown; subscribe: (args: ExecutionArgs) => unknown };

export function createHttpServer(services: Services, checks: { ready: () => Promise<DependencyChecks> }): HttpServer {
  const { config, logger } = services;
  // One cache for the web client's files and the GraphiQL page.
  const compression = new CompressionCache();
  const sharedResults = new SharedStreamResults();
  const yoga = createGraphQL(services, { compression, sharedResults });
  const socketExecution = createSocketExecution(yoga, services, sharedResults);
  const serveWeb = createStaticHandler(undefined, { production: config.production, compression });
  const serveMetrics = apiPortMetrics(services.metrics.registry, { production: config.production, ...config.metrics });
  const json = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify(body));

  let draining = false;
  // One at a time: with two (one waiting on the database while the other
  // uses the thread) agents committed ~30 % more, and a person's ack took
  // about twice as long (bench/README.md, "fairness"). People come first.
  const largeBodies = new LargeBodyGate({ limit: 1, rest: config.largeBodyRest });
  /** Size of the WebSocket message that started an operation, by its context (large ones only). */
  const messageBytes = new WeakMap<object, number>();
  // guardRequests: a 400 for targets we cannot route, and no throw or rejection escapes (request-guard.ts).
  const server = createServer(
    guardRequests(async (req, res) => {
      // Served from now until its answer is out or its client gone (activity.ts); a stream (SSE) is not.
      if (!req.headers.accept?.includes('text/event-stream')) res.once('close', services.activity.begin());
      const pathname = (req.url ?? '/').split('?')[0];
      if (pathname === '/metrics') {
        await serveMetrics(req, res);
      } else if (pathname === '/readyz' && draining) {
        json(res, 503, { ready: false, status: 'draining', draining: true });
      } else if (pathname === '/healthz') {
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' }).end('ok\n');
      } else if (pathname === '/readyz') {
        // Ready while the database answers; Redis down is degraded, still 200 (observability/readiness.ts).
        const status = await checks.ready();
        const { ready, status: state, down } = assessReadiness(status);
        json(res, ready ? 200 : 503, { ready, status: state, ...status, ...(state === 'degraded' && { degraded: down }) });
      } else if (pathname?.startsWith(yoga.graphqlEndpoint)) {
        if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') {
          await yoga(req, res);
          return;
        }
        const limit = config.maxPayloadBytes;
        let body: Buffer | null;
        try {
          body = await readBodyWithin(req, limit);
        } catch {
          res.destroy(); // the client went away mid-body
          return;
        }
        if (!body) return payloadTooLarge(res, limit);
        // whatwg-node uses a pre-read body as is (body-limit.ts: why not the Buffer itself).
        (req as IncomingMessage & { body?: PreReadBody }).body = preReadBody(body);
        // Large bodies take turns (large-body-gate.ts): a person's request never queues behind many of them.
        await largeBodies.run(body.length, () => {
          if (body.length > LARGE_BODY_BYTES) services.metrics.largeRequestStarted('http');
          return yoga(req, res);
        });
      } else if (req.method === 'GET' || req.method === 'HEAD') {
        await serveWeb(req, res);
      } else {
        res.writeHead(405, { 'Cache-Control': 'no-store' }).end();
      }
    }, logger),
  );
  guardClientErrors(server, logger);

  // graphql-ws on our own socket server: one write per socket per tick, shared batches serialised once (socket-server.ts).
  const sockets = serveGraphQLOverWebSockets<Record<string, unknown> | undefined, SocketExtra>(server, {
    path: yoga.graphqlEndpoint,
    maxPayload: config.maxPayloadBytes,
    // Origin allow-list and per-address connection limit, before any socket exists (socket-guard.ts).
    verifyClient: verifyUpgrade(services),
    onSharedPayload: () => services.metrics.sharedPayloadSerialised(),
    onSocketError: (err) => logger.warn({ err }, 'socket error'),
    onInternalError: (err) => logger.error({ err }, 'socket message handling failed'),
    graphql: {
      // A mutation sent in a large message takes its turn as a large HTTP body does (large-body-gate.ts).
      execute: (args) => {
        const bytes = messageBytes.get(args.contextValue as object) ?? 0;
        const run = () => (args.rootValue as Root).execute(args);
        // A query or mutation is served until its result is ready (activity.ts).
        const served = services.activity.begin();
        let result: unknown;
        try {
          if (bytes <= LARGE_BODY_BYTES) {
            largeBodies.noteSmall();
            result = run();
          } else {
            result = largeBodies.run(bytes, () => {
              services.metrics.largeRequestStarted('websocket');
              return run() as Promise<unknown>;
            });
          }
        } catch (error) {
          served();
          throw error;
        }
        if (typeof (result as PromiseLike<unknown> | null)?.then === 'function') void Promise.resolve(result).then(served, served);
        else served();
        return result as never;
      },
      subscribe: (args) => (args.rootValue as Root).subscribe(args) as never,
      onConnect: async (ctx) => {
        try {
          return await onConnect(services, ctx);
        } catch (error) {
          logger.error({ err: error }, 'could not accept a socket');
          return false;
        }
      },
      onClose: (ctx) => releaseSocket(ctx),
      // An operation signed in by its own token ends with that token's access (operation-auth.ts).
      onOperation: (ctx, id, _payload, _args, result) => guardOperation(ctx, id, result),
      // Refused after it was signed in (or its stream failed): its access lease goes.
      onError: (ctx, id) => void endOperation(ctx, id),
      // Everything in here is caught: a throw would close the whole socket.
      onSubscribe: async (ctx, id, payload) => {
        const bytes = ctx.extra.messageBytes; // before any await: this operation's message
        try {
          const refused = await beforeSubscribe(services, ctx);
          if (refused) return refused;
          const viewer = await operationViewer(services, ctx, id, payload);
          if (Array.isArray(viewer)) return viewer;
          const args = await socketExecution(viewer as Viewer | null, ctx.extra.ip ?? 'unknown', connectionOf(ctx.extra.socket), payload);
          if (bytes > LARGE_BODY_BYTES && 'contextValue' in args) messageBytes.set(args.contextValue as object, bytes);
          return args;
        } catch (error) {
          logger.error({ err: error }, 'could not start a subscription');
          return [new GraphQLError('Could not start the subscription')];
        }
      },
    },
  });

  return {
    server,
    sockets: () => sockets.clients().size,
    drain() {
      draining = true;
      server.close(); // no new connections; open ones finish their requests
      server.closeIdleConnections();
    },
    async close() {
      draining = true;
      for (const client of sockets.clients()) client.close(CLOSE_SERVICE_RESTART, 'Server restarting; reconnect');
      await sockets.dispose();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
