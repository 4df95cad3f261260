// A WebSocket as seen by resolvers: something with an id that says when it
// closes (presence set over a socket ends with it). One per socket.
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { PresenceOwner } from '../collab/presence.ts';

export type SocketConnection = PresenceOwner;

const connections = new WeakMap<WebSocket, SocketConnection>();

export function connectionOf(socket: WebSocket): SocketConnection {
  let connection = connections.get(socket);
  if (!connection) {
    connection = {
      id: randomUUID(),
      get closed() {
        return socket.readyState === socket.CLOSING || socket.readyState === socket.CLOSED;
      },
      onClose: (listener) => void socket.once('close', listener),
    };
    connections.set(socket, connection);
  }
  return connection;
}
