// The embedded database's first start. PGlite makes a missing cluster by
// running initdb in a second, throw-away PGlite and copying the result in;
// that instance's WebAssembly memory and a copy of it PGlite takes stay in
// the node's RSS until a full GC, and the copy's malloc'd pages after it
// (measured: 781 MiB idle after a first start, 566 after a full GC, against
// 449 restarted on the same directory). So a missing cluster is made by a
// short child process, whose memory the OS takes back whole when it exits
// (a worker thread leaves its malloc arena's pages behind: +50 MiB), and
// the node then opens it as it opens an existing one.
import { spawn } from 'node:child_process';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const INITDB_SCRIPT = fileURLToPath(new URL('./pglite-initdb.ts', import.meta.url));

/** Whether `dir` holds a PostgreSQL cluster. */
export async function hasCluster(dir: string): Promise<boolean> {
  return stat(path.join(dir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
}

/**
 * Makes a new cluster at `dir`, which must not exist or be empty. It is
 * built beside it (`<dir>.initdb`) and renamed into place, so a start
 * killed half-way leaves no half-made cluster; the next start removes the
 * leftover and builds again.
 */
export async function createCluster(dir: string, startParams: readonly string[]): Promise<void> {
  const notEmpty = () => new Error(`${dir} holds files but no database (no PG_VERSION): move them away, then start again`);
  // Files that are not a cluster are not ours to replace.
  const present = await readdir(dir).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  });
  if (present.length > 0) throw notEmpty();
  const building = `${dir}.initdb`;
  await rm(building, { recursive: true, force: true });
  try {
    await runInitdb(building, startParams);
    // Replaces an empty directory; fails on one that was filled meanwhile.
    await rename(building, dir).catch((error: unknown) => {
      const code = (error as NodeJS.ErrnoException).code;
      throw code === 'ENOTEMPTY' || code === 'EEXIST' ? notEmpty() : error;
    });
  } finally {
    await rm(building, { recursive: true, force: true });
  }
}

function runInitdb(dir: string, startParams: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [INITDB_SCRIPT, dir, JSON.stringify(startParams)], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-2_000)));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`creating the embedded database failed (initdb process: ${signal ?? `exit code ${code}`}): ${stderr.trim()}`));
    });
  });
}
