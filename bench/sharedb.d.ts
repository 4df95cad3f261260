// Just enough typing of ShareDB and its companions for the benchmark (they
// ship no TypeScript declarations for these versions).
declare module 'sharedb' {
  import type { EventEmitter } from 'node:events';
  import type { Duplex } from 'node:stream';
  interface ShareDbSnapshot {
    id: string;
    v: number;
    type: string | null;
    data: unknown;
    m: unknown;
  }
  interface Connection {
    get(collection: string, id: string): ServerDoc;
    close(): void;
  }
  interface ServerDoc {
    version: number | null;
    data: unknown;
    fetch(callback: (error?: Error) => void): void;
    create(data: unknown, type: string, callback: (error?: Error) => void): void;
  }
  class Backend {
    constructor(options?: { db?: unknown; pubsub?: unknown; presence?: boolean });
    listen(stream: Duplex): void;
    connect(): Connection;
    close(callback?: (error?: Error) => void): void;
    db: unknown;
  }
  class MemoryDB {
    _writeOpSync(collection: string, id: string, op: unknown): Error | undefined;
    _writeSnapshotSync(collection: string, id: string, snapshot: ShareDbSnapshot): Error | undefined;
  }
  namespace Backend {
    const types: { register(type: unknown): void };
    const MemoryDB: { new (): MemoryDB };
  }
  export default Backend;
  export type { EventEmitter };
}

declare module 'sharedb/lib/client/index.js' {
  interface Doc {
    id: string;
    version: number | null;
    data: { ops: Array<Record<string, unknown>>; length(): number } | undefined;
    type: unknown;
    subscribe(callback: (error?: Error) => void): void;
    fetch(callback: (error?: Error) => void): void;
    submitOp(op: unknown, callback?: (error?: Error) => void): void;
    hasPending(): boolean;
    whenNothingPending(callback: () => void): void;
    on(event: 'op', listener: (op: unknown, source: unknown) => void): void;
    on(event: 'error', listener: (error: Error) => void): void;
    destroy(callback?: (error?: Error) => void): void;
  }
  class Connection {
    constructor(socket: unknown);
    id: string | null;
    get(collection: string, id: string): Doc;
    getDocPresence(collection: string, id: string): DocPresence;
    close(): void;
  }
  interface DocPresence {
    subscribe(callback?: (error?: Error) => void): void;
    create(id?: string): LocalPresence;
  }
  interface LocalPresence {
    submit(value: unknown, callback?: (error?: Error) => void): void;
  }
  const client: { Connection: typeof Connection; types: { register(type: unknown): void } };
  export default client;
  export type { Doc, Connection, LocalPresence };
}

declare module 'rich-text' {
  const richText: { type: { name: string; uri: string; compose(a: unknown, b: unknown): { ops: unknown[] } } };
  export default richText;
}

declare module 'sharedb-postgres' {
  class PostgresDB {
    constructor(options: { connectionString: string; max?: number });
  }
  export default PostgresDB;
}

declare module 'sharedb-redis-pubsub' {
  class RedisPubSub {
    constructor(options: { url: string; prefix?: string });
  }
  export default RedisPubSub;
}

declare module '@teamwork/websocket-json-stream' {
  import type { Duplex } from 'node:stream';
  import type { WebSocket } from 'ws';
  class WebSocketJSONStream extends Duplex {
    constructor(ws: WebSocket);
  }
  export default WebSocketJSONStream;
}
