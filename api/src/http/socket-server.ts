// graphql-ws over our own WebSocket server. graphql-ws's makeServer speaks
// the protocol; this file moves its messages, as graphql-ws's `use/ws`
// adapter does, with two differences that are why it is ours:
// - One TCP write per socket per tick instead of one per message. A
//   mutation's answer is two messages (`next`, `complete`) and a busy
//   document streams several batches in a row; the first message of a tick
//   corks the connection and the end of the tick uncorks it, so they leave
//   in one system call. The frames are unchanged. (graphql-ws sends the
//   `complete` once the `next` is sent; send() says so at once unless the
//   socket is backed up, or the `complete` would go a tick later, alone.)
// - A shared op-stream batch goes out as bytes serialised once for every
//   subscriber (shared-payloads.ts).
// The upgrade is ours too (WebSocketServer in noServer mode), which is how
// the adapter holds each connection's TCP socket without reaching into ws.
// What an idle socket keeps is the node's memory at scale, so two more:
// - graphql-ws gets each message parsed, not as text: its handler stays
//   pending for as long as a subscription runs and would keep the text
//   (~300 bytes per subscribed socket) besides the parsed message it keeps
//   anyway. Its parser takes either (parseMessage: `data: unknown`).
// - The wait for connection_init is a timer here, dropped once the message
//   arrives; graphql-ws's own would stay referenced by the socket's closure
//   until the socket closes (~200 bytes each).
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { CloseCode, handleProtocols, makeServer, MessageType, type ServerOptions } from 'graphql-ws';
import { WebSocketServer, type RawData, type VerifyClientCallbackAsync, type WebSocket } from 'ws';
import { SharedPayloads } from './shared-payloads.ts';

/** What each connection's context carries (`ctx.extra`), as graphql-ws's ws adapter gives it. */
export interface AcceptedSocket {
  socket: WebSocket;
  /**
   * The upgrade request, until the connection is accepted (onConnect reads
   * its address and cookie, then drops it: an IncomingMessage with its
   * headers is ~1.5 KB that an idle socket need not keep).
   */
  request: IncomingMessage | null;
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
  const { connectionInitWaitTimeout = DEFAULT_INIT_WAIT_MS, jsonMessageReviver, ...graphqlOptions } = options.graphql;
  const protocol = makeServer<P, AcceptedSocket & E>({
    ...graphqlOptions,
    connectionInitWaitTimeout: 0, // ours: ProtocolSocket.initWait
    onNext: (_ctx, _id, _payload, _args, result) => payloads.standInFor(result),
  } as ServerOptions<P, AcceptedSocket & E>);
  const parse = (text: string) => parsed(text, jsonMessageReviver ?? undefined);
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

  // One keep-alive sweep for every socket rather than a timer per socket:
  // each sweep drops the sockets that have not answered the previous
  // sweep's ping (so a socket has at least keepAliveMs to answer) and pings
  // the others. A socket opened since the last sweep is first pinged at the
  // next one: at least keepAliveMs after it opened, as with a timer of its own.
  const sweep = setInterval(() => {
    for (const socket of wss.clients) {
      const connection = connectionOfSocket(socket);
      if (!connection || socket.readyState !== socket.OPEN) continue;
      if (connection.keepAlive === KeepAlive.Pinged) {
        socket.terminate();
        continue;
      }
      if (connection.keepAlive === KeepAlive.New) {
        connection.keepAlive = KeepAlive.Answered;
        continue;
      }
      connection.keepAlive = KeepAlive.Pinged;
      socket.ping();
    }
  }, keepAliveMs);
  sweep.unref();

  function connect(socket: WebSocket, request: IncomingMessage, tcp: Socket): void {
    socket.on('error', options.onSocketError);
    const extra = { socket, request, messageBytes: 0 } as AcceptedSocket & E;
    const connection = new ProtocolSocket(socket, tcp, payloads, extra, options.onInternalError, parse);
    (socket as SocketWithConnection)[CONNECTION] = connection;
    if (connectionInitWaitTimeout > 0 && Number.isFinite(connectionInitWaitTimeout)) {
      connection.initWait = setTimeout(initTimedOut, connectionInitWaitTimeout, connection);
    }
    connection.closed = protocol.opened(connection, extra);
    socket.on('pong', onPong);
    socket.on('close', onClose);
  }

  return {
    clients: () => wss.clients,
    async dispose() {
      clearInterval(sweep);
      server.off('upgrade', onUpgrade);
      for (const client of wss.clients) client.close(1001, 'Going away');
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

const TEXT = { binary: false } as const;

/** graphql-ws's default: a socket has 3 s to send connection_init. */
const DEFAULT_INIT_WAIT_MS = 3_000;

const CONNECTION = Symbol('graphql-ws connection');
type SocketWithConnection = WebSocket & { [CONNECTION]?: ProtocolSocket };
const connectionOfSocket = (socket: WebSocket) => (socket as SocketWithConnection)[CONNECTION];

/**
 * One socket as graphql-ws's makeServer sees it. A class, not closures: its
 * methods live once on the prototype, and an idle socket costs the fields
 * alone. Listeners on the WebSocket are shared functions that find it here.
 */
/** Where a socket is in the keep-alive sweeps. */
const KeepAlive = { New: 0, Answered: 1, Pinged: 2 } as const;

class ProtocolSocket {
  corked = false;
  keepAlive: (typeof KeepAlive)[keyof typeof KeepAlive] = KeepAlive.New;
  handle: ((data: unknown) => Promise<void>) | null = null;
  closed: ((code?: number, reason?: string) => Promise<void>) | null = null;
  /** Until connection_init arrives (or the socket closes). */
  initWait: NodeJS.Timeout | null = null;
  readonly socket: WebSocket;
  readonly tcp: Socket;
  readonly payloads: SharedPayloads;
  readonly extra: AcceptedSocket;
  readonly onInternalError: (error: unknown) => void;
  /** A message's text as graphql-ws gets it (one function per server). */
  readonly parse: (text: string) => unknown;
  constructor(socket: WebSocket, tcp: Socket, payloads: SharedPayloads, extra: AcceptedSocket, onInternalError: (error: unknown) => void, parse: (text: string) => unknown) {
    this.socket = socket;
    this.tcp = tcp;
    this.payloads = payloads;
    this.extra = extra;
    this.onInternalError = onInternalError;
    this.parse = parse;
  }

  get protocol(): string {
    return this.socket.protocol;
  }

  send(data: string): Promise<void> {
    const { socket, tcp } = this;
    const message = this.payloads.take(data);
    // A stand-in serialised for a socket that has gone: its bytes are dropped (taken above).
    if (socket.readyState !== socket.OPEN) return Promise.resolve();
    if (!this.corked && !tcp.destroyed) {
      this.corked = true;
      tcp.cork();
      process.nextTick(uncork, this);
    }
    return new Promise<void>((resolve, reject) => {
      // Bytes would go out as a binary frame unless told: graphql-ws speaks text.
      socket.send(message, TEXT, (error) => (error ? reject(error) : resolve()));
      // graphql-ws waits for this before its next message. While the socket
      // takes more (its write() would say true), that is now: a mutation's
      // `complete` then leaves in the same write as its `next`, not in a
      // write of its own a tick later. A socket backed up behind a slow
      // reader resolves once its bytes are out, as before, which paces its
      // streams (they gather ops into batches meanwhile).
      if (!tcp.writableNeedDrain) resolve();
    });
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  // graphql-ws types the handler's argument as text; its parser takes a parsed message too.
  onMessage(handle: (data: string) => Promise<void>): void {
    this.handle = handle as (data: unknown) => Promise<void>;
    this.socket.on('message', onMessage);
  }

  stopInitWait(): void {
    if (this.initWait === null) return;
    clearTimeout(this.initWait);
    this.initWait = null;
  }
}

function initTimedOut(connection: ProtocolSocket): void {
  connection.initWait = null;
  connection.close(CloseCode.ConnectionInitialisationTimeout, 'Connection initialisation timeout');
}

/**
 * The message parsed, or its text when it is not JSON: graphql-ws then
 * refuses it as it refuses any text it cannot parse (4400).
 */
function parsed(text: string, reviver: ((this: unknown, key: string, value: unknown) => unknown) | undefined): unknown {
  try {
    return JSON.parse(text, reviver);
  } catch {
    return text;
  }
}

function uncork(connection: ProtocolSocket): void {
  connection.corked = false;
  connection.tcp.uncork();
}

// Not an async function: graphql-ws's handler stays pending for as long as
// a subscription runs, and an awaiting frame here would keep the message's
// bytes for all that time.
function onMessage(this: WebSocket, data: RawData): void {
  const connection = connectionOfSocket(this);
  if (!connection?.handle) return;
  try {
    const text = String(data);
    connection.extra.messageBytes = Buffer.isBuffer(data) ? data.length : Buffer.byteLength(text);
    const message = connection.parse(text);
    if (connection.initWait !== null && (message as { type?: unknown } | null)?.type === MessageType.ConnectionInit) connection.stopInitWait();
    connection.handle(message).catch((error: unknown) => failed(connection, error));
  } catch (error) {
    failed(connection, error);
  }
}

function failed(connection: ProtocolSocket, error: unknown): void {
  connection.onInternalError(error);
  connection.socket.close(CloseCode.InternalServerError, INTERNAL_ERROR_REASON);
}

function onPong(this: WebSocket): void {
  const connection = connectionOfSocket(this);
  if (connection) connection.keepAlive = KeepAlive.Answered;
}

function onClose(this: WebSocket, code: number, reason: Buffer): void {
  const connection = connectionOfSocket(this);
  if (!connection) return;
  connection.handle = null;
  connection.stopInitWait();
  void connection.closed?.(code, String(reason));
}
