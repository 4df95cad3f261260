import { describe } from 'vitest';
import { prismaOperationLogSuite } from './operation-log.suite.js';
import { openTempPostgres, postgresTestUrl, SKIPPED_WITHOUT_URL } from './test-databases.js';

const url = postgresTestUrl();

describe.skipIf(!url)(`PrismaOperationLog on PostgreSQL${SKIPPED_WITHOUT_URL}`, () => {
  prismaOperationLogSuite(() => openTempPostgres(url ?? ''));
});
