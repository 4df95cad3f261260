import { describe } from 'vitest';
import { migrationSuite } from '../../test/support/migrate.suite.ts';
import { openTempPostgres, postgresTestUrl, SKIPPED_WITHOUT_URL } from '../../test/support/test-databases.ts';

const url = postgresTestUrl();

describe.skipIf(!url)(`migrations on PostgreSQL${SKIPPED_WITHOUT_URL}`, () => {
  migrationSuite(() => openTempPostgres(url ?? ''));
});
