// PGlite turns every statement's result rows into values with a table of
// column parsers, and copies that whole table into a new object for each
// result (`{ ...this.parsers, ...options.parsers }`). The table holds a
// parser for every array type Postgres has, ~316 entries keyed by type id,
// which V8 keeps as sparse (dictionary) elements: the copy alone was ~80 µs
// of the node's thread per statement, every commit and every Prisma query
// included, against ~30 µs for running `SELECT 1`.
// So the table is cut to what this database's columns can hold: PGlite's
// own scalar parsers, the arrays of the types Prisma maps to columns, and
// the arrays of this database's own types (enums). Any other array column
// (of a system type such as regproc[] or aclitem[]) would come back as its
// text: no query of the store reads one.
import { types, type PGlite } from '@electric-sql/pglite';

/** Element types whose arrays a Prisma schema can declare on PostgreSQL (String[], Int[], …, @db.Uuid, enums aside). */
const MAPPED_ELEMENTS = [
  'bool', 'bytea', 'char', 'name', 'int2', 'int4', 'int8', 'oid', 'float4', 'float8', 'numeric', 'money',
  'text', 'varchar', 'bpchar', 'xml', 'json', 'jsonb', 'uuid', 'bit', 'varbit', 'inet', 'cidr',
  'date', 'time', 'timetz', 'timestamp', 'timestamptz', 'interval',
];

/** Postgres's first id for objects made after initdb (FirstNormalObjectId): the database's own types. */
const FIRST_USER_OID = 16384;

/** Cuts `db.parsers` to the scalar defaults and the arrays its columns can be; returns how many entries it kept. */
export async function keepColumnParsers(db: PGlite): Promise<number> {
  const { rows } = await db.query<{ typarray: number }>(
    `SELECT t.typarray FROM pg_catalog.pg_type t
     WHERE t.typarray <> 0 AND (t.oid >= ${FIRST_USER_OID} OR (t.typnamespace = 'pg_catalog'::regnamespace AND t.typname = ANY($1::text[])))`,
    [MAPPED_ELEMENTS],
  );
  const arrays = new Set(rows.map((r) => String(r.typarray)));
  const scalars = new Set(Object.keys(types.parsers));
  // Element parsers are looked up in db.parsers when an array is parsed: the scalars stay.
  db.parsers = Object.fromEntries(Object.entries(db.parsers).filter(([type]) => scalars.has(type) || arrays.has(type)));
  return Object.keys(db.parsers).length;
}
