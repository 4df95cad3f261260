// PGlite's parser table, cut to what the store's columns can be, reads
// every such column as the whole table did, at a fraction of its size
// (PGlite copies the table for every result: pglite-parsers.ts).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterEach, describe, expect, it } from 'vitest';
import { seedEmptyPGlite } from '../../test/support/pglite-template.ts';
import { keepColumnParsers } from './pglite-parsers.ts';

// A column of every kind the store's schema has or Prisma could map, scalar and array, and an enum array.
const EVERY_KIND = `
  SELECT true AS b, 1::int2 AS i2, 2 AS i4, 3::int8 AS i8, 1.5::float8 AS f, 2.25::numeric AS n, 'x'::text AS t,
         '{"a":[1]}'::jsonb AS j, '\\x00ff'::bytea AS by, '2026-01-02T03:04:05Z'::timestamptz AS tz, '2026-01-02 03:04:05'::timestamp AS ts,
         ARRAY[true, false] AS ab, ARRAY[1, 2]::int4[] AS ai4, ARRAY[3, 4]::int8[] AS ai8, ARRAY['a', 'b,c']::text[] AS at,
         ARRAY['{"a":1}'::jsonb] AS aj, ARRAY['2026-01-02T03:04:05Z'::timestamptz] AS atz, ARRAY[1.5]::float8[] AS af,
         ARRAY['6e5e5e5e-0000-4000-8000-000000000000'::uuid] AS au, ARRAY['SHARED'::kind, 'DELETED'::kind] AS ae`;

describe('keepColumnParsers', () => {
  let db: PGlite | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads every column kind as the whole table did, with a fraction of its entries', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'collab-parsers-'));
    await seedEmptyPGlite(dir);
    const dataDir = path.join(dir, 'pglite');
    // An enum made before the start, as the schema's are on every start after the first.
    const first = await PGlite.create({ dataDir });
    await first.exec(`CREATE TYPE kind AS ENUM ('SHARED', 'DELETED')`);
    await first.close();
    db = await PGlite.create({ dataDir });
    const whole = Object.keys(db.parsers).length;
    const before = (await db.query(EVERY_KIND)).rows;
    const kept = await keepColumnParsers(db);
    expect((await db.query(EVERY_KIND)).rows).toEqual(before);
    expect(before[0]).toMatchObject({ ai4: [1, 2], at: ['a', 'b,c'], ae: ['SHARED', 'DELETED'], aj: [{ a: 1 }] });
    expect(kept).toBe(Object.keys(db.parsers).length);
    expect(whole).toBeGreaterThan(250);
    expect(kept).toBeLessThan(60);
  });
});
