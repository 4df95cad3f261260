// What the engine needs from the network, and nothing more. The web app
// implements it over urql + graphql-ws; tests implement it over a fake
// authority; a benchmark can implement it over anything.
import type { DeltaJSON } from './delta.js';

/**
 * The error codes of DESIGN §4, UNAVAILABLE (the server's database is away
 * for a moment), and NETWORK for "the server could not be reached".
 */
export type SyncErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONFLICT_RETRY_EXHAUSTED'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'NETWORK';

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
