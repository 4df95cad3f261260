// An empty PGlite data directory, made once per machine and PGlite version
// and copied into each test's (or bench target's) fresh DATA_DIR. Creating a
// PGlite from nothing runs initdb inside WebAssembly, several times the time
// of copying and opening an existing one (35 s against 6 s on two cores at
// load 13), and embedded servers are started by most test files.
// The copy is a clean, closed cluster with no schema: the app still applies
// every migration on it at start. Creating from nothing stays tested where it
// is the subject: pglite-cluster.test.ts, and the embedded crash test, which
// starts its api process on an empty DATA_DIR.
// Test support only: the app itself never imports this.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cp, mkdir, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';

const PGLITE_VERSION = (JSON.parse(readFileSync(fileURLToPath(new URL('../../../node_modules/@electric-sql/pglite/package.json', import.meta.url)), 'utf8')) as { version: string })
  .version;

/** Where the template lives: one per PGlite version (a new version may change the on-disk format). */
const TEMPLATE_DIR = path.join(os.tmpdir(), `collab-pglite-template-${PGLITE_VERSION}`);

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  );

let made: Promise<string> | undefined;

/**
 * The template's path, made if missing. Files (and so test workers) race to
 * make it: each builds in a directory of its own and renames it into place,
 * which is atomic; the loser of the rename throws its copy away.
 */
function template(): Promise<string> {
  return (made ??= (async () => {
    if (await exists(TEMPLATE_DIR)) return TEMPLATE_DIR;
    const building = `${TEMPLATE_DIR}.${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      const db = await PGlite.create({ dataDir: building });
      await db.close();
      await rename(building, TEMPLATE_DIR).catch(async (error: unknown) => {
        if (!(await exists(TEMPLATE_DIR))) throw error;
      });
      return TEMPLATE_DIR;
    } finally {
      await rm(building, { recursive: true, force: true });
    }
  })().catch((error: unknown) => {
    made = undefined;
    throw error;
  }));
}

/**
 * Puts an empty PGlite cluster where the store opens one in embedded mode
 * (`<dataDir>/pglite`, store/database.ts). `dataDir` must not hold one yet.
 */
export async function seedEmptyPGlite(dataDir: string): Promise<void> {
  const target = path.join(dataDir, 'pglite');
  await mkdir(dataDir, { recursive: true });
  await cp(await template(), target, { recursive: true, errorOnExist: true, force: false });
}
