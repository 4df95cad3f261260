// HTTP/1.1 requests as raw bytes over node:net, for what fetch and
// http.request refuse to send: invalid request targets, broken %-encoding,
// control bytes in headers, bodies that disagree with their Content-Length.
import { connect } from 'node:net';

export interface RawAnswer {
  /** Status codes of the answer, interim ones (100 Continue) first; empty when the node closed without answering. */
  statuses: number[];
  /** Everything the node sent, as latin1. */
  text: string;
}

/** How long a node may take to answer and close one raw request before the test fails. */
const ANSWER_MS = 15_000;

/**
 * How long the node may stay silent (before or within its answer) before we
 * say "that was all" by half-closing. A node waits for the rest of a body its headers
 * promised; only end of input ends that. Not half-closing at once matters:
 * Node drops an answer still in the making when the client half-closes.
 * This only decides when the node sees the end of input; what it answers
 * is checked whenever it comes.
 */
const QUIET_MS = 250;

/** Sends `bytes` and collects everything until the node closes the connection. */
export function rawRequest(url: string, bytes: Buffer | string): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(bytes);
      quiet.refresh();
    });
    const quiet = setTimeout(() => socket.end(), QUIET_MS);
    socket.setTimeout(ANSWER_MS, () => {
      socket.destroy();
      reject(new Error(`no answer and close within ${ANSWER_MS} ms to ${JSON.stringify(String(bytes).slice(0, 300))}; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 300))}`));
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      quiet.refresh();
    });
    // A reset (the node cut a request it refused mid-body) is an answer too.
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(quiet);
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ statuses: statusesOf(text), text });
    });
  });
}

function statusesOf(text: string): number[] {
  const statuses: number[] = [];
  let rest = text;
  for (;;) {
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(rest);
    if (!match) return statuses;
    const status = Number(match[1]);
    statuses.push(status);
    // Only an interim answer is followed by another status line; a final one by its body.
    const end = rest.indexOf('\r\n\r\n');
    if (status >= 200 || end < 0) return statuses;
    rest = rest.slice(end + 4);
  }
}
