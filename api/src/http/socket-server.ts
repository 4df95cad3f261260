// graphql-ws over our own WebSocket server. graphql-ws's makeServer speaks
// the protocol; this file moves its messages, as graphql-ws's `use/ws`
// adapter does, with two differences that are why it is ours:
// - One TCP write per socket per tick instead of one per message. A
//   mutation's answer is two messages (`next`, `complete`) and a busy
//   document streams several batches in a row; the first message of a tick
//   corks the connection and the end of the tick uncorks it, so they leave
//   in one system call. The frames are unchanged.
// - A shared op-stream batch goes out as bytes serialised once for every
//   subscriber (shared-payloads.ts).
// The upgrade is ours too (WebSocketServer in noServer mode), which is how
// the adapter holds each connection's TCP socket without reaching into ws.
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import { WebSocketServer, type VerifyClientCallbackAsync, type WebSocket } from 'ws';
import { SharedPayloads } from './shared-payloads.ts';

/** What each connection's context carries (`ctx.extra`), as graphql-ws's ws adapter gives it. */
export interface AcceptedSocket {
  socket: WebSocket;
  request: IncomingMessage;
  /** Bytes of the message being handled: read synchronously when it starts (graphql-ws's onSubscribe is). */
  messageBytes: number;
}

export interface SocketServerOptions<P extends Record<string, unknown> | undefined, E> {
  path: string;
  maxPayload: number;
  verifyClient: VerifyClientCallbackAsync;
  /** Ping every so often; a socket that does not answer within the same time is dropped. */
  keepAliveMs?: number;
  /** graphql-ws's server options; `onNext` is the adapter's own (shared payloads). */
  graphql: Omit<ServerOptions<P, AcceptedSocket & E>, 'onNext'>;
  /** Called once per shared payload serialised (a metric). */
  onSharedPayload?: () => void;
  /** A socket failed at the WebSocket level (mostly a client's fault: an oversized or malformed frame); ws closes it itself. */
  onSocketError: (error: unknown) => void;
  /** Handling a message threw: the socket is closed with 4500. */
  onInternalError: (error: unknown) => void;
}

export interface SocketServer {
  clients(): ReadonlySet<WebSocket>;
  /** Closes every socket with 1001 and stops accepting upgrades. */
  dispose(): Promise<void>;
}

const INTERNAL_ERROR_REASON = 'Internal server error';

export function serveGraphQLOverWebSockets<P extends Record<string, unknown> | undefined, E>(
  server: Server,
  options: SocketServerOptions<P, E>,
): SocketServer {
  const payloads = new SharedPayloads(options.onSharedPayload);
  const protocol = makeServer<P, AcceptedSocket & E>({
    ...options.graphql,
    onNext: (_ctx, _id, _payload, _args, result) => payloads.standInFor(result),
  } as ServerOptions<P, AcceptedSocket & E>);
  const wss = new WebSocketServer({
    noServer: true,
    path: options.path,
    maxPayload: options.maxPayload,
    verifyClient: options.verifyClient,
    handleProtocols,
  });
  const keepAliveMs = options.keepAliveMs ?? 12_000;

  const onUpgrade = (request: IncomingMessage, tcp: Duplex, head: Buffer) => {
    // ws answers 400 to a path other than ours, and runs verifyClient.
    wss.handleUpgrade(request, tcp, head, (socket) => connect(socket, request, tcp as Socket));
  };
  server.on('upgrade', onUpgrade);

  function connect(socket: WebSocket, request: IncomingMessage, tcp: Socket): void {
    socket.on('error', options.onSocketError);

    let corked = false;
    const uncork = () => {
      corked = false;
      tcp.uncork();
    };
    const send = (data: string) =>
      new Promise<void>((resolve, reject) => {
        if (socket.readyState !== socket.OPEN) {
          payloads.take(data); // a stand-in serialised for a socket that has gone: drop its bytes
          return resolve();
        }
        const message = payloads.take(data);
        if (!corked && !tcp.destroyed) {
          corked = true;
          tcp.cork();
          process.nextTick(uncork);
        }
        // Bytes would go out as a binary frame unless told: graphql-ws speaks text.
        socket.send(message, { binary: false }, (error) => (error ? reject(error) : resolve()));
      });

    let pongWait: NodeJS.Timeout | null = null;
    const pings = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
      socket.once('pong', () => {
        if (pongWait) clearTimeout(pongWait);
        pongWait = null;
      });
      socket.ping();
    }, keepAliveMs);

    const extra = { socket, request, messageBytes: 0 } as AcceptedSocket & E;
    const closed = protocol.opened(
      {
        protocol: socket.protocol,
        send,
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (data) => {
            try {
              extra.messageBytes = Buffer.isBuffer(data) ? data.length : Buffer.byteLength(String(data));
              await handle(String(data));
            } catch (error) {
              options.onInternalError(error);
              socket.close(CloseCode.InternalServerError, INTERNAL_ERROR_REASON);
            }
          }),
      },
      extra,
    );

    socket.once('close', (code, reason) => {
      if (pongWait) clearTimeout(pongWait);
      clearInterval(pings);
      void closed(code, String(reason));
    });
  }

  return {
    clients: () => wss.clients,
    async dispose() {
      server.off('upgrade', onUpgrade);
      for (const client of wss.clients) client.close(1001, 'Going away');
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
