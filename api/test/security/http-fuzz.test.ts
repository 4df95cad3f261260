// No input on an HTTP path takes a node down or makes it fail: random bytes
// as request targets, headers and bodies (to /graphql and to the web
// client), sent raw over TCP, are answered with a status below 500 (or the
// connection is closed), no fault is logged, and the node keeps answering.
// Socket messages are fuzzed elsewhere (the WebSocket tests).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableModes, startServer, type TestServer } from '../harness.ts';
import { captureLogs, LEVEL, type CapturedLogs } from '../log-capture.ts';
import { rawRequest } from './raw-http.ts';

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');
const bytes = (maxLength: number) => fc.uint8Array({ maxLength }).map(latin1);

/** Pieces that break naive path handling: stray and invalid %-escapes, NUL, dot segments, encoded slashes. */
const pathPiece = fc.oneof(
  fc.constantFrom('%', '%E0%A4%A', '%E0%A4', '%ZZ', '%00', '%C0%AE', '%2e%2e', '%2f', '%5c', '..', '.', '/', '//', '\\', '?', '#', ';', '%%', '%u2215'),
  fc.constantFrom('graphql', 'healthz', 'readyz', 'metrics', 'documents', 'assets', 'index.html', 'x.js.map', 'dist-x'),
  fc.string({ maxLength: 6 }),
  bytes(4),
);
const target = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(fc.constantFrom('/', '/graphql', '/graphql/', '/assets/', '/documents/', '/../', ''), fc.array(pathPiece, { maxLength: 8 })).map(([start, pieces]) => start + pieces.join('')) },
  fc.constantFrom('*', 'http://127.0.0.1/', 'http://[::1', '//evil.example/graphql', '/%E0%A4%A', '/graphql?query=%E0%A4%A', '/?%'),
  bytes(30),
);

const method = fc.oneof(fc.constantFrom('GET', 'HEAD', 'POST', 'OPTIONS', 'PUT', 'DELETE', 'PATCH', 'CONNECT', 'TRACE'), fc.stringMatching(/^[A-Z]{1,8}$/));

const headerName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(
    'Host', 'Content-Type', 'Content-Length', 'Transfer-Encoding', 'Accept', 'Accept-Encoding', 'Authorization', 'Cookie', 'Origin',
    'X-Forwarded-For', 'X-Request-Id', 'Expect', 'Connection', 'Upgrade', 'Sec-WebSocket-Key', 'Range', 'If-None-Match', 'x-graphql-yoga-csrf',
  ) },
  { weight: 2, arbitrary: fc.stringMatching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,20}$/) },
  bytes(8),
);
const headerValue = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(
    'application/json', 'application/graphql-response+json', 'text/event-stream', 'multipart/mixed', 'text/html', 'text/plain', 'application/x-www-form-urlencoded',
    'gzip', 'br;q=0.5, gzip;q=x', '*;q=0', 'identity', 'chunked', 'chunked, chunked', '-1', '0', '99999999999999999999', '10', 'Bearer ', 'Bearer a.b.c',
    'refresh=%E0%A4%A', 'null', 'https://evil.example', '100-continue', 'websocket', 'close', 'keep-alive', 'bytes=0-1', '127.0.0.1, 10.0.0.1',
  ) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  bytes(40),
);
const headers = fc.array(fc.tuple(headerName, headerValue), { maxLength: 8 });

const body = fc.oneof(
  fc.constant(''),
  bytes(300),
  fc.string({ maxLength: 200 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.record({ query: fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom('{ __typename }', '{ me { id } }', 'subscription { documentOperations(documentId: "x", fromVersion: 0) { version } }', 'mutation { logOut }')), variables: fc.jsonValue({ maxDepth: 2 }), operationName: fc.oneof(fc.string({ maxLength: 8 }), fc.constant(null)) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
);

interface RawRequest {
  method: string;
  target: string;
  headers: Array<[string, string]>;
  body: string;
  /** Send a Content-Length that matches the body (else only what the random headers say). */
  length: boolean;
}

function serialise(r: RawRequest, host: string): string {
  const lines = [`${r.method} ${r.target} HTTP/1.1`, `Host: ${host}`, ...r.headers.map(([n, v]) => `${n}: ${v}`)];
  if (r.length) lines.push(`Content-Length: ${Buffer.byteLength(r.body, 'latin1')}`);
  lines.push('Connection: close');
  return lines.join('\r\n') + '\r\n\r\n' + r.body;
}

/** Well-formed requests apart from the part under test, so that the part gets past the parser and reaches our handlers. */
const requests = {
  paths: fc.record({ method: fc.constantFrom('GET', 'HEAD', 'POST', 'OPTIONS'), target, headers: fc.constant<Array<[string, string]>>([]), body: fc.constant(''), length: fc.constant(true) }),
  headers: fc.record({ method: fc.constantFrom('GET', 'POST', 'HEAD'), target: fc.constantFrom('/', '/graphql', '/graphql?query=%7B__typename%7D', '/documents/x', '/readyz', '/metrics'), headers, body: fc.oneof(fc.constant(''), body), length: fc.boolean() }),
  bodies: fc.record({
    method: fc.constantFrom('POST', 'PUT', 'GET'),
    target: fc.constantFrom('/graphql', '/', '/graphql?query=%7B__typename%7D'),
    headers: fc.constantFrom<Array<[string, string]>>(
      [['Content-Type', 'application/json']],
      [['Content-Type', 'application/json'], ['Accept', 'text/event-stream']],
      [['Content-Type', 'application/json'], ['Accept', 'multipart/mixed'], ['Accept-Encoding', 'gzip, br']],
      [['Content-Type', 'application/graphql-response+json; charset=utf-8']],
      [['Content-Type', 'text/plain']],
      [],
    ),
    body,
    length: fc.constant(true),
  }),
  everything: fc.record({ method, target, headers, body, length: fc.boolean() }),
};

describe.each(availableModes())('HTTP fuzzing (%s)', (mode) => {
  let server: TestServer;
  let logs: CapturedLogs;

  beforeAll(async () => {
    logs = captureLogs('info');
    server = await startServer(mode, {}, { logger: logs.logger });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const host = () => new URL(server.url).host;
  const faults = () => logs.lines.filter((l) => l.level >= LEVEL.error);

  it('answers /%E0%A4%A (a broken %-escape) with 400 and keeps serving', async () => {
    const answer = await rawRequest(server.url, `GET /%E0%A4%A HTTP/1.1\r\nHost: ${host()}\r\nConnection: close\r\n\r\n`);
    expect(answer.statuses).toEqual([400]);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(faults()).toEqual([]);
  });

  /** Runs per part: bodies reach GraphQL and cost more. */
  const runs: Record<keyof typeof requests, number> = { paths: 300, headers: 300, bodies: 150, everything: 200 };

  it.each(Object.keys(requests) as Array<keyof typeof requests>)('never answers 5xx to random %s, logs no fault, and keeps answering /healthz', async (part) => {
    await fc.assert(
      fc.asyncProperty(requests[part], async (request) => {
        const answer = await rawRequest(server.url, serialise(request, host()));
        for (const status of answer.statuses) expect(status, answer.text.slice(0, 400)).toBeLessThan(500);
        expect(faults()).toEqual([]);
      }),
      { numRuns: runs[part] },
    );
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' })).status).toBe(200);
  }, 120_000);
});
