// `node pglite-initdb.ts <dir> <start parameters as JSON>`: makes a new
// embedded cluster in <dir> (pglite-cluster.ts runs it as a child process).
// PGlite creates it (initdb, in a second WebAssembly instance of its own)
// and shuts down cleanly; the process then exits, and its memory with it.
import { PGlite } from '@electric-sql/pglite';

const [dir, params] = process.argv.slice(2);
if (!dir || !params) throw new Error('usage: pglite-initdb.ts <dir> <start parameters as JSON>');
const db = await PGlite.create({ dataDir: dir, startParams: JSON.parse(params) as string[] });
await db.close();
