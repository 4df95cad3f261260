// What the engine needs from the network, and nothing more. The web app
// implements it over urql + graphql-ws; tests implement it over a fake
// authority; a benchmark can implement it over anything.
import type { DeltaJSON } from '../../../protocol/delta.ts';
import type { ServerErrorCode } from '../../../protocol/error-codes.ts';
import type { PresenceInput, SubmitInput, WireOp, WirePresence } from '../../../protocol/wire.ts';

// The engine's files take the protocol's types from here, beside the transport that carries them.
export { isServerErrorCode, type ServerErrorCode } from '../../../protocol/error-codes.ts';
export type { PresenceInput, SubmitInput, WireOp, WirePresence } from '../../../protocol/wire.ts';

/** A server's code (protocol/error-codes.ts), or NETWORK for "the server could not be reached". */
export type SyncErrorCode = ServerErrorCode | 'NETWORK';

export class SyncError extends Error {
  readonly code: SyncErrorCode;
  /** The server's `extensions` beside the code (e.g. SNAPSHOT_REQUIRED's snapshotVersion and committed). */
  readonly extensions: Readonly<Record<string, unknown>>;
  constructor(code: SyncErrorCode, message: string = code, extensions: Readonly<Record<string, unknown>> = {}) {
    super(message);
    this.code = code;
    this.extensions = extensions;
    this.name = 'SyncError';
  }
}

/** Anything thrown by a transport, as a SyncError (unknown failures count as network trouble). */
export function toSyncError(error: unknown): SyncError {
  if (error instanceof SyncError) return error;
  return new SyncError('NETWORK', error instanceof Error ? error.message : String(error));
}

/** Worth retrying with the same op: the server did not judge it. */
export const isRetryable = (code: SyncErrorCode): boolean =>
  code === 'NETWORK' || code === 'RATE_LIMITED' || code === 'CONFLICT_RETRY_EXHAUSTED' || code === 'UNAVAILABLE' || code === 'UNAUTHENTICATED';

export interface StreamSink<T> {
  /** The stream is established (the socket is up); may come before or after the first value. */
  open(): void;
  next(value: T): void;
  /** The stream failed; nothing more comes. */
  error(error: SyncError): void;
  /** The server ended the stream; nothing more comes. */
  complete(): void;
}

export type Unsubscribe = () => void;

export interface SyncTransport {
  /** Head version and content, to start from when there is no saved state. */
  loadDocument(documentId: string): Promise<{ version: number; content: DeltaJSON }>;
  /** `documentOperations(documentId, afterVersion)`. */
  subscribeOperations(documentId: string, afterVersion: number, sink: StreamSink<WireOp>): Unsubscribe;
  /** `submitOperation`; resolves once the server has answered (the ack itself comes from the stream). */
  submitOperation(input: SubmitInput): Promise<void>;
  /** `documentPresenceBatches(documentId)`: each batch's entries in order. */
  subscribePresence(documentId: string, sink: StreamSink<WirePresence>): Unsubscribe;
  /** `updatePresence`. */
  updatePresence(input: PresenceInput): Promise<void>;
}

/** The server's socket close codes (api/src/http/socket-guard.ts) as sync errors; all retryable. */
const CLOSE_CODE_ERRORS: Readonly<Record<number, SyncError>> = {
  4001: new SyncError('UNAUTHENTICATED', 'The access token expired'),
  4002: new SyncError('UNAUTHENTICATED', 'The session ended'),
  4403: new SyncError('UNAUTHENTICATED', 'The connection was refused'),
  4029: new SyncError('RATE_LIMITED', 'Too many connections'),
};

/** What a graphql-ws close event (`{ code }`) means to the engine; null for a code the server does not use. */
export function closeCodeError(closed: unknown): SyncError | null {
  const code = (closed as { code?: unknown } | null | undefined)?.code;
  return (typeof code === 'number' && CLOSE_CODE_ERRORS[code]) || null;
}
