import { describe } from 'vitest';
import { prismaOperationLogSuite } from '../../test/support/prisma-operation-log.suite.js';
import { openTempPGlite } from '../../test/support/test-databases.js';

describe('PrismaOperationLog on PGlite', () => {
  prismaOperationLogSuite(openTempPGlite);
});
