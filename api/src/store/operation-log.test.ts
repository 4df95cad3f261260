import { describe } from 'vitest';
import { prismaOperationLogSuite } from './operation-log.suite.js';
import { openTempPGlite } from './test-databases.js';

describe('PrismaOperationLog on PGlite', () => {
  prismaOperationLogSuite(openTempPGlite);
});
