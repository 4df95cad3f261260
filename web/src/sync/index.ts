// The framework-free sync engine: everything a client (the web app, a test,
// a benchmark, a bot) needs to edit a document together with others.
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
export { Delta, isNoop, type DeltaJSON, type DeltaOp } from '../../../protocol/delta.js';
export {
  DocumentSync,
  type ConnectionStatus,
  type ContentChange,
  type DocumentSyncOptions,
  type SyncSnapshot,
} from './document-sync.js';
export { createGraphqlWsTransport } from './graphql-ws-transport.js';
export { OtClient, type ClientState, type OtClientSnapshot, type OutgoingOp, type StreamOp } from './ot-client.js';
export { MemoryPendingStore, type PendingStore, type PersistedState } from './pending-store.js';
export type { RemotePresence } from './presence-tracker.js';
export { randomClientId, systemScheduler, type Scheduler, type TimerHandle } from './scheduler.js';
export {
  closeCodeError,
  isRetryable,
  SyncError,
  toSyncError,
  type StreamSink,
  type SyncErrorCode,
  type SyncTransport,
  type Unsubscribe,
} from './transport.js';
export { ERROR_CODES, isServerErrorCode, SERVER_ERROR_CODES, type ServerErrorCode } from '../../../protocol/error-codes.js';
export type { PresenceInput, SubmitInput, WireOp, WirePresence } from '../../../protocol/wire.js';
