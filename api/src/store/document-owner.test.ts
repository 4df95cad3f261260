import { describe } from 'vitest';
import { documentOwnerSuite } from '../../test/support/document-owner.suite.js';
import { openTempPGlite } from '../../test/support/test-databases.js';

describe('a document keeps an owner, on PGlite', () => {
  documentOwnerSuite(openTempPGlite);
});
