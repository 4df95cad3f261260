// The in-memory log runs the same OperationLog contract as PGlite and
// PostgreSQL (api/src/store/operation-log*.test.ts), so the fast sequencer
// tests built on it stand on a log that behaves like the real one.
import { randomUUID } from 'node:crypto';
import { operationLogContract } from '../../test/support/operation-log.contract.ts';
import { MemoryOperationLog } from './memory-log.ts';

operationLogContract('MemoryOperationLog: the OperationLog contract', async () => {
  const log = new MemoryOperationLog();
  return {
    log,
    createDocument: async () => {
      const id = randomUUID();
      log.createDocument(id);
      return id;
    },
    close: async () => {},
  };
});
