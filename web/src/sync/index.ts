// The framework-free sync engine: everything a client (the web app, a test,
// a benchmark, a bot) needs to edit a document together with others.
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.ts';
export { Delta, isNoop, type DeltaJSON, type DeltaOp } from '../../../protocol/delta.ts';
export {
  DocumentSync,
  type ConnectionStatus,
  type ContentChange,
  type DocumentSyncOptions,
  type SyncSnapshot,
} from './document-sync.ts';
export { createGraphqlWsTransport } from './graphql-ws-transport.ts';
export { OtClient, type ClientState, type OtClientSnapshot, type OutgoingOp, type StreamOp } from './ot-client.ts';
export { MemoryPendingStore, type PendingStore, type PersistedState } from './pending-store.ts';
export type { RemotePresence } from './presence-tracker.ts';
export { randomClientId, systemScheduler, type Scheduler, type TimerHandle } from './scheduler.ts';
export {
  closeCodeError,
  isRetryable,
  SyncError,
  toSyncError,
  type StreamSink,
  type SyncErrorCode,
  type SyncTransport,
  type Unsubscribe,
} from './transport.ts';
export { ERROR_CODES, isServerErrorCode, SERVER_ERROR_CODES, type ServerErrorCode } from '../../../protocol/error-codes.ts';
export type { PresenceInput, SubmitInput, WireOp, WirePresence } from '../../../protocol/wire.ts';
