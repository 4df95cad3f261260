// The sync engine's transport over the app's urql client: the engine
// decides when to (re)subscribe and what to resubmit; this only moves data
// and turns failures into SyncErrors.
import { onEnd, pipe, subscribe, type Source } from 'wonka';
import type { CombinedError } from '@urql/core';
import { closeCodeError, SyncError, type StreamSink, type SyncTransport, type Unsubscribe } from '../sync/index.ts';
import type { ApiClients } from './client.ts';
import { apiErrorOf } from './errors.ts';
import { DocumentOperationBatches, DocumentPresence, HeadDocument, SubmitOperation, UpdatePresence } from './operations.ts';

function toSyncError(error: CombinedError | undefined): SyncError {
  // graphql-ws reports a closed socket as its CloseEvent.
  return closeCodeError(error?.networkError) ?? apiErrorOf(error);
}

/** urql context for operations that go over the graphql-ws socket (client.ts routes them). */
const OVER_SOCKET = { overSocket: true };

export function createSyncTransport(clients: ApiClients): SyncTransport {
  const { urql, socket } = clients;

  /** `pick` gives the values of one result (a batch may carry several). */
  function stream<T, Data>(source: Source<{ data?: Data; error?: CombinedError }>, pick: (data: Data) => T[], sink: StreamSink<T>): Unsubscribe {
    let done = false;
    let opened = false;
    const open = () => {
      if (done || opened) return;
      opened = true;
      sink.open();
    };
    // "Open" = the socket carrying this subscription is up.
    const stopWatching = socket.onChange((connected) => connected && open());
    const finish = () => {
      done = true;
      stopWatching();
    };
    const subscription = pipe(
      source,
      // The source ends when the server completes the stream (or when we stop it; then `done` is set).
      onEnd(() => {
        if (done) return;
        finish();
        sink.complete();
      }),
      subscribe((result) => {
        if (done) return;
        if (result.error) {
          finish();
          subscription.unsubscribe();
          sink.error(toSyncError(result.error));
        } else if (result.data) {
          open();
          for (const value of pick(result.data)) sink.next(value);
        }
      }),
    );
    if (socket.connected) queueMicrotask(open);
    return () => {
      if (done) return;
      finish();
      subscription.unsubscribe();
    };
  }

  return {
    async loadDocument(documentId) {
      const result = await urql.query(HeadDocument, { id: documentId }).toPromise();
      if (result.error) throw toSyncError(result.error);
      const doc = result.data?.document;
      if (!doc) throw new SyncError('NOT_FOUND', 'Document not found');
      return { version: doc.version, content: doc.content as never };
    },

    subscribeOperations(documentId, afterVersion, sink) {
      return stream(
        urql.subscription(DocumentOperationBatches, { documentId, afterVersion }),
        (data: { documentOperationBatches: Array<{ version: number; delta: unknown; clientId: string; clientSeq: number }> }) =>
          data.documentOperationBatches.map((op) => ({ ...op, delta: op.delta as never })),
        sink,
      );
    },

    subscribePresence(documentId, sink) {
      return stream(
        urql.subscription(DocumentPresence, { documentId }),
        (data: { documentPresenceBatches: Array<{ clientId: string; version: number; index: number; length: number; left: boolean; user?: { id: string; name: string } | null }> }) =>
          data.documentPresenceBatches.map((p) => ({ ...p, user: p.user ?? null })),
        sink,
      );
    },

    async submitOperation(input) {
      // Over the socket the stream already uses: no HTTP request, token check or session read per keystroke batch.
      const result = await urql.mutation(SubmitOperation, { input: { ...input, delta: input.delta as never } }, OVER_SOCKET).toPromise();
      if (result.error) throw toSyncError(result.error);
    },

    async updatePresence(input) {
      // Over the socket: the server then removes it (and tells the others) when this socket closes.
      const result = await urql.mutation(UpdatePresence, input, OVER_SOCKET).toPromise();
      if (result.error) throw toSyncError(result.error);
    },
  };
}
