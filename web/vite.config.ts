// Vite for the web client: `npm run dev:web` serves it with hot reload and
// proxies /graphql (HTTP and WebSocket) to an API started with `npm start`;
// `npm run build:web` writes web/dist, which the API serves at /.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Build tooling, not the server: the one place besides api/src/config.ts that reads the environment.
const api = process.env.API_URL ?? 'http://localhost:4000';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
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
