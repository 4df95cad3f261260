import { describe } from 'vitest';
import { previewWriterSuite } from '../../test/support/preview-writer.suite.ts';
import { openTempPGlite } from '../../test/support/test-databases.ts';

describe('PreviewWriter on PGlite', () => {
  previewWriterSuite(openTempPGlite);
});
