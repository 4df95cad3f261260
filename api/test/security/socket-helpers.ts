// Test support for the WebSocket security rules: graphql-ws clients that
// send a cookie, raw upgrades that report the HTTP status of a refusal, and
// waiting for a close code (an event, never a sleep).
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { TestServer } from '../harness.ts';

/** A graphql-ws client whose upgrade request carries `headers` (e.g. the refresh cookie, an Origin). */
export function wsClientWithHeaders(server: Pick<TestServer, 'wsUrl'>, headers: Record<string, string>, connectionParams: Record<string, unknown> = {}): Client {
  class HeaderSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, { headers });
    }
  }
  return createClient({ url: server.wsUrl, webSocketImpl: HeaderSocket, connectionParams, retryAttempts: 0, lazy: true });
}

/** Opens a raw upgrade; resolves with the HTTP status if refused, or 101 once open (then closes it). */
export function upgradeStatus(server: Pick<TestServer, 'wsUrl'>, options: { origin?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; retryAfter?: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws', { ...(options.origin ? { origin: options.origin } : {}), headers: options.headers ?? {} });
    socket.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}) });
      res.resume();
      socket.terminate();
    });
    socket.on('open', () => {
      resolve({ status: 101 });
      socket.close();
    });
    socket.on('error', (error) => {
      if (!/Unexpected server response/.test(String(error))) reject(error);
    });
  });
}

/** The `extensions` GraphiQL sends with each operation when its Headers tab holds a token. */
export const headersOf = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

/** The close event a subscription's socket ended with (graphql-ws hands it to `error`). */
export const closeCode = (failure: unknown) => (failure as { code?: number } | null)?.code;
