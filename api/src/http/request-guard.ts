// The one rule for every HTTP request, whatever its path: no input (URL,
// header, body) can throw out of a handler and take the process down. A
// target we cannot route is a 400 before any handler sees it; a handler that
// throws or rejects anyway is a fault of ours: logged at error, answered
// 500 (or the socket is cut if the answer had begun). Requests the parser
// itself refuses (bad request line or header) end in `clientError`: 400.
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../logger.ts';
import { BASELINE_HEADERS } from './security-headers.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/**
 * Whether a request target can be routed: origin-form (`/path?query`, RFC
 * 9112 §3.2.1) of printable ASCII, or `*` for OPTIONS. Node's parser lets
 * through absolute-form and bytes that would fail later (URL parsing,
 * %-decoding in the handlers, which do their own checks on top).
 */
export function routableTarget(target: string | undefined, method: string | undefined): boolean {
  if (target === '*') return method === 'OPTIONS';
  return typeof target === 'string' && target.startsWith('/') && !target.startsWith('//') && /^[\x21-\x7e]*$/.test(target);
}

function answer(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // Headers a handler may have set before it failed (Content-Type, Content-Encoding…) do not describe this body.
  for (const name of res.getHeaderNames()) if (!(name in lowerBaseline)) res.removeHeader(name);
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'close' }).end(text + '\n');
}

const lowerBaseline = Object.fromEntries(Object.keys(BASELINE_HEADERS).map((k) => [k.toLowerCase(), true]));

export function guardRequests(handler: Handler, logger: Logger): RequestListener {
  const fault = (res: ServerResponse, req: IncomingMessage, error: unknown) => {
    logger.error({ err: error, method: req.method, path: req.url?.slice(0, 200) }, 'unexpected error in an HTTP handler');
    answer(res, 500, 'Internal error');
  };
  return (req, res) => {
    for (const [name, value] of Object.entries(BASELINE_HEADERS)) res.setHeader(name, value);
    if (!routableTarget(req.url, req.method)) return answer(res, 400, 'Bad request target');
    try {
      const pending = handler(req, res);
      if (pending) pending.catch((error: unknown) => fault(res, req, error));
    } catch (error) {
      fault(res, req, error);
    }
  };
}

/** Statuses for the parser's refusals (Node's HPE_* codes); anything else is a 400. */
const PARSER_STATUS: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_HEADER_TIMEOUT: 408,
};

/** Answers what the HTTP parser refuses with a 4xx and closes; never throws (Node's default does the same, but silently). */
export function guardClientErrors(server: Server, logger: Logger): void {
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    logger.debug({ code: error.code }, 'malformed HTTP request');
    // A reset or a socket already answered: nothing to say to it.
    if (error.code === 'ECONNRESET' || !socket.writable || (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    const status = PARSER_STATUS[error.code ?? ''] ?? 400;
    const reason = status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request';
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    socket.on('error', () => socket.destroy());
  });
}
