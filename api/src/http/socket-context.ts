// What the server keeps on each graphql-ws socket (graphql-ws's ctx.extra):
// read and written by the socket guard (socket-guard.ts) and by operations
// signed in on their own (operation-auth.ts).
import type { Context } from 'graphql-ws';
import type { AccessEnd, AccessLease } from '../auth/access-lease.ts';
import type { Viewer } from '../documents/documents.ts';
import type { AcceptedSocket } from './socket-server.ts';

/** The access of one operation: its lease, and a promise that settles when the lease ends. */
export interface OperationGrant {
  lease: AccessLease;
  ended: Promise<AccessEnd>;
  /** Signed in by an API token (its end is a revoked token, not a session). */
  token?: boolean;
}

export type SocketExtra = {
  viewer?: Viewer | null;
  ip?: string;
  /** What the socket holds once accepted (its access lease, or an anonymous socket's idle check); releaseSocket (socket-guard.ts) stops it and every operation's lease. */
  held?: { release(): void };
  /** Access of the operations signed in on their own, by operation id (operation-auth.ts). */
  operations?: Map<string, OperationGrant>;
  /** Users who signed in operations on this socket: each counted once against socketsPerUser. */
  operationUsers?: Map<string, Promise<void>>;
};

export type SocketCtx = Context<Record<string, unknown> | undefined, AcceptedSocket & Partial<SocketExtra>>;
