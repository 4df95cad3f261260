// What travels between a client and the server, as both sides type it. `D`
// is the delta as the side holds it: JSON on the wire and in clients, a
// parsed, validated Delta once the server's Delta scalar has read it.
import type { DeltaJSON } from './delta.ts';

/** A committed op as the stream (`documentOperations`) delivers it. */
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

/**
 * A submission (`submitOperation`'s input): `delta` written against
 * `baseVersion`; (clientId, clientSeq) is its idempotency key, so resending
 * the same one after a lost answer commits it at most once.
 */
export interface SubmitInput<D = DeltaJSON> {
  documentId: string;
  baseVersion: number;
  delta: D;
  clientId: string;
  clientSeq: number;
  /**
   * Where, in the content at baseVersion, this client's previous op's text
   * ends: there this op's inserts go before concurrent ones (rebase.ts).
   */
  runEnd?: number | null;
}

/** `updatePresence`'s arguments: a selection at `version` (server coordinates). */
export interface PresenceInput {
  documentId: string;
  clientId: string;
  version: number;
  index: number;
  length: number;
}
