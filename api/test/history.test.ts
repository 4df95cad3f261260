// History as sessions, named versions, export and import, over real HTTP on
// PGlite (and PostgreSQL + Redis when CI gives them). Commit times are set
// in the log directly (the grouping is about minutes; tests do not wait).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableModes, codeOf, createDocument, gql, signUp, startServer, SUBMIT, type TestServer } from './harness.ts';

const HISTORY = `query($id: ID!, $first: Int, $before: Int) { document(id: $id) { history(first: $first, beforeVersion: $before) { fromVersion toVersion name startedAt endedAt authors { id } } } }`;
const NAME = `mutation($id: ID!, $v: Int!, $n: String!) { nameVersion(documentId: $id, version: $v, name: $n) { version name author { id } createdAt } }`;
const NAMED = `query($id: ID!) { document(id: $id) { namedVersions { version name author { id } } } }`;
const EXPORT = `query($id: ID!, $f: ExportFormat!, $v: Int) { document(id: $id) { export(format: $f, version: $v) } }`;
const IMPORT = `mutation($t: String!, $f: ExportFormat!, $x: String!) { importDocument(title: $t, format: $f, text: $x) { id title version content myRole } }`;
const STATE = `query($id: ID!) { document(id: $id) { version content namedVersions { version name } } }`;

type Entry = { fromVersion: number; toVersion: number; name: string | null; startedAt: string; endedAt: string; authors: Array<{ id: string }> };

const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);
const SECOND = 1000;
const MINUTE = 60 * SECOND;

describe.each(availableModes())('history, named versions, export and import (%s)', (mode) => {
  let server: TestServer;
  let owner: { token: string; userId: string; email: string };
  let editor: { token: string; userId: string; email: string };
  let viewer: { token: string; userId: string; email: string };
  let stranger: { token: string; userId: string; email: string };

  const share = async (id: string, email: string, role: string) => {
    const res = await gql(server, 'mutation($id: ID!, $e: String!, $r: Role!) { shareDocument(id: $id, email: $e, role: $r) { role } }', { id, e: email, r: role }, owner.token);
    expect(res.data?.shareDocument.role).toBe(role);
  };
  /** Appends `texts` one op each (as `token`), from the current head. */
  const type = async (id: string, token: string, texts: string[]) => {
    for (const text of texts) {
      const head = (await gql(server, 'query($id: ID!) { document(id: $id) { version } }', { id }, token)).data!.document.version as number;
      const res = await gql(server, SUBMIT, { input: { documentId: id, baseVersion: head, delta: { ops: [{ insert: text }] }, clientId: `c-${token.slice(-8)}`, clientSeq: head } }, token);
      expect(res.errors).toBeUndefined();
    }
  };
  /** Sets the commit time of each version (ms since the epoch): what minutes of typing would have left. */
  const setTimes = async (id: string, times: number[]) => {
    for (const [i, t] of times.entries()) {
      await server.services.db.sql.query(`UPDATE "Operation" SET "createdAt" = $3::timestamptz AT TIME ZONE 'UTC' WHERE "documentId" = $1 AND "version" = $2`, [id, i + 1, new Date(t).toISOString()]);
    }
  };
  const history = async (id: string, first?: number, before?: number, token = owner.token) => {
    const res = await gql(server, HISTORY, { id, first: first ?? null, before: before ?? null }, token);
    expect(res.errors).toBeUndefined();
    return res.data!.document.history as Entry[];
  };
  const ranges = (entries: Entry[]) => entries.map((e) => [e.fromVersion, e.toVersion, e.name]);

  beforeAll(async () => {
    server = await startServer(mode);
    [owner, editor, viewer, stranger] = await Promise.all([signUp(server, 'owner'), signUp(server, 'editor'), signUp(server, 'viewer'), signUp(server, 'stranger')]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  describe('history', () => {
    let id: string;
    beforeAll(async () => {
      id = await createDocument(server, owner.token, { ops: [{ insert: '\n' }] });
      await share(id, editor.email, 'EDITOR');
      await share(id, viewer.email, 'VIEWER');
      await type(id, owner.token, ['a', 'b', 'c']); // 2-4
      await type(id, editor.token, ['d', 'e']); // 5-6
      await type(id, owner.token, ['f', 'g', 'h', 'i']); // 7-10
      // 1-4 within seconds; a ten-minute pause; 5-10 a few seconds apart; 11-12 after 31 minutes.
      await setTimes(id, [0, 1, 2, 3].map((s) => T0 + s * SECOND).concat([5, 6, 7, 8, 9, 10].map((s) => T0 + 10 * MINUTE + s * SECOND)));
      await type(id, editor.token, ['j', 'k']); // 11-12
      await setTimes(id, Array.from({ length: 12 }, (_, i) => (i < 4 ? T0 + i * SECOND : i < 10 ? T0 + 10 * MINUTE + i * SECOND : T0 + 41 * MINUTE + i * SECOND)));
    });

    it('groups versions into sessions by pauses, newest first, with their authors', async () => {
      const entries = await history(id);
      expect(ranges(entries)).toEqual([
        [11, 12, null],
        [5, 10, null],
        [1, 4, null],
      ]);
      expect(entries[0]!.authors).toEqual([{ id: editor.userId }]);
      expect(entries[1]!.authors).toEqual([{ id: owner.userId }, { id: editor.userId }]);
      expect(entries[2]!.authors).toEqual([{ id: owner.userId }]);
      expect(entries[2]).toMatchObject({ startedAt: new Date(T0).toISOString(), endedAt: new Date(T0 + 3 * SECOND).toISOString() });
    });

    it('pages with the last toVersion, and a viewer reads it too', async () => {
      expect(ranges(await history(id, 1))).toEqual([[11, 12, null]]);
      expect(ranges(await history(id, 1, 12))).toEqual([[5, 10, null]]);
      expect(ranges(await history(id, 2, 10))).toEqual([[1, 4, null]]);
      expect(ranges(await history(id, 2, 4))).toEqual([]);
      expect(ranges(await history(id, 5, 13, viewer.token))).toEqual([[11, 12, null], [5, 10, null], [1, 4, null]]);
    });

    it('ends a session at a named version, and carries its name', async () => {
      const named = await gql(server, NAME, { id, v: 7, n: '  Draft for review ' }, editor.token);
      expect(named.data?.nameVersion).toMatchObject({ version: 7, name: 'Draft for review', author: { id: editor.userId } });
      expect(ranges(await history(id))).toEqual([
        [11, 12, null],
        [8, 10, null],
        [5, 7, 'Draft for review'],
        [1, 4, null],
      ]);
    });

    it('covers every version exactly once whatever the page size (a longer log with irregular pauses)', async () => {
      const long = await createDocument(server, owner.token, { ops: [{ insert: '\n' }] });
      await type(long, owner.token, Array.from({ length: 59 }, (_, i) => String.fromCharCode(97 + (i % 26))));
      // Deterministic irregular gaps: mostly seconds, some minutes, a few long pauses.
      let t = T0;
      const times = Array.from({ length: 60 }, (_, i) => (t += [2 * SECOND, 40 * SECOND, 6 * MINUTE, 3 * MINUTE, 20 * MINUTE][(i * 7) % 5]!));
      await setTimes(long, times);
      for (const v of [13, 14, 40]) expect((await gql(server, NAME, { id: long, v, n: `v${v}` }, owner.token)).errors).toBeUndefined();
      const all = await history(long, 100);
      let expectedTo = 60;
      for (const e of all) {
        expect(e.toVersion).toBe(expectedTo);
        expect(e.fromVersion).toBeLessThanOrEqual(e.toVersion);
        expectedTo = e.fromVersion - 1;
      }
      expect(expectedTo).toBe(0);
      for (const v of [13, 14, 40]) expect(all.find((e) => e.toVersion === v)?.name).toBe(`v${v}`);
      expect(all.length).toBeGreaterThan(5);
      for (const first of [1, 2, 3, 7]) {
        const paged: Entry[] = [];
        let before: number | undefined;
        for (;;) {
          const page = await history(long, first, before);
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(first);
          paged.push(...page);
          before = page.at(-1)!.toVersion;
        }
        expect(paged).toEqual(all);
      }
    });

    it('refuses bad paging with a typed error', async () => {
      for (const [first, before] of [[0, null], [101, null], [-1, null], [null, 0], [null, -5], [null, 14]] as const) {
        const res = await gql(server, HISTORY, { id, first, before }, owner.token);
        expect(codeOf(res), JSON.stringify({ first, before })).toBe('BAD_USER_INPUT');
        expect(res.status).toBeLessThan(500);
      }
    });

    it('shows nothing to a stranger', async () => {
      const res = await gql(server, HISTORY, { id }, stranger.token);
      expect(res.errors).toBeUndefined();
      expect(res.data?.document).toBeNull();
    });
  });

  describe('named versions', () => {
    let id: string;
    const state = async () => (await gql(server, STATE, { id }, owner.token)).data?.document;
    async function rejects(code: string, attempt: () => Promise<{ status: number; errors?: Array<{ extensions?: { code?: string } }> }>) {
      const before = await state();
      const res = await attempt();
      expect(codeOf(res), JSON.stringify(res.errors)).toBe(code);
      expect(res.status).toBeLessThan(500);
      expect(await state()).toEqual(before);
    }

    beforeAll(async () => {
      id = await createDocument(server, owner.token, { ops: [{ insert: 'Hello\n' }] });
      await share(id, editor.email, 'EDITOR');
      await share(id, viewer.email, 'VIEWER');
      await type(id, owner.token, ['a', 'b']);
    });

    it('lets editors and owners name versions; renaming replaces the name; listed newest first', async () => {
      expect((await gql(server, NAME, { id, v: 1, n: 'First' }, owner.token)).data?.nameVersion).toMatchObject({ version: 1, name: 'First', author: { id: owner.userId } });
      expect((await gql(server, NAME, { id, v: 3, n: 'Third' }, editor.token)).data?.nameVersion).toMatchObject({ version: 3, name: 'Third' });
      expect((await gql(server, NAME, { id, v: 1, n: 'Renamed' }, editor.token)).data?.nameVersion).toMatchObject({ version: 1, name: 'Renamed', author: { id: editor.userId } });
      const listed = await gql(server, NAMED, { id }, viewer.token);
      expect(listed.data?.document.namedVersions).toEqual([
        { version: 3, name: 'Third', author: { id: editor.userId } },
        { version: 1, name: 'Renamed', author: { id: editor.userId } },
      ]);
    });

    it('refuses viewers, strangers and anonymous callers, changing nothing', async () => {
      await rejects('FORBIDDEN', () => gql(server, NAME, { id, v: 2, n: 'Mine' }, viewer.token));
      await rejects('NOT_FOUND', () => gql(server, NAME, { id, v: 2, n: 'Mine' }, stranger.token));
      await rejects('NOT_FOUND', () => gql(server, NAME, { id: 'no-such-document', v: 2, n: 'Mine' }, owner.token));
      await rejects('UNAUTHENTICATED', () => gql(server, NAME, { id, v: 2, n: 'Mine' }));
    });

    it('refuses bad names and versions that do not exist, changing nothing', async () => {
      for (const n of ['', '   ', 'x'.repeat(201), 'nul\u0000', 'lone \ud800 surrogate']) {
        await rejects('BAD_USER_INPUT', () => gql(server, NAME, { id, v: 2, n }, owner.token));
      }
      for (const v of [0, -1, 4, 2 ** 31 - 1]) await rejects('BAD_USER_INPUT', () => gql(server, NAME, { id, v, n: 'Nope' }, owner.token));
      expect((await gql(server, NAME, { id, v: 2, n: 'x'.repeat(200) }, owner.token)).data?.nameVersion.name).toHaveLength(200);
    });
  });

  describe('export', () => {
    let id: string;
    beforeAll(async () => {
      id = await createDocument(server, owner.token, {
        ops: [{ insert: 'Title' }, { insert: '\n', attributes: { header: 1 } }, { insert: 'Hello ' }, { insert: 'world', attributes: { bold: true } }, { insert: ' <3\n' }],
      });
      await share(id, viewer.email, 'VIEWER');
      const res = await gql(server, SUBMIT, { input: { documentId: id, baseVersion: 1, delta: { ops: [{ retain: 6 }, { insert: 'Big ' }] }, clientId: 'x', clientSeq: 0 } }, owner.token);
      expect(res.data?.submitOperation.version).toBe(2);
    });
    const exported = async (format: string, version: number | null, token = owner.token) => {
      const res = await gql(server, EXPORT, { id, f: format, v: version }, token);
      expect(res.errors).toBeUndefined();
      return res.data!.document.export as string;
    };

    it('exports each format at the head and at an old version', async () => {
      expect(await exported('TEXT', null)).toBe('Title\nBig Hello world <3\n');
      expect(await exported('TEXT', 1)).toBe('Title\nHello world <3\n');
      expect(await exported('TEXT', 0)).toBe('');
      expect(await exported('MARKDOWN', null)).toBe('# Title\n\nBig Hello **world** &lt;3\n');
      expect(await exported('MARKDOWN', 1)).toBe('# Title\n\nHello **world** &lt;3\n');
      const html = await exported('HTML', null);
      expect(html).toContain('<title>Test doc</title>');
      expect(html).toContain('<h1>Title</h1><p>Big Hello <strong>world</strong> &lt;3</p>');
      expect(await exported('HTML', 1)).toContain('<h1>Title</h1><p>Hello <strong>world</strong> &lt;3</p>');
    });

    it('lets a viewer export; a stranger sees no document', async () => {
      expect(await exported('TEXT', null, viewer.token)).toBe('Title\nBig Hello world <3\n');
      const res = await gql(server, EXPORT, { id, f: 'HTML', v: null }, stranger.token);
      expect(res.errors).toBeUndefined();
      expect(res.data?.document).toBeNull();
    });

    it('refuses a bad format or version with a typed error', async () => {
      for (const [f, v] of [['PDF', null], ['html', null], ['TEXT', 3], ['TEXT', -1]] as const) {
        const res = await gql(server, EXPORT, { id, f, v }, owner.token);
        expect(codeOf(res), JSON.stringify({ f, v })).toBe('BAD_USER_INPUT');
        expect(res.status).toBeLessThan(500);
      }
    });
  });

  describe('import', () => {
    const myDocuments = async () => (await gql(server, '{ documents(first: 100) { edges { node { id } } } }', {}, owner.token)).data?.documents.edges.length as number;

    it('creates a document from Markdown, HTML or text, as version 1 by the importer', async () => {
      const md = await gql(server, IMPORT, { t: 'Notes.md', f: 'MARKDOWN', x: '# Notes\n\n- **one**\n- [two](https://example.com)\n' }, owner.token);
      expect(md.data?.importDocument).toMatchObject({
        title: 'Notes.md',
        version: 1,
        myRole: 'OWNER',
        content: {
          ops: [
            { insert: 'Notes' },
            { insert: '\n', attributes: { header: 1 } },
            { insert: 'one', attributes: { bold: true } },
            { insert: '\n', attributes: { list: 'bullet' } },
            { insert: 'two', attributes: { link: 'https://example.com' } },
            { insert: '\n', attributes: { list: 'bullet' } },
          ],
        },
      });
      const html = await gql(server, IMPORT, { t: 'Page', f: 'HTML', x: '<h2>Hi</h2><p>there <a href="javascript:alert(1)">x</a><script>alert(2)</script></p>' }, owner.token);
      expect(html.data?.importDocument.content).toEqual({ ops: [{ insert: 'Hi' }, { insert: '\n', attributes: { header: 2 } }, { insert: 'there x\n' }] });
      const text = await gql(server, IMPORT, { t: 'Plain', f: 'TEXT', x: '# not a heading\r\nline' }, owner.token);
      expect(text.data?.importDocument.content).toEqual({ ops: [{ insert: '# not a heading\nline\n' }] });
    });

    it('round-trips an export back into an equal document', async () => {
      const content = { ops: [{ insert: 'A' }, { insert: '\n', attributes: { header: 2 } }, { insert: 'b', attributes: { italic: true } }, { insert: '\n', attributes: { list: 'ordered' } }, { insert: 'x', attributes: { code: true } }, { insert: '\n' }] };
      const source = await createDocument(server, owner.token, content);
      for (const f of ['HTML', 'MARKDOWN']) {
        const file = (await gql(server, EXPORT, { id: source, f, v: null }, owner.token)).data!.document.export as string;
        const copy = await gql(server, IMPORT, { t: 'Copy', f, x: file }, owner.token);
        expect(copy.data?.importDocument.content, f).toEqual(content);
      }
    });

    it('refuses bad input and anonymous callers, creating nothing', async () => {
      const before = await myDocuments();
      for (const [t, f, x] of [
        ['', 'TEXT', 'x'],
        ['Ok', 'PDF', 'x'],
        ['Ok', 'TEXT', 'nul\u0000'],
        ['Ok', 'TEXT', 'lone \ud800'],
        // Within the request body limit, but more than one delta may insert (MAX_DELTA_INSERT_BYTES, 1000000 by default).
        ['Big', 'TEXT', 'x'.repeat(1_000_100)],
      ] as const) {
        const res = await gql(server, IMPORT, { t, f, x }, owner.token);
        expect(codeOf(res), JSON.stringify({ t, f })).toBe('BAD_USER_INPUT');
        expect(res.status).toBeLessThan(500);
      }
      expect(codeOf(await gql(server, IMPORT, { t: 'Ok', f: 'TEXT', x: 'x' }))).toBe('UNAUTHENTICATED');
      expect(await myDocuments()).toBe(before);
    });
  });
});
