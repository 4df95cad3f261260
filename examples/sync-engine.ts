// A Node client on the sync engine (web/src/sync/index.ts): it appends a line to a document
// and returns once the server has it. Reconnects, resubmission and rebasing are the engine's.
//   COLLAB_TOKEN=<accessToken> node examples/sync-engine.ts <documentId> "a line"
// COLLAB_URL: default http://localhost:4000/graphql.
import { pathToFileURL } from 'node:url';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { createGraphqlWsTransport, Delta, DocumentSync } from '../web/src/sync/index.ts';

export async function appendLine(url: string, token: string, documentId: string, line: string): Promise<number> {
  const socket = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${token}` } });
  const sync = await DocumentSync.open({ documentId, transport: createGraphqlWsTransport(socket) });
  try {
    sync.applyLocal(new Delta().retain(sync.contentLength).insert(`${line}\n`));
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        const { pendingEdits, status, error } = sync.getSnapshot();
        if (status === 'closed') reject(error ?? new Error('closed'));
        else if (pendingEdits === 0) resolve(); // acknowledged: the server has it
      };
      sync.subscribe(check);
      check();
    });
    return sync.getSnapshot().version;
  } finally {
    await sync.close();
    await socket.dispose();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [documentId, line = `hello from Node at ${new Date().toISOString()}`] = process.argv.slice(2);
  const { COLLAB_URL: url = 'http://localhost:4000/graphql', COLLAB_TOKEN: token } = process.env;
  if (!documentId || !token) throw new Error('usage: COLLAB_TOKEN=… node examples/sync-engine.ts <documentId> [line]');
  console.log(`version ${await appendLine(url, token, documentId, line)}`);
}
