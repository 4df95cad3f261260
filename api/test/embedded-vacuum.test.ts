import { afterEach, expect, test } from 'vitest';
import { startServer, type TestServer } from './harness.ts';
import { captureLogs } from './log-capture.ts';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

// PGlite never starts autovacuum (store/pglite-vacuum.ts): the node must.
test('an embedded node does autovacuum work on the tables that need it', async () => {
  const logs = captureLogs('debug');
  server = await startServer('embedded', { EMBEDDED_VACUUM_INTERVAL_MS: '1000' }, { logger: logs.logger });
  const { sql } = server.services.db;
  await sql.exec('CREATE TABLE vacuum_scratch (id int PRIMARY KEY); INSERT INTO vacuum_scratch SELECT generate_series(1, 100)');

  // 100 rows in a table never analyzed: past autovacuum's threshold of 50.
  await logs.next((line) => line.msg === 'embedded vacuum' && JSON.stringify(line.upkeep).includes('ANALYZE public.vacuum_scratch'), 'of a vacuum pass analyzing the new table');
  const [stats] = await sql.query<{ analyzed: string }>(`SELECT analyze_count AS "analyzed" FROM pg_stat_all_tables WHERE relname = 'vacuum_scratch'`);
  expect(Number(stats?.analyzed)).toBe(1);
});
