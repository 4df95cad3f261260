// The worker thread that runs the converters (converter.ts): one request at
// a time, each answered with its id. Converting a large document takes
// seconds of CPU (measured: about 2 s to export a 600 kB, 60 000-op
// document as HTML or Markdown), which on the main thread would stall
// every socket and commit of the node.
import { parentPort } from 'node:worker_threads';
import { Delta } from '../../../protocol/delta.ts';
import { exportContent, importContent } from './formats.ts';
import type { ConvertReply, ConvertRequest } from './converter.ts';

parentPort!.on('message', (request: ConvertRequest) => {
  let reply: ConvertReply;
  try {
    reply =
      request.kind === 'export'
        ? { id: request.id, ok: true, value: exportContent(new Delta(request.ops), request.format, request.title) }
        : { id: request.id, ok: true, value: importContent(request.text, request.format).ops };
  } catch (error) {
    reply = { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) };
  }
  parentPort!.postMessage(reply);
});
// Loaded: from now on a request's time is its own (converter.ts times each one).
parentPort!.postMessage('ready');
