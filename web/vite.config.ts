// Vite for the web client: `npm run dev:web` serves it with hot reload and
// proxies /graphql (HTTP and WebSocket) to an API started with `npm start`;
// `npm run build:web` writes web/dist, which the API serves at /.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, transformWithOxc, type Plugin } from 'vite';

// Build tooling, not the server: the one place besides api/src/config.ts that reads the environment.
const api = process.env.API_URL ?? 'http://localhost:4000';

/**
 * Writes sw.js (web/src/offline/service-worker.ts) beside the build, with
 * the paths of this build's files and a hash of them: a new deploy is a new
 * worker with a new cache, which replaces the old shell when it activates.
 */
function serviceWorker(): Plugin {
  return {
    name: 'service-worker',
    apply: 'build',
    async generateBundle(_options, bundle) {
      const files = Object.keys(bundle)
        .filter((name) => !name.endsWith('.map'))
        .sort();
      const hash = createHash('sha256');
      for (const name of files) {
        const file = bundle[name]!;
        hash.update(name).update(file.type === 'chunk' ? file.code : file.source);
      }
      const build = hash.digest('hex').slice(0, 16);
      const shell = files.filter((name) => name !== 'index.html').map((name) => '/' + name);
      const source = await readFile(fileURLToPath(new URL('src/offline/service-worker.ts', import.meta.url)), 'utf8');
      const { code } = await transformWithOxc(source, 'service-worker.ts', { lang: 'ts' });
      const head = `const BUILD = ${JSON.stringify(build)};\nconst SHELL = ${JSON.stringify(shell)};\n`;
      this.emitFile({ type: 'asset', fileName: 'sw.js', source: head + code });
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react(), serviceWorker()],
  // web/public holds the placeholder page served while no build exists; not part of the app.
  publicDir: false,
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1024 },
  server: {
    port: 5173,
    // Builds (npm start's prestart) write here; not sources to reload for.
    watch: { ignored: ['**/dist/**', '**/.dist-*/**'] },
    // The Host header stays the dev server's, so the API's same-origin
    // check (Origin vs Host) passes for the WebSocket upgrade too.
    proxy: { '/graphql': { target: api, ws: true } },
  },
});
