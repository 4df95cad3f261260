// What a GraphQL error means for the client and for the logs, decided once
// for the error mask (graphql.ts) and the request log (request-log.ts):
// an AppError is a typed client error; GraphQL's own (syntax, validation,
// coercion) is the client's malformed request; a database outage is
// UNAVAILABLE; anything else is a fault of ours.
import { GraphQLError } from 'graphql';
import { AppError } from '../errors.ts';
import { isDatabaseUnavailable } from '../store/unavailable.ts';

/** The code the client gets for anything that is not its fault. */
export const INTERNAL = 'INTERNAL_SERVER_ERROR';

/** The error behind GraphQL's wrappers (located, then relocated by the executor). */
export function rootCause(error: unknown): unknown {
  let cause = error;
  while (cause instanceof GraphQLError && cause.originalError) cause = cause.originalError;
  return cause;
}

/** The `extensions.code` the client gets for `error` once masked. */
export function clientCode(error: unknown): string {
  const cause = rootCause(error);
  if (cause instanceof AppError) return cause.code;
  const own = error instanceof GraphQLError ? error.extensions?.code : undefined;
  if (typeof own === 'string') return own;
  if (cause instanceof GraphQLError) return typeof cause.extensions.code === 'string' ? cause.extensions.code : 'BAD_USER_INPUT';
  if (isDatabaseUnavailable(cause)) return 'UNAVAILABLE';
  return INTERNAL;
}

/** Codes worth an operator's look without being our fault: abuse, or trouble with a dependency. */
const WARN_CODES: ReadonlySet<string> = new Set(['RATE_LIMITED', 'UNAVAILABLE', 'CONFLICT_RETRY_EXHAUSTED']);

/** Log level for an operation that failed with `codes`: error only for faults of ours; a client's mistake is info. */
export function logLevelFor(codes: readonly string[]): 'info' | 'warn' | 'error' {
  if (codes.some((code) => code === INTERNAL)) return 'error';
  return codes.some((code) => WARN_CODES.has(code)) ? 'warn' : 'info';
}
