import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql 16 ships CommonJS (main) and ESM (module). Node, and so every
    // dependency (yoga, Pothos, graphql-tools), loads the CommonJS build;
    // Vite would give our own files the ESM one, and then `instanceof
    // GraphQLError` fails across the two copies. One copy for everyone.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    // bench/: only the harness's smoke test; benchmarks themselves never run as tests.
    include: ['protocol/**/*.test.ts', 'api/**/*.test.ts', 'web/**/*.test.ts', 'bench/**/*.test.ts', 'mcp/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
