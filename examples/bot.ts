// A headless collaborator: joins a document and appends a timestamp line every
// few seconds, converging with everyone else editing it. It is docs/protocol.md
// in code, with nothing but graphql-ws, quill-delta, ws and the schema.
//   npm run example:bot -- <documentId>
// Environment: COLLAB_URL (default http://localhost:4000/graphql), and either
// COLLAB_TOKEN (an access token; it lasts 15 minutes, then the bot stops) or
// COLLAB_EMAIL + COLLAB_PASSWORD (the bot logs in, and again whenever the
// server refuses its token). BOT_EVERY_MS (default 3000).
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { createClient, type Client } from 'graphql-ws';
import QuillDelta from 'quill-delta';
import WebSocket from 'ws';

const Delta = QuillDelta.default; // quill-delta is CommonJS: the class is `.default` under Node's ESM
type Delta = InstanceType<typeof Delta>;

const LOAD = 'query($id: ID!) { document(id: $id) { version content } }';
const STREAM = 'subscription($id: ID!, $after: Int!) { documentOperations(documentId: $id, afterVersion: $after) { version delta clientId clientSeq } }';
const SUBMIT = 'mutation($input: SubmitOperationInput!) { submitOperation(input: $input) { version } }';
const PRESENCE = 'mutation($id: ID!, $v: Int!, $i: Int!, $c: String!) { updatePresence(documentId: $id, version: $v, index: $i, length: 0, clientId: $c) }';

/** Worth resending with the same (clientId, clientSeq): protocol.md, "Errors". */
const RETRYABLE = new Set(['CONFLICT_RETRY_EXHAUSTED', 'RATE_LIMITED', 'UNAVAILABLE']);
/** Socket close codes that mean "get a new access token first": expired, revoked, refused. */
const NEEDS_TOKEN = new Set([4001, 4002, 4403]);

interface WireOp { version: number; delta: { ops: Delta['ops'] }; clientId: string; clientSeq: number }
type Errors = ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>;
interface Result { data?: Record<string, any> | null; errors?: Errors }
interface Pending { baseVersion: number; delta: Delta; clientSeq: number }

export interface BotOptions {
  url: string; // http(s)://host/graphql; the socket is ws(s):// on the same path
  documentId: string;
  token: (renew: boolean) => Promise<string>; // renew: the server refused the last one
  line?: () => string; // what each tick appends
  onError?: (error: Error) => void; // told when the bot stops on a rejection it cannot retry
}

export type Bot = Awaited<ReturnType<typeof startBot>>;

export async function startBot(options: BotOptions) {
  const { documentId } = options;
  const clientId = `bot-${randomUUID()}`; // unique: the idempotency key is (documentId, clientId, clientSeq)
  let version = 0; // the last server version seen
  let doc = new Delta(); // the document as the bot sees it, its pending ops included
  let inflight: Pending | null = null; // sent, not yet seen in the stream
  let buffer: Delta | null = null; // local edits made while an op was in flight
  let nextSeq = 0;
  let client: Client | null = null;
  let [renew, stopped, failures] = [false, false, 0];
  const listeners = new Set<() => void>();
  const changed = () => listeners.forEach((l) => l());

  const request = async (query: string, variables: Record<string, unknown>): Promise<Result> => {
    for await (const result of client!.iterate({ query, variables })) return result as Result;
    throw new Error('no result');
  };

  const halt = (error: Error) => void ((stopped = true), client?.dispose(), options.onError?.(error));
  /** UNAUTHENTICATED: new token, reconnect, resend. Any other code here cannot be retried. */
  function refused(errors: Errors, via: Client | null) {
    const code = errors[0]?.extensions?.code;
    if (code === 'UNAUTHENTICATED') return void ((renew = true), via?.terminate());
    halt(new Error(`${code}: ${errors[0]?.message}`));
  }

  /** Submits an op. The reply only matters when it is an error: the ack comes from the stream. */
  async function send(op: Pending) {
    const input = { documentId, baseVersion: op.baseVersion, delta: { ops: op.delta.ops }, clientId, clientSeq: op.clientSeq };
    const via = client;
    const reply = await request(SUBMIT, { input }).catch(() => null); // socket gone: join() resends it
    const error = reply?.errors?.[0];
    if (!error) return;
    if (!RETRYABLE.has(String(error.extensions?.code))) return refused(reply.errors!, via);
    // Later, same (clientId, clientSeq); rebased meanwhile if remote ops came in.
    const retry = () => !stopped && inflight?.clientSeq === op.clientSeq && void send(inflight);
    setTimeout(retry, Number(error.extensions?.retryAfterMs ?? 500));
  }

  /** A local change, applied to `doc` already: send it, or add it to the buffer. */
  function edit(change: Delta) {
    doc = doc.compose(change);
    if (inflight) buffer = buffer ? buffer.compose(change) : change;
    else void send((inflight = { baseVersion: version, delta: change, clientSeq: nextSeq++ }));
    changed();
  }

  /** The next op of the stream: our ack, or a remote op to transform and apply. */
  function receive(op: WireOp) {
    if (op.version <= version) return; // seen already
    if (op.version !== version + 1) return client?.terminate(); // a gap: reconnect, resume from `version`
    version = op.version;
    if (inflight && op.clientId === clientId && op.clientSeq === inflight.clientSeq) {
      inflight = null;
      const next = buffer;
      buffer = null;
      if (next && !isNoop(next)) void send((inflight = { baseVersion: version, delta: next, clientSeq: nextSeq++ }));
      // Synchronised: our caret after our last line, at a version others can map to theirs.
      else void request(PRESENCE, { id: documentId, v: version, i: Math.max(0, doc.length() - 1), c: clientId }).catch(() => {});
      return changed();
    }
    // The server put this op before our pending ones and rebased them over
    // it, the committed op first at equal positions (protocol/rebase.ts,
    // COMMITTED_WINS: true below; false for the other half): mirror that exactly.
    let remote = new Delta(op.delta.ops);
    if (inflight) {
      [inflight.delta, remote] = [remote.transform(inflight.delta, true), inflight.delta.transform(remote, false)];
      inflight.baseVersion = version; // so that, resent after a reconnect, it applies to our version
    }
    if (buffer) [buffer, remote] = [remote.transform(buffer, true), buffer.transform(remote, false)];
    doc = doc.compose(remote);
    changed();
  }

  /** (Re)connects: the stream resumes after `version`; the op in flight is resent, same (clientId, clientSeq). */
  async function join(first: boolean) {
    const token = await options.token(renew);
    renew = false;
    const c = (client = createClient({
      url: options.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0, // reconnecting is ours: we resume from our own version
      on: { closed: (event) => void (renew ||= NEEDS_TOKEN.has((event as { code?: number }).code ?? 0)) },
    }));
    if (first) {
      const { data, errors } = await request(LOAD, { id: documentId });
      if (!data?.document) throw new Error(`cannot open document ${documentId}: ${errors?.[0]?.message ?? 'not found'}`);
      version = data.document.version;
      doc = new Delta(data.document.content.ops);
    }
    c.subscribe<{ documentOperations: WireOp }>({ query: STREAM, variables: { id: documentId, after: version } }, {
      next: ({ data, errors }) => (errors ? refused(errors, c) : data && receive(data.documentOperations)),
      error: () => rejoin(c),
      complete: () => rejoin(c),
    });
    failures = 0;
    if (inflight) void send(inflight);
  }

  function rejoin(from: Client) {
    if (stopped || client !== from) return;
    void from.dispose();
    // Exponential backoff with jitter, so that a restarted server is not stampeded.
    const delay = Math.min(10_000, 250 * 2 ** failures++) * (0.5 + Math.random() / 2);
    setTimeout(() => !stopped && join(false).catch(halt), delay); // join fails only when no token can be had
  }

  await join(true);
  return {
    clientId,
    get version() { return version; },
    get content() { return doc; },
    get synchronised() { return !inflight && !buffer; },
    /** Appends a line now (the CLI calls it every BOT_EVERY_MS; tests call it themselves). */
    tick: () => void (!stopped && edit(new Delta().retain(doc.length()).insert(`${(options.line ?? defaultLine)()}\n`))),
    /** Calls `listener` after every local edit and stream op; returns the unsubscribe function. */
    onChange: (listener: () => void) => (listeners.add(listener), () => void listeners.delete(listener)),
    async stop() {
      stopped = true;
      await client?.dispose();
    },
  };
}

const isNoop = (delta: Delta) => delta.ops.every((op) => typeof op.retain === 'number' && !op.attributes);
const defaultLine = () => `bot was here at ${new Date().toISOString()}`;

/** logIn over HTTP; of the reply the bot keeps only the access token. */
export async function logIn(url: string, email: string, password: string): Promise<string> {
  const query = 'mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { accessToken } }';
  const body = JSON.stringify({ query, variables: { e: email, p: password } });
  const { data, errors } = (await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json()) as Result;
  if (!data?.logIn) throw new Error(`logIn failed: ${errors?.[0]?.message}`);
  return data.logIn.accessToken as string;
}

async function main() {
  const documentId = process.argv[2]!;
  const { COLLAB_URL: url = 'http://localhost:4000/graphql', COLLAB_TOKEN: fixed, COLLAB_EMAIL: email, COLLAB_PASSWORD: password } = process.env;
  const exit = (error: Error) => (console.error(error.message), process.exit(1));
  if (!documentId || (!fixed && !(email && password))) exit(new Error('usage: COLLAB_TOKEN=… (or COLLAB_EMAIL=… COLLAB_PASSWORD=…) npm run example:bot -- <documentId>'));
  let token: Promise<string> | null = null;
  const renewed = (renew: boolean) => {
    if (fixed && renew) return Promise.reject(new Error('the server refused COLLAB_TOKEN (expired?): set a fresh one'));
    if (renew || !token) token = fixed ? Promise.resolve(fixed) : logIn(url, email!, password!);
    return token;
  };
  const bot = await startBot({ url, documentId, token: renewed, onError: exit }).catch(exit);
  console.log(`joined ${documentId} at version ${bot.version} as ${bot.clientId}; Ctrl-C stops`);
  setInterval(() => bot.tick(), Number(process.env.BOT_EVERY_MS ?? 3000));
  process.once('SIGINT', () => void bot.stop().then(() => process.exit(0)));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
