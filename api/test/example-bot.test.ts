// examples/bot.ts is the proof that docs/protocol.md suffices to write a
// client: run it against a real server next to the headless sync-engine
// client, both editing at once, and check that everyone converges on the
// server's content with every bot line in it exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Delta } from '../../web/src/sync/ot-client.ts';
import { logIn, startBot, type Bot } from '../../examples/bot.ts';
import { availableModes, createDocument, DOC_STATE, gql, OPS_SUBSCRIPTION, share, signUp, startServer, subscribe, wsClient, type TestServer } from './harness.ts';
import { prng, randomEdit } from './random-edits.ts';
import { SyncClient } from './sync-client.ts';


/** Resolves once `predicate` holds, checked after every change the bot sees. */
function until(bot: Bot, predicate: (bot: Bot) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!predicate(bot)) return;
      off();
      resolve();
    };
    const off = bot.onChange(check);
    check();
  });
}

const textOf = (ops: ReadonlyArray<{ insert?: unknown }>) => ops.map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('');

describe.each(availableModes())('example bot (%s)', (mode) => {
  let server: TestServer;
  const disposers: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    server = await startServer(mode);
  });
  afterEach(async () => {
    for (const dispose of disposers.splice(0).reverse()) await dispose();
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** A document owned by a fresh user, shared with a second editor, and both tokens. */
  async function setUp() {
    const owner = await signUp(server, 'owner');
    const editor = await signUp(server, 'bot');
    const id = await createDocument(server, owner.token, { ops: [{ insert: 'Notes\n' }] });
    await share(server, owner.token, id, editor.email, 'EDITOR');
    return { owner, editor, id };
  }

  /** Waits until the bot and the client are synchronised at the server's head, and returns the server's content. */
  async function converged(bot: Bot, client: SyncClient, token: string, id: string) {
    await Promise.all([until(bot, (b) => b.synchronised), client.until((c) => c.ot.state === 'synchronised')]);
    const { version, content } = (await gql(server, DOC_STATE, { id }, token)).data!.document;
    await Promise.all([until(bot, (b) => b.version === version), client.until((c) => c.ot.version === version)]);
    return content.ops as Array<{ insert?: unknown }>;
  }

  it('converges with a sync-engine client editing the same document at once', async () => {
    const { owner, editor, id } = await setUp();
    const errors: Error[] = [];
    const bot = await startBot({ url: `${server.url}/graphql`, documentId: id, token: async () => editor.token, line: () => `line ${++lines}`, onError: (e) => errors.push(e) });
    let lines = 0;
    disposers.push(() => bot.stop());
    const client = new SyncClient(server, owner.token, id, 'sync-engine-tab');
    client.connect();
    disposers.push(() => client.disconnect());
    await client.until((c) => c.ot.version >= 1);

    const rand = prng(7);
    for (let i = 0; i < 40; i++) {
      if (rand() < 0.4) bot.tick();
      else client.edit(randomEdit(client.doc, rand));
      // Let the streams interleave with the edits, without sleeping.
      if (i % 4 === 0) await new Promise((r) => setImmediate(r));
    }
    const content = await converged(bot, client, owner.token, id);

    expect(errors).toEqual([]);
    expect(client.errors).toEqual([]);
    expect(bot.content.ops).toEqual(content);
    expect(client.doc.ops).toEqual(content);
    // Concurrent edits may land inside a bot line, but each line was committed once.
    const ops = (await gql(server, 'query($id: ID!) { document(id: $id) { operations(afterVersion: 0, first: 1000) { clientId delta } } }', { id }, owner.token)).data!.document.operations;
    const botOps = ops.filter((op: { clientId: string }) => op.clientId === bot.clientId);
    const inserted = textOf(botOps.flatMap((op: { delta: { ops: Array<{ insert?: unknown }> } }) => op.delta.ops));
    expect(lines).toBeGreaterThan(5);
    for (let n = 1; n <= lines; n++) expect(inserted.split(`line ${n}\n`).length - 1, `line ${n}`).toBe(1);
  });

  it('logs in again, resumes and resends its op in flight when its session is revoked', async () => {
    const { owner, editor, id } = await setUp();
    const renewals: boolean[] = [];
    const url = `${server.url}/graphql`;
    const bot = await startBot({
      url,
      documentId: id,
      token: (renew) => (renewals.push(renew), logIn(url, editor.email, 'correct horse')),
      line: () => `line ${++lines}`,
    });
    let lines = 0;
    disposers.push(() => bot.stop());
    const client = new SyncClient(server, owner.token, id, 'sync-engine-tab');
    client.connect();
    disposers.push(() => client.disconnect());

    bot.tick();
    await until(bot, (b) => b.synchronised);
    bot.tick(); // in flight while every session of the bot's account ends: its socket closes with 4002
    // The account's sign-up session ends too: any token of it will do.
    const revoke = await gql(server, 'mutation { logOutEverywhere }', {}, editor.token);
    expect(revoke.data?.logOutEverywhere).toBe(true);
    bot.tick();
    client.edit(new Delta().insert('> '));
    await until(bot, () => renewals.includes(true));
    const content = await converged(bot, client, owner.token, id);

    expect(renewals).toEqual([false, true]);
    expect(bot.content.ops).toEqual(content);
    expect(client.doc.ops).toEqual(content);
    for (const n of [1, 2, 3]) expect(textOf(content).split(`line ${n}\n`).length - 1, `line ${n}`).toBe(1);
  });

  it('runs from the command line: npm run example:bot -- <documentId>', async () => {
    const { owner, editor, id } = await setUp();
    const watcher = wsClient(server, owner.token);
    const stream = subscribe(watcher, OPS_SUBSCRIPTION, { id, after: 1 });
    disposers.push(async () => (stream.dispose(), await watcher.dispose()));
    const child: ChildProcess = spawn('npm', ['run', '--silent', 'example:bot', '--', id], {
      env: { ...process.env, COLLAB_URL: `${server.url}/graphql`, COLLAB_TOKEN: editor.token, BOT_EVERY_MS: '50' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: npm and node stop together
    });
    const exited = once(child, 'exit');
    disposers.push(async () => {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGINT');
      await exited;
    });
    const [first] = await stream.take(1);
    expect(first?.data?.documentOperations).toMatchObject({ version: 2, clientId: expect.stringMatching(/^bot-/) });
    expect(textOf(first!.data!.documentOperations.delta.ops)).toMatch(/^bot was here at \d{4}-\d\d-\d\dT.*\n$/);
  });
});
