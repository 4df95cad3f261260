// Entry point of `npm run db:migrate`: applies prisma/migrations to the
// configured database (DATABASE_URL, else the embedded PGlite under
// DATA_DIR) and prints what it applied.
import { ConfigError, loadDatabaseConfig } from '../config.ts';
import { openDatabase } from './database.ts';
import { applyMigrations, MIGRATIONS_DIR } from './migrate.ts';

let settings;
try {
  settings = loadDatabaseConfig();
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
}
const db = await openDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir, embeddedFsync: settings.embeddedFsync, embeddedSharedBuffersMb: settings.embeddedSharedBuffersMb, poolSize: 1 });
try {
  const target = db.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${settings.dataDir}`;
  const applied = await applyMigrations(db.sql, MIGRATIONS_DIR, (msg) => console.log(msg));
  console.log(applied.length === 0 ? `${target}: already up to date` : `${target}: applied ${applied.length} migration(s): ${applied.join(', ')}`);
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await db.close();
}
