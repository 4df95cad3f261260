// Builds the web client into web/dist when it is missing or older than its
// sources, so that `npm ci && npm start` serves the real app and an
// unchanged tree starts at once. Runs as `prestart`; the browser tests call
// ensureWebBuild() before starting their server; `npm run build:web` forces it.
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = (...parts: string[]) => path.join(root, ...parts);
const dist = at('web', 'dist');
const generated = at('web', 'src', 'gql');

/** Newest modification time (ms) of the files under `dir` (skipping `skip`), or of the file itself. */
function newest(entry: string, skip?: string): number {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let max = 0;
  for (const name of readdirSync(entry)) {
    const child = path.join(entry, name);
    if (child !== skip) max = Math.max(max, newest(child, skip));
  }
  return max;
}

export type BuildResult = 'fresh' | 'built' | 'unavailable';

export async function ensureWebBuild(options: { force?: boolean; log?: (line: string) => void } = {}): Promise<BuildResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const sources = Math.max(
    newest(at('web', 'src'), generated),
    newest(at('protocol')), // the app imports the protocol core from there
    ...['web/index.html', 'web/vite.config.ts', 'web/tsconfig.json', 'schema.graphql', 'codegen.ts', 'package-lock.json'].map((f) => newest(at(f))),
  );
  const built = newest(path.join(dist, 'index.html'));
  if (!options.force && built > 0 && built >= sources) return 'fresh';

  let vite: typeof import('vite');
  let codegen: typeof import('@graphql-codegen/cli');
  try {
    vite = await import('vite');
    codegen = await import('@graphql-codegen/cli');
  } catch {
    // A production install (npm ci --omit=dev) has no build tools: serve what exists.
    log('[web] build tools not installed (dev dependencies); serving ' + (built > 0 ? 'the existing build (may be stale)' : 'the placeholder page'));
    return 'unavailable';
  }

  const started = Date.now();
  log(built > 0 && !options.force ? '[web] sources changed: rebuilding the web client…' : '[web] building the web client…');
  // Typed documents first: the app imports them.
  if (newest(path.join(generated, 'graphql.ts')) < Math.max(sources, newest(at('schema.graphql')))) {
    const { default: config } = (await import(pathToFileURL(at('codegen.ts')).href)) as { default: import('@graphql-codegen/cli').CodegenConfig };
    await codegen.generate({ ...config, cwd: root, silent: true }, true);
  }
  // Build beside the live directory, then swap, so a server starting now
  // never sees a half-written build.
  const staging = at('web', `.dist-${process.pid}`);
  // A production build whoever calls (vitest sets NODE_ENV=test, which would give React's development build).
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await vite.build({ configFile: at('web', 'vite.config.ts'), mode: 'production', logLevel: 'warn', build: { outDir: staging, emptyOutDir: true } });
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  rmSync(dist, { recursive: true, force: true });
  renameSync(staging, dist);
  log(`[web] built web/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return 'built';
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  ensureWebBuild({ force: process.argv.includes('--force') }).catch((error: unknown) => {
    console.error('[web] build failed:', error);
    process.exit(1);
  });
}
