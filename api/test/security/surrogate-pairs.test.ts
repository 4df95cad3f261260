// An edit that would cut a character outside the BMP (a surrogate pair) in
// two is refused with BAD_USER_INPUT (reason SPLITS_SURROGATE_PAIR), status
// < 500, and changes nothing: once accepted, its content broke every later
// snapshot and with it every later edit of the document. A document older
// versions already left holding half a pair keeps taking edits and loads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Delta } from '../../../protocol/delta.ts';
import { availableModes, codeOf, createDocument, DOC_STATE, gql, share, signUp, startServer, SUBMIT, type TestServer } from '../harness.ts';

const EMOJI = '\u{1F600}';
type User = { token: string; userId: string; email: string };

describe.each(availableModes())('surrogate pairs in documents (%s)', (mode) => {
  let server: TestServer;
  let ann: User; // owner
  let bob: User; // editor
  let seq = 0;

  beforeAll(async () => {
    // A snapshot every 3 versions: the edits below cross several.
    server = await startServer(mode, { SNAPSHOT_EVERY: '3' });
    [ann, bob] = await Promise.all([signUp(server, 'ann'), signUp(server, 'bob')]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const state = async (id: string) => (await gql(server, DOC_STATE, { id }, ann.token)).data?.document;
  const submit = (id: string, who: User, baseVersion: number, ops: unknown[]) =>
    gql(server, SUBMIT, { input: { documentId: id, baseVersion, delta: { ops }, clientId: `sp-${mode}`, clientSeq: seq++ } }, who.token);

  it('refuses an insert, delete or format inside a pair, changing nothing; the document goes on taking edits and snapshots', async () => {
    const id = await createDocument(server, ann.token, { ops: [{ insert: `a${EMOJI}b\n` }] });
    await share(server, ann.token, id, bob.email, 'EDITOR');
    const before = await state(id);
    for (const ops of [
      [{ retain: 2 }, { insert: 'x' }],
      [{ retain: 2 }, { delete: 1 }],
      [{ retain: 1 }, { delete: 1 }],
      [{ retain: 2 }, { retain: 2, attributes: { bold: true } }],
    ]) {
      const res = await submit(id, bob, 1, ops);
      expect(res.status, JSON.stringify(ops)).toBeLessThan(500);
      expect(codeOf(res), JSON.stringify(ops)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.extensions).toMatchObject({ reason: 'SPLITS_SURROGATE_PAIR' });
    }
    expect(await state(id)).toEqual(before);
    // Past several snapshots, every edit still commits.
    for (let v = 1; v < 8; v++) expect((await submit(id, v % 2 ? bob : ann, v, [{ retain: 1 }, { insert: String(v) }])).data?.submitOperation.version).toBe(v + 1);
    expect(await state(id)).toEqual({ version: 8, content: { ops: [{ insert: `a7654321${EMOJI}b\n` }] } });
  });

  it('keeps taking edits on a document that older versions left holding half a pair, and loads it', async () => {
    const id = await createDocument(server, ann.token);
    // What 5e120a2 accepted: an insert between the halves of a pair.
    await server.services.log.append(id, [
      { documentId: id, version: 1, delta: new Delta().insert(`${EMOJI}\n`), clientId: 'old', clientSeq: 0, authorId: ann.userId },
      { documentId: id, version: 2, delta: new Delta().retain(1).insert('x'), clientId: 'old', clientSeq: 1, authorId: ann.userId },
    ]);
    server.services.sequencer.forget(id);
    for (let v = 2; v < 9; v++) {
      const res = await submit(id, ann, v, [{ insert: 'n' }]);
      expect(res.status).toBeLessThan(500);
      expect(res.data?.submitOperation.version, JSON.stringify(res.errors)).toBe(v + 1);
    }
    const doc = await state(id);
    expect(doc).toEqual({ version: 9, content: { ops: [{ insert: `nnnnnnn\uD83Dx\uDE00\n` }] } });
    // Deleting what is left of the pair repairs it.
    expect((await submit(id, ann, 9, [{ retain: 7 }, { delete: 1 }, { retain: 1 }, { delete: 1 }])).data?.submitOperation.version).toBe(10);
    expect((await state(id))?.content).toEqual({ ops: [{ insert: 'nnnnnnnx\n' }] });
  });
});
