import { describe } from 'vitest';
import { documentOwnerSuite } from '../../test/support/document-owner.suite.ts';
import { openTempPGlite } from '../../test/support/test-databases.ts';

describe('a document keeps an owner, on PGlite', () => {
  documentOwnerSuite(openTempPGlite);
});
