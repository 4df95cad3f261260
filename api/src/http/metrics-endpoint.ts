// GET /metrics (Prometheus text), and who may read it. Metrics say how
// many people use which documents and how the node is doing: not for the
// world. In production they are served only on their own port
// (METRICS_PORT, for the scraper's network) or with a bearer token
// (METRICS_TOKEN); with neither, the API port answers 404 as if there were
// none. In development and tests they stay open on the API port.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.ts';
import { guardClientErrors, guardRequests } from './request-guard.ts';

export interface MetricsSettings {
  production: boolean;
  /** Bearer token required to read /metrics, wherever it is served. */
  token: string | undefined;
  /** Serve /metrics on this port only. */
  port: number | undefined;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  // Digests: equal lengths for timingSafeEqual, and nothing learnt from timing.
  return match !== null && timingSafeEqual(digest(match[1]!), digest(token));
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end('Not found\n');
}

/** Serves the registry to whoever holds the token (if one is set). */
function serveMetrics(registry: Registry, token: string | undefined) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
      res.writeHead(401, { 'WWW-Authenticate': 'Bearer realm="metrics"', 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }).end('Unauthorized\n');
      return;
    }
    const text = await registry.metrics();
    res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' }).end(text);
  };
}

/** The /metrics handler of the API port. */
export function apiPortMetrics(registry: Registry, settings: MetricsSettings) {
  const hidden = settings.port !== undefined || (settings.production && settings.token === undefined);
  const serve = serveMetrics(registry, settings.token);
  return (req: IncomingMessage, res: ServerResponse): void | Promise<void> => (hidden ? notFound(res) : serve(req, res));
}

/** The server of METRICS_PORT (not listening yet): /metrics and nothing else. */
export function createMetricsServer(registry: Registry, settings: MetricsSettings, logger: Logger): Server {
  const serve = serveMetrics(registry, settings.token);
  const server = createServer(
    guardRequests((req, res) => ((req.url ?? '/').split('?')[0] === '/metrics' ? serve(req, res) : notFound(res)), logger),
  );
  guardClientErrors(server, logger);
  return server;
}
