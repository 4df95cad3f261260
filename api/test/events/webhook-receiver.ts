// A real local HTTP server that receives webhook deliveries: records each
// request (headers and raw body) and answers as the test's `respond` says.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  /** The parsed body. */
  event: { id: string; kind: string; documentId: string; webhookId: string; fromVersion: number | null; toVersion: number | null };
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Resolves once `done(received)` holds (checked on each request). */
  until(done: (received: Received[]) => boolean): Promise<Received[]>;
  close(): Promise<void>;
}

/** `respond` returns the status to answer with, or null to never answer (a receiver that hangs). */
export async function startReceiver(respond: (request: Received, nth: number) => number | null = () => 200): Promise<Receiver> {
  const received: Received[] = [];
  const waiters: Array<() => void> = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const request: Received = { headers: req.headers, body, event: JSON.parse(body) as Received['event'] };
      received.push(request);
      const status = respond(request, received.length);
      if (status === null) hanging.add(res);
      else res.writeHead(status).end();
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    async until(done) {
      while (!done(received)) await new Promise<void>((r) => waiters.push(r));
      return received;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
