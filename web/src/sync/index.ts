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
export { OtClient, type ClientState, type OtClientSnapshot, type OutgoingOp, type StreamOp } from './ot-client.js';
export { MemoryPendingStore, type PendingStore, type PersistedState } from './pending-store.js';
export type { RemotePresence } from './presence-tracker.js';
export { randomClientId, systemScheduler, type Scheduler, type TimerHandle } from './scheduler.js';
export {
  isRetryable,
  isServerErrorCode,
  SyncError,
  toSyncError,
  type PresenceInput,
  type ServerErrorCode,
  type StreamSink,
  type SubmitInput,
  type SyncErrorCode,
  type SyncTransport,
  type Unsubscribe,
  type WireOp,
  type WirePresence,
} from './transport.js';
