// Anonymous sockets that sent connection_init and then nothing are closed
// (4008) instead of idling forever; signed-in sockets, and anonymous ones
// running an operation, stay. ANONYMOUS_SOCKET_IDLE_MS is short here; the
// test waits on the close event, never on a timer of its own.
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_CODES } from '../../src/http/socket-guard.ts';
import { createDocument, gql, OPS_SUBSCRIPTION, signUp, startServer, subscribe, SUBMIT, wsClient, type TestServer } from '../harness.ts';
import { headersOf } from './socket-helpers.ts';

/** A raw graphql-ws socket, open, and its close code when it closes. */
async function opened(server: TestServer) {
  const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return { socket, closed };
}

/** A raw graphql-ws socket that has been acknowledged, and its close code when it closes. */
async function acknowledged(server: TestServer, payload: Record<string, unknown> = {}) {
  const { socket, closed } = await opened(server);
  const ack = new Promise<void>((resolve) => socket.on('message', (data) => JSON.parse(String(data)).type === 'connection_ack' && resolve()));
  socket.send(JSON.stringify({ type: 'connection_init', payload }));
  await ack;
  return { socket, closed };
}

describe('idle anonymous sockets', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer('embedded', { ANONYMOUS_SOCKET_IDLE_MS: '1000' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('closes an anonymous socket with no operation in progress (4008); signed-in sockets and running operations stay', async () => {
    const owner = await signUp(server, 'owner');
    const id = await createDocument(server, owner.token, { ops: [{ insert: 'Hello\n' }] });
    // Opened first, so their idle checks (if any) come before the idle socket's.
    const signedIn = await acknowledged(server, { authorization: `Bearer ${owner.token}` });
    const busyClient = wsClient(server); // anonymous, with an operation signed in by its own token
    const busy = subscribe(busyClient, OPS_SUBSCRIPTION, { id, after: 0 }, headersOf(owner.token));
    await busy.take(1);

    const idle = await acknowledged(server);
    expect(await idle.closed).toBe(CLOSE_CODES.IDLE);

    expect(signedIn.socket.readyState).toBe(WebSocket.OPEN);
    expect(busy.done).toBe(false);
    const res = await gql(server, SUBMIT, { input: { documentId: id, baseVersion: 1, delta: { ops: [{ insert: 'x' }] }, clientId: 'idle', clientSeq: 0 } }, owner.token);
    expect((await busy.take(2))[1]?.data?.documentOperations.version).toBe(res.data?.submitOperation.version);
    signedIn.socket.close();
    await busyClient.dispose();
  });
});

// The socket adapter parses messages for graphql-ws and keeps the wait for
// connection_init itself (socket-server.ts): the protocol's answers to a
// socket that never says hello, or says something unreadable, are graphql-ws's.
describe('sockets that break the protocol', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer('embedded');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('closes a socket that sends no connection_init in time (4408); one that did stays open', async () => {
    const owner = await signUp(server, 'owner');
    const silent = await opened(server);
    const greeted = await acknowledged(server, { authorization: `Bearer ${owner.token}` });
    expect(await silent.closed).toBe(4408);
    // The greeted socket opened after the silent one, so its wait (had it kept one) has run out too.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(greeted.socket.readyState).toBe(WebSocket.OPEN);
    const pong = new Promise((resolve) => greeted.socket.on('message', (data) => JSON.parse(String(data)).type === 'pong' && resolve(true)));
    greeted.socket.send(JSON.stringify({ type: 'ping' }));
    expect(await pong).toBe(true);
    greeted.socket.close();
  });

  it.each([
    ['text that is not JSON', '{"type": "connection_init"'],
    ['JSON that is not a message', '[1, 2]'],
    ['a message of no known type', '{"type": "hello"}'],
    ['a subscribe without an id', '{"type": "subscribe", "payload": {"query": "{ __typename }"}}'],
  ])('closes a socket that sends %s (4400) before or after connection_init, and answers nothing else', async (_name, message) => {
    for (const init of [false, true]) {
      const owner = await signUp(server, 'owner');
      const { socket, closed } = init ? await acknowledged(server, { authorization: `Bearer ${owner.token}` }) : await opened(server);
      const replies: string[] = [];
      socket.on('message', (data) => replies.push(String(data)));
      socket.send(message);
      expect(await closed).toBe(4400);
      expect(replies).toEqual([]);
    }
  });
});
