// One socket write per WebSocket per tick instead of one per message.
// graphql-ws answers a mutation with two messages (`next`, `complete`), a
// busy document streams several batches in a row, and each message would
// otherwise be its own writev system call. Corking the TCP socket at the
// first message of a tick and uncorking it once the tick's callbacks and
// promise jobs are done sends them together; the frames are unchanged.
import type { Socket } from 'node:net';
import type { WebSocket, WebSocketServer } from 'ws';

export function coalesceWrites(wss: WebSocketServer): void {
  wss.on('connection', (ws: WebSocket) => {
    // ws keeps the TCP socket here; it is not part of its typed API.
    const tcp = (ws as unknown as { _socket?: Socket })._socket;
    if (!tcp) return;
    const send = ws.send.bind(ws) as (...args: unknown[]) => void;
    let corked = false;
    const uncork = () => {
      corked = false;
      tcp.uncork();
    };
    ws.send = ((...args: unknown[]) => {
      if (!corked && !tcp.destroyed) {
        corked = true;
        tcp.cork();
        process.nextTick(uncork);
      }
      send(...args);
    }) as WebSocket['send'];
  });
}
