// The migration tests, run against every database kind: PGlite in
// migrate.test.ts, PostgreSQL in migrate.int.test.ts.
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { SqlRunner } from '../../src/store/database.ts';
import { Prisma } from '../../src/store/generated/client.ts';
import { applyMigrations, MIGRATIONS_DIR } from '../../src/store/migrate.ts';
import { findSchemaDrift, introspect, parsePrismaSchema } from './schema-drift.ts';
import type { TempDatabase } from './test-databases.ts';

export const SCHEMA_PATH = fileURLToPath(new URL('../../../prisma/schema.prisma', import.meta.url));

/** Each model's scalar fields per the generated client; a new model fails to compile until listed. */
export const GENERATED_SCALAR_FIELDS = {
  User: Prisma.UserScalarFieldEnum,
  Session: Prisma.SessionScalarFieldEnum,
  Document: Prisma.DocumentScalarFieldEnum,
  DocumentMember: Prisma.DocumentMemberScalarFieldEnum,
  Operation: Prisma.OperationScalarFieldEnum,
  Snapshot: Prisma.SnapshotScalarFieldEnum,
  ApiToken: Prisma.ApiTokenScalarFieldEnum,
  ShareLink: Prisma.ShareLinkScalarFieldEnum,
  NamedVersion: Prisma.NamedVersionScalarFieldEnum,
  CommentThread: Prisma.CommentThreadScalarFieldEnum,
  Comment: Prisma.CommentScalarFieldEnum,
  Suggestion: Prisma.SuggestionScalarFieldEnum,
  DroppedClient: Prisma.DroppedClientScalarFieldEnum,
  DocumentEvent: Prisma.DocumentEventScalarFieldEnum,
  Webhook: Prisma.WebhookScalarFieldEnum,
  WebhookDelivery: Prisma.WebhookDeliveryScalarFieldEnum,
} satisfies Record<Prisma.ModelName, Record<string, string>>;

interface MigrationRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

const migrationRows = (sql: SqlRunner) =>
  sql.query<MigrationRow>('SELECT * FROM "_prisma_migrations" ORDER BY migration_name');

const tableExists = async (sql: SqlRunner, table: string) =>
  (await sql.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`"${table}"`]))[0]?.t != null;

/** Creates a migrations directory holding `{ name: sql }`. */
async function writeMigrations(dir: string, migrations: Record<string, string>): Promise<void> {
  for (const [name, sql] of Object.entries(migrations)) {
    await mkdir(path.join(dir, name), { recursive: true });
    await writeFile(path.join(dir, name, 'migration.sql'), sql);
  }
}

export function migrationSuite(open: () => Promise<TempDatabase>): void {
  describe('a fresh database migrated from prisma/migrations', () => {
    let temp: TempDatabase;
    let applied: string[];
    const logs: string[] = [];
    const scratchDirs: string[] = [];

    beforeAll(async () => {
      temp = await open();
      applied = await applyMigrations(temp.db.sql, MIGRATIONS_DIR, (m) => logs.push(m));
    });
    afterAll(async () => {
      await temp?.dispose();
      await Promise.all(scratchDirs.map((d) => rm(d, { recursive: true, force: true })));
    });

    test('applies every migration directory, in name order', async () => {
      const dirs = (await readdir(MIGRATIONS_DIR, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
      expect(dirs.length).toBeGreaterThan(0);
      expect(applied).toEqual([...dirs].sort());
    });

    test('records each migration the way prisma migrate deploy does', async () => {
      const rows = await migrationRows(temp.db.sql);
      expect(rows.map((r) => r.migration_name)).toEqual(applied);
      for (const row of rows) {
        const bytes = await readFile(path.join(MIGRATIONS_DIR, row.migration_name, 'migration.sql'));
        expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        expect(row.checksum).toBe(createHash('sha256').update(bytes).digest('hex'));
        expect(row.finished_at).toBeInstanceOf(Date);
        expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
        expect(row.applied_steps_count).toBe(1);
        expect(row.logs).toBeNull();
        expect(row.rolled_back_at).toBeNull();
      }
    });

    test('creates _prisma_migrations with exactly Prisma’s columns', async () => {
      const { columns } = await introspect(temp.db.sql);
      const shape = columns
        .filter((c) => c.table_name === '_prisma_migrations')
        .map((c) => `${c.column_name} ${c.udt_name} ${c.is_nullable}`)
        .sort();
      expect(shape).toEqual([
        'applied_steps_count int4 NO',
        'checksum varchar NO',
        'finished_at timestamptz YES',
        'id varchar NO',
        'logs text YES',
        'migration_name varchar NO',
        'rolled_back_at timestamptz YES',
        'started_at timestamptz NO',
      ]);
    });

    test('applying again applies nothing', async () => {
      const before = await migrationRows(temp.db.sql);
      expect(await applyMigrations(temp.db.sql, MIGRATIONS_DIR)).toEqual([]);
      expect(await migrationRows(temp.db.sql)).toEqual(before);
    });

    test('has a table for every model and a column for every scalar field of the generated client', async () => {
      const { tables, columns } = await introspect(temp.db.sql);
      expect(Object.keys(GENERATED_SCALAR_FIELDS).sort()).toEqual(Object.values(Prisma.ModelName).sort());
      for (const [model, fields] of Object.entries(GENERATED_SCALAR_FIELDS)) {
        expect(tables.has(model), `table ${model}`).toBe(true);
        const actual = columns.filter((c) => c.table_name === model).map((c) => c.column_name);
        expect(actual.sort(), `columns of ${model}`).toEqual(Object.values(fields).sort());
      }
    });

    test('matches prisma/schema.prisma: types, nullability, keys, indexes, foreign keys, enums', async () => {
      const schema = parsePrismaSchema(await readFile(SCHEMA_PATH, 'utf8'));
      expect(await findSchemaDrift(temp.db.sql, schema)).toEqual([]);
    });

    test('the drift check reports changes to columns, keys and foreign keys', async () => {
      const schema = parsePrismaSchema(await readFile(SCHEMA_PATH, 'utf8'));
      const rollback = new Error('rollback');
      let drift: string[] = [];
      // Break the schema inside a transaction that is then rolled back.
      const attempt = temp.db.sql.withConnection((conn) =>
        conn.transaction(async (tx) => {
          await tx.exec(`
            ALTER TABLE "Operation" ALTER COLUMN "authorId" SET NOT NULL;
            ALTER TABLE "Operation" ALTER COLUMN "clientSeq" TYPE bigint;
            ALTER TABLE "Operation" ADD COLUMN "extra" int;
            DROP INDEX "Operation_documentId_clientId_clientSeq_key";
            ALTER TABLE "Snapshot" DROP CONSTRAINT "Snapshot_documentId_fkey";`);
          drift = await findSchemaDrift(tx, schema);
          throw rollback;
        }),
      );
      await expect(attempt).rejects.toBe(rollback);
      expect(drift.sort()).toEqual([
        'Operation.authorId: NOT NULL, schema says optional',
        'Operation.clientSeq: type int8, schema says int4',
        'Operation.extra: column not in the schema',
        'Operation: unique (documentId, clientId, clientSeq) missing',
        'Snapshot: foreign key (documentId) -> Document(id) missing',
      ]);
      expect(await findSchemaDrift(temp.db.sql, schema)).toEqual([]);
    });

    test('has the keys the operation log relies on', async () => {
      const { indexes } = await introspect(temp.db.sql);
      const op = indexes.filter((i) => i.table === 'Operation');
      expect(op).toContainEqual(expect.objectContaining({ primary: true, columns: ['documentId', 'version'] }));
      expect(op).toContainEqual(
        expect.objectContaining({ primary: false, unique: true, columns: ['documentId', 'clientId', 'clientSeq'] }),
      );
    });

    test('warns, and neither fails nor re-applies, when an applied migration was edited', async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'collab-migrations-'));
      scratchDirs.push(dir);
      await cp(MIGRATIONS_DIR, dir, { recursive: true });
      const first = applied[0]!;
      await writeFile(path.join(dir, first, 'migration.sql'), '-- edited\n', { flag: 'a' });
      const warnings: string[] = [];
      expect(await applyMigrations(temp.db.sql, dir, (m) => warnings.push(m))).toEqual([]);
      expect(warnings).toEqual([expect.stringMatching(new RegExp(`warning: migration ${first} was modified`))]);
    });

    test('lets one of two concurrent migrators apply and the other find nothing to do', async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'collab-migrations-'));
      scratchDirs.push(dir);
      await writeMigrations(dir, { '20990101000000_concurrent': 'CREATE TABLE "Concurrent" (id int);' });
      const results = await Promise.all([applyMigrations(temp.db.sql, dir), applyMigrations(temp.db.sql, dir)]);
      expect(results.flat()).toEqual(['20990101000000_concurrent']);
      await temp.db.sql.exec('DROP TABLE "Concurrent"');
    });
  });

  describe('migration bookkeeping', () => {
    let temp: TempDatabase | undefined;
    let dir: string;

    beforeAll(async () => {
      temp = await open();
    });
    afterAll(async () => {
      await temp?.dispose();
    });
    beforeEach(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'collab-migrations-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
      // Each test starts from an empty schema.
      await temp?.db.sql.exec('DROP TABLE IF EXISTS "_prisma_migrations", a, b');
    });

    const sql = () => temp!.db.sql;

    test('rolls a failing migration back entirely, records nothing for it, and retries it next time', async () => {
      await writeMigrations(dir, {
        '001_a': 'CREATE TABLE a (id int);',
        '002_b': 'CREATE TABLE b (id int);\nSELECT * FROM no_such_table;',
      });
      await expect(applyMigrations(sql(), dir)).rejects.toThrow(/Migration 002_b failed and was rolled back/);
      expect(await tableExists(sql(), 'a')).toBe(true);
      expect(await tableExists(sql(), 'b')).toBe(false);
      expect((await migrationRows(sql())).map((r) => r.migration_name)).toEqual(['001_a']);

      await writeMigrations(dir, { '002_b': 'CREATE TABLE b (id int);' });
      expect(await applyMigrations(sql(), dir)).toEqual(['002_b']);
      expect(await tableExists(sql(), 'b')).toBe(true);
    });

    test('refuses to run while a migration is started but unfinished, until it is marked rolled back', async () => {
      await writeMigrations(dir, { '001_a': 'CREATE TABLE a (id int);' });
      expect(await applyMigrations(sql(), dir)).toEqual(['001_a']);
      // What `prisma migrate deploy` leaves behind when a migration fails.
      await sql().query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs) VALUES ('00000000-0000-4000-8000-000000000000', 'x', '002_b', 'boom')`,
      );
      await writeMigrations(dir, { '002_b': 'CREATE TABLE b (id int);' });

      await expect(applyMigrations(sql(), dir)).rejects.toThrow(/Refusing to migrate: migration 002_b started but never finished/);
      expect(await tableExists(sql(), 'b')).toBe(false);

      // `prisma migrate resolve --rolled-back 002_b` sets rolled_back_at; then it is applied afresh.
      await sql().query(`UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = '002_b'`);
      expect(await applyMigrations(sql(), dir)).toEqual(['002_b']);
      expect(await tableExists(sql(), 'b')).toBe(true);
    });

    test('ignores directories without a migration.sql and files beside them', async () => {
      await writeMigrations(dir, { '001_a': 'CREATE TABLE a (id int);' });
      await mkdir(path.join(dir, '000_empty'));
      await writeFile(path.join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
      expect(await applyMigrations(sql(), dir)).toEqual(['001_a']);
    });
  });
}
