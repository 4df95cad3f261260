// The ShareDB side of the benchmark, as its own process (like our api node):
// ShareDB 7 with the rich-text type over `ws`, on one port.
//   SHAREDB_DB     memory (default) | a PostgreSQL URL (sharedb-postgres; the
//                  bench creates its tables)
//   SHAREDB_REDIS  unset (in-process pub/sub) | a Redis URL (sharedb-redis-pubsub)
//   SHAREDB_PREFIX Redis channel prefix (one per run, so runs never meet)
//   PORT, HOST     where to listen
// Besides the WebSocket it answers two setup calls the benchmark makes
// before measuring: POST /create {id, ops} and, for the memory db only,
// POST /seed {id, ops, content} (a long history written straight into the
// db, as the bench writes straight into PostgreSQL for the other modes).
import { createServer, type IncomingMessage } from 'node:http';
import WebSocketJSONStream from '@teamwork/websocket-json-stream';
import richText from 'rich-text';
import ShareDB from 'sharedb';
import PostgresDB from 'sharedb-postgres';
import RedisPubSub from 'sharedb-redis-pubsub';
import { WebSocketServer } from 'ws';

ShareDB.types.register(richText.type);

const dbUrl = process.env.SHAREDB_DB ?? 'memory';
const memory = dbUrl === 'memory';
const db = memory ? new ShareDB.MemoryDB() : new PostgresDB({ connectionString: dbUrl, max: 10 });
const pubsub = process.env.SHAREDB_REDIS ? new RedisPubSub({ url: process.env.SHAREDB_REDIS, prefix: process.env.SHAREDB_PREFIX ?? 'sharedb-bench' }) : undefined;
// Presence on (the docs row sends cursors); it costs nothing until a client uses it.
const backend = new ShareDB({ db, presence: true, ...(pubsub && { pubsub }) });
const admin = backend.connect();

async function body(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

const server = createServer((req, res) => {
  const reply = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
  if (req.method === 'POST' && req.url === '/create') {
    body(req).then(
      ({ id, ops }: { id: string; ops: unknown[] }) => {
        admin.get('docs', id).create(ops, richText.type.uri, (error) => (error ? reply(500, { error: error.message }) : reply(200, { id })));
      },
      (error: Error) => reply(400, { error: error.message }),
    );
  } else if (req.method === 'POST' && req.url === '/seed' && memory) {
    body(req).then(
      ({ id, ops, content }: { id: string; ops: unknown[][]; content: unknown[] }) => {
        const mdb = db as InstanceType<typeof ShareDB.MemoryDB>;
        const ts = Date.now();
        mdb._writeOpSync('docs', id, { v: 0, create: { type: richText.type.uri, data: { ops: [] } }, m: { ts } });
        ops.forEach((op, i) => mdb._writeOpSync('docs', id, { v: i + 1, op, src: 'seed', seq: i + 1, m: { ts } }));
        mdb._writeSnapshotSync('docs', id, { id, v: ops.length + 1, type: richText.type.uri, data: { ops: content }, m: null });
        reply(200, { id, version: ops.length + 1 });
      },
      (error: Error) => reply(400, { error: error.message }),
    );
  } else {
    reply(404, { error: 'not found' });
  }
});

const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => {
  const stream = new WebSocketJSONStream(ws);
  // A client that goes away while ops are on their way to it makes the
  // stream emit ERR_CLOSED; unhandled, that would crash the server (every
  // ShareDB deployment handles it so).
  stream.on('error', () => ws.terminate());
  backend.listen(stream);
});

server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`sharedb listening http://127.0.0.1:${port}`);
});

process.on('SIGTERM', () => {
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  server.close();
  backend.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
});
