import { describe } from 'vitest';
import { prismaOperationLogSuite } from '../../test/support/prisma-operation-log.suite.ts';
import { openTempPostgres, postgresTestUrl, SKIPPED_WITHOUT_URL } from '../../test/support/test-databases.ts';

const url = postgresTestUrl();

describe.skipIf(!url)(`PrismaOperationLog on PostgreSQL${SKIPPED_WITHOUT_URL}`, () => {
  prismaOperationLogSuite(() => openTempPostgres(url ?? ''));
});
