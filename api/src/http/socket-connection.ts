// A WebSocket as seen by resolvers: something with an id that says when it
// closes (presence set over a socket ends with it). One per socket, made
// when an operation first asks; a class, so an idle socket holds its
// fields alone (the methods are shared).
import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { PresenceOwner } from '../collab/presence.ts';

export type SocketConnection = PresenceOwner;

class Connection implements SocketConnection {
  // randomUUID() returns a string built in pieces (~480 bytes as V8 keeps
  // it); a copy is one flat 36-character string.
  readonly id = Buffer.from(randomUUID(), 'latin1').toString('latin1');
  readonly #socket: WebSocket;
  constructor(socket: WebSocket) {
    this.#socket = socket;
  }

  get closed(): boolean {
    return this.#socket.readyState === this.#socket.CLOSING || this.#socket.readyState === this.#socket.CLOSED;
  }

  onClose(listener: () => void): void {
    this.#socket.once('close', listener);
  }
}

const connections = new WeakMap<WebSocket, SocketConnection>();

export function connectionOf(socket: WebSocket): SocketConnection {
  let connection = connections.get(socket);
  if (!connection) connections.set(socket, (connection = new Connection(socket)));
  return connection;
}
