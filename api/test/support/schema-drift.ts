// Compares a migrated database with prisma/schema.prisma: tables, columns
// (type and nullability), primary keys, unique keys, indexes, foreign keys
// and enums. The SQL migrations are written by hand (Prisma's migrate engine
// is not available here), so this is what keeps them in step with the
// schema the client is generated from.
//
// The parser reads the subset of the Prisma schema language this project
// uses and throws on anything it does not understand (@map, @db.*, …)
// rather than checking it wrongly.
import type { SqlSession } from '../../src/store/database.ts';

export interface ScalarField {
  name: string;
  /** Prisma type: String, Int, DateTime, Json, … or an enum's name. */
  type: string;
  optional: boolean;
  list: boolean;
}

export interface ForeignKey {
  columns: string[];
  table: string;
  references: string[];
  /** Prisma's referential action: Cascade, Restrict, NoAction, SetNull, SetDefault. */
  onDelete: string;
  onUpdate: string;
}

export interface ModelSpec {
  name: string;
  fields: ScalarField[];
  primaryKey: string[];
  uniques: string[][];
  indexes: string[][];
  foreignKeys: ForeignKey[];
}

export interface SchemaSpec {
  models: ModelSpec[];
  enums: Map<string, string[]>;
}

const SCALAR_UDT: Record<string, string> = {
  String: 'text',
  Int: 'int4',
  BigInt: 'int8',
  Float: 'float8',
  Decimal: 'numeric',
  Boolean: 'bool',
  DateTime: 'timestamp',
  Json: 'jsonb',
  Bytes: 'bytea',
};

/** Removes `//` and `///` comments, leaving string literals alone. */
function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"' && line[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && c === '/' && line[i + 1] === '/') return line.slice(0, i);
  }
  return line;
}

/** `[a, b(sort: Desc)]` at the start of `text` -> ['a', 'b']. */
function fieldList(text: string, where: string): string[] {
  const m = /^\s*\[([^\]]*)\]/.exec(text);
  if (!m?.[1]) throw new Error(`schema parse: expected [fields] in ${where}`);
  return m[1].split(',').map((f) => f.replace(/\(.*\)/, '').trim());
}

/** The value of `key: …` inside an attribute's arguments. */
function argument(args: string, key: string): string | undefined {
  const m = new RegExp(`\\b${key}\\s*:\\s*(\\[[^\\]]*\\]|\\w+)`).exec(args);
  return m?.[1];
}

export function parsePrismaSchema(text: string): SchemaSpec {
  const lines = text.split('\n').map(stripComment);
  const blocks: { kind: string; name: string; body: string[] }[] = [];
  let current: { kind: string; name: string; body: string[] } | undefined;
  for (const raw of lines) {
    const line = raw.trim();
    if (current) {
      if (line === '}') {
        blocks.push(current);
        current = undefined;
      } else if (line) current.body.push(line);
      continue;
    }
    const open = /^(\w+)\s+(\w+)\s*\{$/.exec(line);
    if (open?.[1] && open[2]) current = { kind: open[1], name: open[2], body: [] };
  }

  const enums = new Map<string, string[]>();
  for (const b of blocks) if (b.kind === 'enum') enums.set(b.name, b.body.map((l) => l.split(/\s/)[0] ?? ''));
  const modelNames = new Set(blocks.filter((b) => b.kind === 'model').map((b) => b.name));

  const models: ModelSpec[] = [];
  for (const b of blocks) {
    if (b.kind !== 'model') continue;
    const model: ModelSpec = { name: b.name, fields: [], primaryKey: [], uniques: [], indexes: [], foreignKeys: [] };
    for (const line of b.body) {
      const where = `${b.name}: ${line}`;
      if (/@map\b|@@map\b|@db\.|@@schema\b|@@ignore\b|@ignore\b/.test(line)) {
        throw new Error(`schema parse: unsupported attribute in ${where}; extend schema-drift.ts`);
      }
      const block = /^@@(id|unique|index)\((.*)\)$/.exec(line);
      if (block?.[1] && block[2] !== undefined) {
        const cols = fieldList(block[2], where);
        if (block[1] === 'id') model.primaryKey = cols;
        else (block[1] === 'unique' ? model.uniques : model.indexes).push(cols);
        continue;
      }
      if (line.startsWith('@@')) throw new Error(`schema parse: unsupported block attribute in ${where}`);

      const field = /^(\w+)\s+(\w+)(\[\])?(\?)?\s*(.*)$/.exec(line);
      if (!field?.[1] || !field[2]) throw new Error(`schema parse: cannot read ${where}`);
      const [, name, type, list, optional, attrs = ''] = field;
      if (modelNames.has(type)) {
        const rel = /@relation\((.*)\)/.exec(attrs)?.[1];
        const fields = rel && argument(rel, 'fields');
        const references = rel && argument(rel, 'references');
        // The side without `fields` is the virtual back-relation: no column.
        if (fields && references) {
          model.foreignKeys.push({
            columns: fieldList(fields, where),
            table: type,
            references: fieldList(references, where),
            // Prisma's defaults: Restrict for a required relation, SetNull for an optional one.
            onDelete: argument(rel, 'onDelete') ?? (optional ? 'SetNull' : 'Restrict'),
            onUpdate: argument(rel, 'onUpdate') ?? 'Cascade',
          });
        }
        continue;
      }
      if (!(type in SCALAR_UDT) && !enums.has(type)) throw new Error(`schema parse: unknown type in ${where}`);
      model.fields.push({ name, type, optional: optional === '?', list: list === '[]' });
      if (/@id\b/.test(attrs)) model.primaryKey = [name];
      if (/@unique\b/.test(attrs)) model.uniques.push([name]);
    }
    models.push(model);
  }
  return { models, enums };
}

// ---------------------------------------------------------------------------
// What the database has.

interface ColumnRow {
  table_name: string;
  column_name: string;
  is_nullable: 'YES' | 'NO';
  udt_name: string;
  datetime_precision: number | null;
}

export interface IndexInfo {
  table: string;
  name: string;
  primary: boolean;
  unique: boolean;
  columns: string[];
}

interface ForeignKeyInfo extends ForeignKey {
  owner: string;
  name: string;
}

export interface DatabaseShape {
  tables: Set<string>;
  columns: ColumnRow[];
  indexes: IndexInfo[];
  foreignKeys: ForeignKeyInfo[];
  enums: Map<string, string[]>;
}

// pg_constraint's action codes.
const ACTIONS: Record<string, string> = { a: 'NoAction', r: 'Restrict', c: 'Cascade', n: 'SetNull', d: 'SetDefault' };

/** Reads the shape of the current schema (search_path's first entry). */
export async function introspect(sql: SqlSession): Promise<DatabaseShape> {
  const tables = await sql.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
  );
  const columns = await sql.query<ColumnRow>(
    `SELECT table_name, column_name, is_nullable, udt_name, datetime_precision::int AS datetime_precision
     FROM information_schema.columns WHERE table_schema = current_schema()`,
  );
  // Column lists are joined into strings: array parsing differs between drivers.
  const indexes = await sql.query<{ table: string; name: string; primary: boolean; unique: boolean; columns: string }>(
    `SELECT t.relname::text AS table, ic.relname::text AS name, i.indisprimary AS primary, i.indisunique AS unique,
            (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord)
               FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) AS columns
     FROM pg_index i
     JOIN pg_class t ON t.oid = i.indrelid
     JOIN pg_class ic ON ic.oid = i.indexrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = current_schema()`,
  );
  const fks = await sql.query<{
    owner: string;
    name: string;
    columns: string;
    table: string;
    references: string;
    on_delete: string;
    on_update: string;
  }>(
    `SELECT t.relname::text AS owner, c.conname::text AS name, r.relname::text AS table,
            (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord)
               FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum) AS columns,
            (SELECT string_agg(a.attname::text, ',' ORDER BY k.ord)
               FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, ord)
               JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum) AS references,
            c.confdeltype::text AS on_delete, c.confupdtype::text AS on_update
     FROM pg_constraint c
     JOIN pg_class t ON t.oid = c.conrelid
     JOIN pg_class r ON r.oid = c.confrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE c.contype = 'f' AND n.nspname = current_schema()`,
  );
  const enums = await sql.query<{ name: string; labels: string }>(
    `SELECT t.typname::text AS name, string_agg(e.enumlabel::text, ',' ORDER BY e.enumsortorder) AS labels
     FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname = current_schema() GROUP BY t.typname`,
  );
  return {
    tables: new Set(tables.map((t) => t.table_name)),
    columns,
    indexes: indexes.map((i) => ({ ...i, columns: i.columns.split(',') })),
    foreignKeys: fks.map((f) => ({
      owner: f.owner,
      name: f.name,
      columns: f.columns.split(','),
      table: f.table,
      references: f.references.split(','),
      onDelete: ACTIONS[f.on_delete] ?? f.on_delete,
      onUpdate: ACTIONS[f.on_update] ?? f.on_update,
    })),
    enums: new Map(enums.map((e) => [e.name, e.labels.split(',')])),
  };
}

// ---------------------------------------------------------------------------
// The difference.

/** Tables that belong to tooling, not to the schema. */
const TOOLING_TABLES = new Set(['_prisma_migrations']);

const list = (cols: string[]) => `(${cols.join(', ')})`;
const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Every difference between the database and the schema, one line each; [] when in step. */
export async function findSchemaDrift(sql: SqlSession, schema: SchemaSpec): Promise<string[]> {
  const db = await introspect(sql);
  const problems: string[] = [];
  const modelNames = new Set(schema.models.map((m) => m.name));

  for (const table of db.tables) {
    if (!modelNames.has(table) && !TOOLING_TABLES.has(table)) problems.push(`table ${table}: not in the schema`);
  }
  for (const [name, values] of schema.enums) {
    const actual = db.enums.get(name);
    if (!actual) problems.push(`enum ${name}: missing`);
    else if (!sameList(actual, values)) problems.push(`enum ${name}: values ${list(actual)}, schema says ${list(values)}`);
  }
  for (const name of db.enums.keys()) if (!schema.enums.has(name)) problems.push(`enum ${name}: not in the schema`);

  for (const model of schema.models) {
    const t = model.name;
    if (!db.tables.has(t)) {
      problems.push(`table ${t}: missing`);
      continue;
    }
    const columns = new Map(db.columns.filter((c) => c.table_name === t).map((c) => [c.column_name, c]));
    for (const f of model.fields) {
      const col = columns.get(f.name);
      if (!col) {
        problems.push(`${t}.${f.name}: missing column`);
        continue;
      }
      const base = SCALAR_UDT[f.type] ?? f.type; // enums are their own type
      const udt = f.list ? `_${base}` : base;
      if (col.udt_name !== udt) problems.push(`${t}.${f.name}: type ${col.udt_name}, schema says ${udt}`);
      // Prisma stores DateTime with millisecond precision (timestamp(3)).
      if (f.type === 'DateTime' && col.datetime_precision !== 3) {
        problems.push(`${t}.${f.name}: timestamp precision ${col.datetime_precision}, schema says 3`);
      }
      // Prisma creates list columns without NOT NULL; only scalars are checked.
      const nullable = col.is_nullable === 'YES';
      if (!f.list && nullable !== f.optional) {
        problems.push(`${t}.${f.name}: ${nullable ? 'nullable' : 'NOT NULL'}, schema says ${f.optional ? 'optional' : 'required'}`);
      }
    }
    const fieldNames = new Set(model.fields.map((f) => f.name));
    for (const name of columns.keys()) if (!fieldNames.has(name)) problems.push(`${t}.${name}: column not in the schema`);

    const indexes = db.indexes.filter((i) => i.table === t);
    const matched = new Set<IndexInfo>();
    const expect = (kind: 'primary key' | 'unique' | 'index', cols: string[]) => {
      const hit = indexes.find(
        (i) =>
          !matched.has(i) &&
          sameList(i.columns, cols) &&
          (kind === 'primary key' ? i.primary : kind === 'unique' ? i.unique && !i.primary : !i.unique),
      );
      if (hit) matched.add(hit);
      else problems.push(`${t}: ${kind} ${list(cols)} missing`);
    };
    if (model.primaryKey.length === 0) problems.push(`${t}: schema declares no primary key`);
    else expect('primary key', model.primaryKey);
    for (const u of model.uniques) expect('unique', u);
    for (const ix of model.indexes) expect('index', ix);
    for (const i of indexes) {
      if (!matched.has(i)) problems.push(`${t}: ${i.unique ? 'unique ' : ''}index ${i.name} ${list(i.columns)} not in the schema`);
    }

    const fks = db.foreignKeys.filter((f) => f.owner === t);
    const fkMatched = new Set<ForeignKeyInfo>();
    for (const fk of model.foreignKeys) {
      const describe = `${list(fk.columns)} -> ${fk.table}${list(fk.references)}`;
      const hit = fks.find((f) => !fkMatched.has(f) && sameList(f.columns, fk.columns) && f.table === fk.table);
      if (!hit) {
        problems.push(`${t}: foreign key ${describe} missing`);
        continue;
      }
      fkMatched.add(hit);
      if (!sameList(hit.references, fk.references)) problems.push(`${t}: foreign key ${describe} references ${list(hit.references)}`);
      if (hit.onDelete !== fk.onDelete) problems.push(`${t}: foreign key ${describe} on delete ${hit.onDelete}, schema says ${fk.onDelete}`);
      if (hit.onUpdate !== fk.onUpdate) problems.push(`${t}: foreign key ${describe} on update ${hit.onUpdate}, schema says ${fk.onUpdate}`);
    }
    for (const f of fks) if (!fkMatched.has(f)) problems.push(`${t}: foreign key ${f.name} not in the schema`);
  }
  return problems;
}
