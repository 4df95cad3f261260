// The document list pages by keyset (updatedAt, id): pages neither repeat
// nor skip while people edit, and a title search narrows it. Each row
// carries a preview line, stored with the document after edits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableModes, codeOf, gql, signUp, startServer, SUBMIT, type TestServer } from './harness.ts';

const LIST = `query($first: Int, $after: String, $titleContains: String) {
  documents(first: $first, after: $after, titleContains: $titleContains) { edges { cursor node { id title } } pageInfo { hasNextPage endCursor } }
}`;
type Page = { documents: { edges: Array<{ cursor: string; node: { id: string; title: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };

describe.each(availableModes())('document list (%s)', (mode) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(mode);
  });
  afterAll(async () => {
    await server?.stop();
  });

  async function create(token: string, title: string): Promise<string> {
    const res = await gql<{ createDocument: { id: string } }>(server, `mutation($t: String!) { createDocument(title: $t, content: { ops: [{ insert: "x\\n" }] }) { id } }`, { t: title }, token);
    expect(res.errors).toBeUndefined();
    return res.data!.createDocument.id;
  }
  const page = async (token: string, variables: Record<string, unknown>) => {
    const res = await gql<Page>(server, LIST, variables, token);
    expect(res.errors).toBeUndefined();
    return res.data!.documents;
  };

  it('pages without repeating or skipping while a document on a later page is edited', async () => {
    const owner = await signUp(server);
    for (let i = 0; i < 5; i++) await create(owner.token, `doc ${i}`);
    const all = (await page(owner.token, { first: 100 })).edges.map((e) => e.node.id);
    expect(all).toHaveLength(5);

    const first = await page(owner.token, { first: 2 });
    expect(first.edges.map((e) => e.node.id)).toEqual(all.slice(0, 2));
    expect(first.pageInfo.hasNextPage).toBe(true);

    // Someone edits the fourth document: it moves to the top of the list.
    const moved = all[3]!;
    const edit = await gql(server, SUBMIT, { input: { documentId: moved, baseVersion: 1, delta: { ops: [{ insert: 'y' }] }, clientId: 'c', clientSeq: 0 } }, owner.token);
    expect(edit.errors).toBeUndefined();
    expect((await page(owner.token, { first: 1 })).edges[0]!.node.id).toBe(moved);

    // The next pages go on from where the first ended: no repeat of the
    // first page, and every document not moved is seen once.
    const second = await page(owner.token, { first: 2, after: first.pageInfo.endCursor });
    const third = await page(owner.token, { first: 2, after: second.pageInfo.endCursor });
    const seen = [...first.edges, ...second.edges, ...third.edges].map((e) => e.node.id);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(all.filter((id) => id !== moved));
    expect(third.pageInfo.hasNextPage).toBe(false);
  });

  it('finds documents by a part of their title, ignoring case, with % and _ taken literally', async () => {
    const owner = await signUp(server);
    const plan = await create(owner.token, 'Quarterly PLAN 100%');
    const notes = await create(owner.token, 'plan_b notes');
    await create(owner.token, 'Shopping list');
    const ids = async (titleContains: string) => (await page(owner.token, { first: 100, titleContains })).edges.map((e) => e.node.id).sort();
    expect(await ids('plan')).toEqual([plan, notes].sort());
    expect(await ids('100%')).toEqual([plan]);
    expect(await ids('%')).toEqual([plan]);
    expect(await ids('n_b')).toEqual([notes]);
    expect(await ids('nothing like it')).toEqual([]);
    // Someone else's documents never show up, whatever the search.
    const stranger = await signUp(server);
    expect((await page(stranger.token, { first: 100, titleContains: 'plan' })).edges).toEqual([]);
  });

  it.each([
    ['a cursor that is not one', { first: 2, after: 'bm90IGEgY3Vyc29y' }],
    ['a cursor that is not base64 JSON', { first: 2, after: '%%%' }],
    ['a cursor far too long', { first: 2, after: 'A'.repeat(5000) }],
    ['more than 100 a page', { first: 101 }],
    ['a negative page size', { first: -1 }],
    ['a search over 200 characters', { first: 2, titleContains: 'x'.repeat(201) }],
  ])('refuses %s with BAD_USER_INPUT', async (_what, variables) => {
    const owner = await signUp(server);
    await create(owner.token, 'one');
    const res = await gql(server, LIST, variables, owner.token);
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
  });

  it('refuses paging backwards (last, before) with BAD_USER_INPUT', async () => {
    const owner = await signUp(server);
    const res = await gql(server, `{ documents(last: 2) { edges { node { id } } } }`, {}, owner.token);
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
  });
  it('shows the start of the text as a preview line, stored with the document and updated after edits', async () => {
    const owner = await signUp(server);
    const long = 'word '.repeat(40);
    const res = await gql<{ createDocument: { id: string } }>(server, 'mutation($c: Delta) { createDocument(title: "Notes", content: $c) { id } }', { c: { ops: [{ insert: 'Launch plan' }, { insert: '\n', attributes: { header: 1 } }, { insert: { image: 'https://example.com/a.png' } }, { insert: `We ship on Monday.\n${long}\n` }] } }, owner.token);
    expect(res.errors).toBeUndefined();
    const id = res.data!.createDocument.id;
    const preview = async () => {
      const list = await gql<{ documents: { edges: Array<{ node: { id: string; preview: string } }> } }>(server, '{ documents(first: 10) { edges { node { id preview } } } }', {}, owner.token);
      expect(list.errors).toBeUndefined();
      return list.data!.documents.edges.find((e) => e.node.id === id)!.node.preview;
    };
    await expect.poll(preview, { timeout: 20_000 }).not.toBe('');
    const first = await preview();
    expect(first.startsWith('Launch plan We ship on Monday. word word')).toBe(true);
    expect(Array.from(first)).toHaveLength(120);
    expect(first.endsWith('…')).toBe(true);

    const edit = await gql(server, SUBMIT, { input: { documentId: id, baseVersion: 1, delta: { ops: [{ insert: 'Draft: ' }] }, clientId: 'c', clientSeq: 0 } }, owner.token);
    expect(edit.errors).toBeUndefined();
    await expect.poll(preview, { timeout: 20_000 }).toMatch(/^Draft: Launch plan We ship/);
    // The same field on one document.
    const one = await gql<{ document: { preview: string } }>(server, 'query($id: ID!) { document(id: $id) { preview } }', { id }, owner.token);
    expect(one.data!.document.preview).toBe(await preview());
  });
});
