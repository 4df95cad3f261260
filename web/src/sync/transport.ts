// What the engine needs from the network, and nothing more. The web app
// implements it over urql + graphql-ws; tests implement it over a fake
// authority; a benchmark can implement it over anything.
import type { DeltaJSON } from '../../../protocol/delta.js';

/**
 * The codes a server puts in `extensions.code` (DESIGN §4), the one list of
 * them: the api's AppError takes its codes from here. UNAVAILABLE is not in
 * DESIGN §4's list: the database is unreachable for a moment (restart,
 * failover); retryable, resubmit the same op after a pause.
 */
const SERVER_ERROR_CODES = ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'BAD_USER_INPUT', 'CONFLICT_RETRY_EXHAUSTED', 'RATE_LIMITED', 'UNAVAILABLE'] as const;

export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[number];

/** A server's code, or NETWORK for "the server could not be reached". */
export type SyncErrorCode = ServerErrorCode | 'NETWORK';

const SERVER_CODES: ReadonlySet<unknown> = new Set(SERVER_ERROR_CODES);

/** Whether `code` (an `extensions.code` as received) is one of the server's. */
export const isServerErrorCode = (code: unknown): code is ServerErrorCode => SERVER_CODES.has(code);

export class SyncError extends Error {
  constructor(readonly code: SyncErrorCode, message: string = code) {
    super(message);
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

export interface WireOp {
  version: number;
  delta: DeltaJSON;
  clientId: string;
  clientSeq: number;
}

export interface WirePresence {
  clientId: string;
  user: { id: string; name: string } | null;
  version: number;
  index: number;
  length: number;
  /** The entry is gone (its socket closed, or it expired): drop it. */
  left?: boolean;
}

export interface SubmitInput {
  documentId: string;
  baseVersion: number;
  delta: DeltaJSON;
  clientId: string;
  clientSeq: number;
}

export interface PresenceInput {
  documentId: string;
  clientId: string;
  version: number;
  index: number;
  length: number;
}

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
  /** `documentPresence(documentId)`. */
  subscribePresence(documentId: string, sink: StreamSink<WirePresence>): Unsubscribe;
  /** `updatePresence`. */
  updatePresence(input: PresenceInput): Promise<void>;
}
