import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { GENERATED_SCALAR_FIELDS, migrationSuite, SCHEMA_PATH } from '../../test/support/migrate.suite.ts';
import { parsePrismaSchema } from '../../test/support/schema-drift.ts';
import { openTempPGlite } from '../../test/support/test-databases.ts';

describe('migrations on PGlite', () => {
  migrationSuite(openTempPGlite);
});

describe('the Prisma schema parser behind the drift check', () => {
  test('reads the same models and scalar fields as the generated client', async () => {
    const schema = parsePrismaSchema(await readFile(SCHEMA_PATH, 'utf8'));
    const parsed = Object.fromEntries(schema.models.map((m) => [m.name, m.fields.map((f) => f.name).sort()]));
    const generated = Object.fromEntries(
      Object.entries(GENERATED_SCALAR_FIELDS).map(([model, fields]) => [model, Object.values(fields).sort()]),
    );
    expect(parsed).toEqual(generated);
  });

  test('reads keys, relations and optionality', () => {
    const schema = parsePrismaSchema(`
      enum Mood {
        HAPPY
        SAD
      }
      model A {
        id    String  @id // trailing "comment"
        code  String  @unique
        note  String? /// doc
        mood  Mood
        bs    B[]
      }
      model B {
        x     Int
        y     Int
        aId   String?
        a     A?      @relation(fields: [aId], references: [id])
        @@id([x, y])
        @@unique([aId, y])
        @@index([y(sort: Desc)])
      }
    `);
    const [a, b] = schema.models;
    expect(a).toMatchObject({ name: 'A', primaryKey: ['id'], uniques: [['code']], foreignKeys: [] });
    expect(a?.fields.map((f) => `${f.name}:${f.type}${f.optional ? '?' : ''}`)).toEqual(['id:String', 'code:String', 'note:String?', 'mood:Mood']);
    expect(b).toMatchObject({
      primaryKey: ['x', 'y'],
      uniques: [['aId', 'y']],
      indexes: [['y']],
      foreignKeys: [{ columns: ['aId'], table: 'A', references: ['id'], onDelete: 'SetNull', onUpdate: 'Cascade' }],
    });
  });

  test('refuses attributes it cannot check', () => {
    expect(() => parsePrismaSchema('model A {\n id String @id @map("a_id")\n}')).toThrow(/unsupported/);
  });
});
