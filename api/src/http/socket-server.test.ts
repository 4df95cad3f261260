// The socket layer's writes, on a real HTTP server and real sockets with a
// small schema: a mutation's answer leaves in one write, and a subscriber
// that does not read holds back its stream (the server does not buffer
// whatever the stream has for it).
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { buildSchema } from 'graphql';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import { serveGraphQLOverWebSockets, type SocketServer } from './socket-server.ts';

const schema = buildSchema(`
  type Query { ok: Boolean }
  type Mutation { echo(text: String!): String }
  type Subscription { chunks(count: Int!, size: Int!): String }
`);

/** A subscriber's pulls of `chunks`, counted. */
let pulled = 0;
const root = {
  echo: ({ text }: { text: string }) => text,
  chunks: async function* ({ count, size }: { count: number; size: number }) {
    const chunk = 'x'.repeat(size);
    for (let i = 0; i < count; i++) {
      pulled++;
      yield { chunks: chunk };
    }
  },
};

/** A Writable's own write methods (what a stream implementation provides). */
interface StreamImpl {
  _write(chunk: unknown, ...rest: unknown[]): void;
  _writev(chunks: Array<{ chunk: unknown }>, ...rest: unknown[]): void;
}

/** Each write the server's end of a connection makes: the messages it carried. */
type Writes = string[][];

async function serve(): Promise<{ port: number; writes: Writes; close(): Promise<void> }> {
  const server: Server = createServer();
  const writes: Writes = [];
  // Count the system-call writes of every accepted connection: a stream's
  // _write / _writev is called once per write to the handle.
  server.on('connection', (tcp: Socket) => {
    const impl = tcp as unknown as StreamImpl;
    const write = impl._write.bind(tcp);
    const writev = impl._writev.bind(tcp);
    const messages = (chunks: unknown[]) => chunks.map((c) => String(c).match(/"type":"(\w+)"/)?.[1] ?? 'frame').filter((t) => t !== 'frame');
    impl._write = (chunk: unknown, ...rest: unknown[]) => {
      writes.push(messages([chunk]));
      write(chunk, ...rest);
    };
    impl._writev = (chunks: Array<{ chunk: unknown }>, ...rest: unknown[]) => {
      writes.push(messages(chunks.map((c) => c.chunk)));
      writev(chunks, ...rest);
    };
  });
  const sockets: SocketServer = serveGraphQLOverWebSockets(server, {
    path: '/graphql',
    maxPayload: 1 << 20,
    verifyClient: (_info, done) => done(true),
    onSocketError: () => {},
    onInternalError: () => {},
    graphql: { schema, roots: { mutation: root, subscription: root } },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    writes,
    async close() {
      await sockets.dispose();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One masked client text frame (RFC 6455 5.2). */
function frame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const length = payload.length < 126 ? Buffer.from([payload.length | 0x80]) : Buffer.from([126 | 0x80, payload.length >> 8, payload.length & 0xff]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x81]), length, mask, masked]);
}

describe('socket server writes', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('sends a mutation\'s result and its completion in one write', async () => {
    const server = await serve();
    close = server.close;
    const client = createClient({ url: `ws://127.0.0.1:${server.port}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 });
    try {
      for (const text of ['a', 'b', 'c']) {
        const before = server.writes.length;
        const result = await new Promise((resolve, reject) => {
          let value: unknown;
          client.subscribe({ query: 'mutation($t: String!) { echo(text: $t) }', variables: { t: text } }, { next: (v) => (value = v), error: reject, complete: () => resolve(value) });
        });
        expect(result).toEqual({ data: { echo: text } });
        const answers = server.writes.slice(before).filter((w) => w.includes('next') || w.includes('complete'));
        expect(answers).toEqual([['next', 'complete']]);
      }
    } finally {
      await client.dispose();
    }
  });

  it('holds back the stream of a subscriber that does not read, rather than buffering it all', async () => {
    const server = await serve();
    close = server.close;
    pulled = 0;
    const COUNT = 1_600; // 100 MiB of chunks: far more than the sockets' kernel buffers hold
    const SIZE = 64 * 1024;
    const socket = connect(server.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      [
        'GET /graphql HTTP/1.1',
        'Host: 127.0.0.1',
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Protocol: graphql-transport-ws',
        '',
        '',
      ].join('\r\n'),
    );
    // Read the handshake and the connection_ack, then stop reading altogether.
    await new Promise<void>((resolve) => {
      let seen = '';
      const onData = (data: Buffer) => {
        seen += data.toString('latin1');
        if (seen.includes('101 Switching Protocols') && !seen.includes('connection_ack')) socket.write(frame(JSON.stringify({ type: 'connection_init' })));
        if (seen.includes('connection_ack')) {
          socket.off('data', onData);
          socket.pause();
          resolve();
        }
      };
      socket.on('data', onData);
    });
    socket.write(frame(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `subscription { chunks(count: ${COUNT}, size: ${SIZE}) }` } })));
    try {
      while (pulled === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      // Until the stream stops being pulled: the socket is backed up.
      let last = -1;
      while (pulled !== last) {
        last = pulled;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      expect(pulled).toBeLessThan(COUNT / 2);
    } finally {
      socket.destroy();
    }
  });
});
