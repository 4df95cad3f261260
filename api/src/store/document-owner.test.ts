import { describe } from 'vitest';
import { documentOwnerSuite } from './document-owner.suite.js';
import { openTempPGlite } from './test-databases.js';

describe('a document keeps an owner, on PGlite', () => {
  documentOwnerSuite(openTempPGlite);
});
