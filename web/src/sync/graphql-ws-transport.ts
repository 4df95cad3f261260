// The engine's transport over one graphql-ws client, for clients outside
// the web app (a Node script, a bot, a service): the op stream, presence and
// both mutations all go over the one socket, as docs/protocol.md describes.
// Works wherever graphql-ws does: in Node, pass `webSocketImpl` (e.g. `ws`)
// to createClient, and `connectionParams` as a function if the token can be
// renewed (it is called again on every reconnect). The web app uses its
// urql client instead (web/src/api/sync-transport.ts).
import type { Client, ExecutionResult } from 'graphql-ws';
import type { DeltaJSON } from '../../../protocol/delta.ts';
import { closeCodeError, isServerErrorCode, SyncError, type StreamSink, type SyncTransport, type Unsubscribe, type WireOp, type WirePresence } from './transport.ts';

const HEAD = 'query Head($id: ID!) { document(id: $id) { version content } }';
const OPS =
  'subscription Ops($id: ID!, $after: Int!) { documentOperationBatches(documentId: $id, afterVersion: $after) { version delta clientId clientSeq } }';
const PRESENCE = 'subscription Presence($id: ID!) { documentPresenceBatches(documentId: $id) { clientId version index length left user { id name } } }';
const SUBMIT = 'mutation Submit($input: SubmitOperationInput!) { submitOperation(input: $input) { version } }';
const UPDATE_PRESENCE =
  'mutation Presence($documentId: ID!, $clientId: String!, $version: Int!, $index: Int!, $length: Int!) { updatePresence(documentId: $documentId, clientId: $clientId, version: $version, index: $index, length: $length) }';

type Result = ExecutionResult<Record<string, unknown>, unknown>;

/** What a result's first error, or a failed socket, means to the engine. */
function syncErrorOf(failure: Result | unknown): SyncError {
  const errors = (failure as Result | null)?.errors;
  if (errors && errors.length > 0) {
    const first = errors[0];
    const extensions = (first?.extensions ?? {}) as Record<string, unknown>;
    const code = extensions.code;
    return new SyncError(isServerErrorCode(code) ? code : 'NETWORK', first?.message, extensions);
  }
  // graphql-ws reports a closed socket as its close event.
  return closeCodeError(failure) ?? new SyncError('NETWORK', failure instanceof Error ? failure.message : 'The socket failed');
}

export function createGraphqlWsTransport(client: Client): SyncTransport {
  let connected = false;
  const opens = new Set<() => void>();
  client.on('connected', () => {
    connected = true;
    for (const open of [...opens]) open();
  });
  client.on('closed', () => {
    connected = false;
  });

  /** A subscription as a StreamSink; "open" = the socket carrying it is up. */
  function stream<T>(query: string, variables: Record<string, unknown>, pick: (data: Record<string, unknown>) => T[], sink: StreamSink<T>): Unsubscribe {
    let done = false;
    let opened = false;
    const open = () => {
      if (done || opened) return;
      opened = true;
      sink.open();
    };
    opens.add(open);
    if (connected) queueMicrotask(open);
    const finish = () => {
      done = true;
      opens.delete(open);
    };
    const stop = client.subscribe<Record<string, unknown>>(
      { query, variables },
      {
        next: (result) => {
          if (done) return;
          if (result.errors) {
            finish();
            stop();
            return sink.error(syncErrorOf(result));
          }
          open();
          if (result.data) for (const value of pick(result.data)) sink.next(value);
        },
        error: (error) => {
          if (done) return;
          finish();
          sink.error(syncErrorOf(error));
        },
        complete: () => {
          if (done) return;
          finish();
          sink.complete();
        },
      },
    );
    return () => {
      if (done) return;
      finish();
      stop();
    };
  }

  /** A query or mutation over the socket: its single result, or the SyncError it stands for. */
  function request(query: string, variables: Record<string, unknown>): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      let data: Record<string, unknown> | null = null;
      client.subscribe<Record<string, unknown>>(
        { query, variables },
        {
          next: (result) => {
            if (result.errors) reject(syncErrorOf(result));
            else data = result.data ?? null;
          },
          error: (error) => reject(syncErrorOf(error)),
          complete: () => (data ? resolve(data) : reject(new SyncError('NETWORK', 'No reply'))),
        },
      );
    });
  }

  return {
    async loadDocument(documentId) {
      const data = await request(HEAD, { id: documentId });
      const doc = data.document as { version: number; content: DeltaJSON } | null;
      if (!doc) throw new SyncError('NOT_FOUND', 'Document not found');
      return doc;
    },
    subscribeOperations: (documentId, afterVersion, sink) =>
      stream<WireOp>(OPS, { id: documentId, after: afterVersion }, (data) => data.documentOperationBatches as WireOp[], sink),
    subscribePresence: (documentId, sink) =>
      stream<WirePresence>(PRESENCE, { id: documentId }, (data) => data.documentPresenceBatches as WirePresence[], sink),
    async submitOperation(input) {
      await request(SUBMIT, { input });
    },
    async updatePresence(input) {
      // Over the socket: the server removes it (and tells the others) when this socket closes.
      await request(UPDATE_PRESENCE, { ...input });
    },
  };
}
