// The urql client: queries and mutations over HTTP (POST /graphql, with the
// access token), subscriptions over graphql-ws on the same path (token in
// connectionParams, fetched fresh for every new socket).
import { authExchange } from '@urql/exchange-auth';
import { Client, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import type { Session } from './session.ts';

/**
 * The server closes a socket with these when its token is refused (4403,
 * graphql-ws's), has expired (4001) or its session ended (4002): the next
 * socket must not reuse the token (api/src/http/socket-guard.ts).
 */
const AUTH_CLOSE_CODES = new Set([4001, 4002, 4403]);

export interface ApiClients {
  urql: Client;
  ws: WsClient;
  /** Whether a socket is open now, and its changes (for the sync transport's "open"). */
  socket: { connected: boolean; onChange(listener: (connected: boolean) => void): () => void };
  dispose(): void;
}

export function createApiClients(session: Session, origin: string = location.origin): ApiClients {
  const wsUrl = origin.replace(/^http/, 'ws') + '/graphql';
  const listeners = new Set<(connected: boolean) => void>();
  const socket = {
    connected: false,
    onChange(listener: (connected: boolean) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const setConnected = (connected: boolean) => {
    socket.connected = connected;
    for (const listener of [...listeners]) listener(connected);
  };

  // A socket can die without a close (laptop lid, Wi-Fi gone): a ping not
  // answered within this many milliseconds closes it, and the sync engine
  // reconnects.
  const PONG_TIMEOUT_MS = 5_000;
  let active: WebSocket | null = null;
  let pongTimer: ReturnType<typeof setTimeout> | null = null;

  const ws = createWsClient({
    url: wsUrl,
    lazy: true,
    // The sync engine owns reconnects: it must resume each stream from its
    // own last version, which a blind re-subscribe would not do.
    retryAttempts: 0,
    keepAlive: 10_000,
    connectionParams: async () => {
      const token = await session.accessToken();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    on: {
      connected: (s) => {
        active = s as WebSocket;
        setConnected(true);
      },
      closed: (event) => {
        active = null;
        if (pongTimer) clearTimeout(pongTimer);
        const code = (event as CloseEvent | undefined)?.code;
        if (code !== undefined && AUTH_CLOSE_CODES.has(code)) session.invalidate();
        setConnected(false);
      },
      ping: (received) => {
        if (received) return;
        pongTimer = setTimeout(() => {
          if (active?.readyState === WebSocket.OPEN) active.close(4408, 'Pong timeout');
        }, PONG_TIMEOUT_MS);
      },
      pong: (received) => {
        if (received && pongTimer) clearTimeout(pongTimer);
      },
    },
  });

  const urql = new Client({
    url: '/graphql',
    // POST only: the API refuses GETs without its CSRF header.
    preferGetMethod: false,
    requestPolicy: 'network-only',
    fetchOptions: { credentials: 'same-origin' },
    exchanges: [
      authExchange(async (utils) => ({
        addAuthToOperation(operation) {
          const token = session.currentToken();
          return token ? utils.appendHeaders(operation, { authorization: `Bearer ${token}` }) : operation;
        },
        willAuthError: () => session.getState().status === 'signed-in' && session.currentToken() === null,
        // Subscriptions are retried by their owner (the sync engine), from its own version.
        didAuthError: (error, operation) => operation.kind !== 'subscription' && error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED'),
        async refreshAuth() {
          session.invalidate();
          await session.refresh().catch(() => null);
        },
      })),
      // Subscriptions, and operations whose context says `overSocket` (the
      // sync engine's submissions), go over the graphql-ws socket; the rest over HTTP.
      subscriptionExchange({
        isSubscriptionOperation: (operation) => operation.kind === 'subscription' || operation.context.overSocket === true,
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
      fetchExchange,
    ],
  });

  return {
    urql,
    ws,
    socket,
    dispose: () => void ws.dispose(),
  };
}
