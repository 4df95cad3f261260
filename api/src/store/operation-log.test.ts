import { describe } from 'vitest';
import { prismaOperationLogSuite } from '../../test/support/prisma-operation-log.suite.ts';
import { openTempPGlite } from '../../test/support/test-databases.ts';

describe('PrismaOperationLog on PGlite', () => {
  prismaOperationLogSuite(openTempPGlite);
});
