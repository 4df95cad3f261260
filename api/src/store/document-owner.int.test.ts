import { describe } from 'vitest';
import { documentOwnerRaceSuite, documentOwnerSuite } from '../../test/support/document-owner.suite.ts';
import { openTempPostgres, postgresTestUrl, SKIPPED_WITHOUT_URL } from '../../test/support/test-databases.ts';

const url = postgresTestUrl();

describe.skipIf(!url)(`a document keeps an owner, on PostgreSQL${SKIPPED_WITHOUT_URL}`, () => {
  documentOwnerSuite(() => openTempPostgres(url ?? ''));
  documentOwnerRaceSuite(() => openTempPostgres(url ?? ''));
});
