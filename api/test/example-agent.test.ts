// examples/agent.ts is the proof that docs/protocol.md §11 suffices to write
// an agent: run from the command line against a real server with an API
// token while a headless sync-engine client types into the same document,
// its fixes land (rebased over the typing), everyone converges, and
// `--revert <runId>` takes back exactly its fixes while the typing stays.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Delta } from '../../web/src/sync/ot-client.ts';
import { tidy, type TextEdit } from '../../examples/agent.ts';
import { createToken } from './agents/agent-helpers.ts';
import { availableModes, createDocument, DOC_STATE, gql, signUp, startServer, type TestServer } from './harness.ts';
import { SyncClient } from './sync-client.ts';

/** The edits applied one after another to a plain string: what editDocument does with them. */
const applyEdits = (text: string, edits: TextEdit[]) =>
  edits.reduce((t, e) => ('insertText' in e ? t.slice(0, e.insertText.index) + e.insertText.text + t.slice(e.insertText.index) : t.slice(0, e.deleteText.index) + t.slice(e.deleteText.index + e.deleteText.length)), text);

const textOf = (ops: ReadonlyArray<{ insert?: unknown }>) => ops.map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('');

describe('example agent: tidy', () => {
  it('collapses runs of spaces and capitalises sentences, as edits that apply in order', () => {
    const text = 'the  cat sat.  the dog ran!   ok?yes\nhello  world\n\n  indented. émile  said\n';
    expect(applyEdits(text, tidy(text))).toBe('The cat sat. The dog ran! Ok?yes\nHello world\n\n indented. Émile said\n');
    expect(tidy('All good. Nothing to do\n')).toEqual([]);
  });
});

describe.each(availableModes())('example agent (%s)', (mode) => {
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

  /** `npm run example:agent -- …args` to its end: its exit code and output. */
  async function agent(token: string, ...args: string[]) {
    const child = spawn('npm', ['run', '--silent', 'example:agent', '--', ...args], {
      env: { ...process.env, COLLAB_URL: `${server.url}/graphql`, COLLAB_TOKEN: token },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    return { code, out };
  }

  it('tidies while a person types, and --revert takes back its run only, the typing staying', async () => {
    const owner = await signUp(server, 'owner');
    const original = 'the  cat sat.  the dog ran!\nhello  world\n';
    const id = await createDocument(server, owner.token, { ops: [{ insert: `${original}\n` }] });
    const token = await createToken(server, owner.token, { name: 'Tidy agent', documentId: id });
    const client = new SyncClient(server, owner.token, id, 'typist');
    client.connect();
    disposers.push(() => client.disconnect());
    await client.until((c) => c.ot.version >= 1);

    // The person types on the last line, one character per round trip, for as long as the agent runs.
    let typed = '';
    const typeWhile = async (running: Promise<unknown>) => {
      let done = false;
      void running.finally(() => (done = true));
      const phrase = 'Person was here, ';
      do {
        const ch = phrase[typed.length % phrase.length]!;
        client.edit(new Delta().retain(client.doc.length() - 1).insert(ch));
        typed += ch;
        await client.until((c) => c.ot.state === 'synchronised');
      } while (!done);
      return running;
    };
    const converged = async () => {
      await client.until((c) => c.ot.state === 'synchronised');
      const { version, content } = (await gql(server, DOC_STATE, { id }, owner.token)).data!.document;
      await client.until((c) => c.ot.version === version);
      expect(client.doc.ops).toEqual(content.ops);
      expect(client.errors).toEqual([]);
      return textOf(content.ops);
    };

    const run = await typeWhile(agent(token.secret, id, '--run', 'tidy-1'));
    expect(run).toMatchObject({ code: 0, out: expect.stringMatching(/^run tidy-1: 9 edits read at version \d+, committed as version \d+; undo with --revert tidy-1\n$/) });
    expect(await converged()).toBe(`The cat sat. The dog ran!\nHello world\n${typed}\n`);

    const undo = await typeWhile(agent(token.secret, id, '--revert', 'tidy-1'));
    expect(undo).toMatchObject({ code: 0, out: expect.stringMatching(/^reverted run tidy-1: version \d+\n$/) });
    expect(await converged()).toBe(`${original}${typed}\n`);
    expect(typed.length).toBeGreaterThan(1);

    // A run it never made: a typed error, and a non-zero exit.
    expect(await agent(token.secret, id, '--revert', 'no-such-run')).toMatchObject({ code: 1, out: expect.stringContaining('BAD_USER_INPUT (NO_SUCH_RUN)') });
  });
});
