// The codes a server puts in `extensions.code` of a GraphQL error (docs/
// protocol.md, "Errors"), the one list of them: the api's AppError takes its
// codes from here, the sync engine judges what to retry by them, and the
// schema exposes them as the `ErrorCode` enum so codegen gives any client
// the same list. Each with what it means for a client.
export const ERROR_CODES = {
  UNAUTHENTICATED: 'No valid access token, or wrong credentials from logIn: refresh the session, then retry the same request.',
  FORBIDDEN: 'Your role on the document is too low (extensions.role is yours): do not retry; drop pending ops and go read-only.',
  NOT_FOUND: 'The document does not exist or you may not see it: stop editing it and drop its pending ops.',
  BAD_USER_INPUT: 'Malformed or refused input (a delta, a limit, a field): do not resend the same op.',
  CONFLICT_RETRY_EXHAUSTED: 'Too many writers raced for the same versions (retryable): resend the same op after a short, jittered pause.',
  RATE_LIMITED: 'A budget is spent (extensions.limit, extensions.retryAfterMs): resend the same op after retryAfterMs.',
  // Not in the original design's list: a restart or failover of the
  // database is a moment, not a refusal.
  UNAVAILABLE: 'The database is unreachable for a moment (retryable): resend the same op after a backoff.',
  // editDocument's requiredVersion (docs/protocol.md, "Writing agents and backends").
  CONFLICT: 'The document is no longer at the version you required (extensions.headVersion is where it is): nothing was applied; read it again, rebuild your edits and resend.',
  // Log retention (docs/protocol.md, "Log retention").
  SNAPSHOT_REQUIRED:
    'The ops after your version are no longer kept (extensions.snapshotVersion is the oldest version the log still starts from; extensions.committed says whether the op you resubmitted was committed): nothing was applied; load the document again and re-apply your unsent edits on top of it.',
  NOT_AVAILABLE: 'What you asked for is not available on this server (extensions.reason says what): do not retry.',
} as const satisfies Record<string, string>;

export type ServerErrorCode = keyof typeof ERROR_CODES;

export const SERVER_ERROR_CODES = Object.keys(ERROR_CODES) as ServerErrorCode[];

/** Whether `code` (an `extensions.code` as received) is one of the server's. */
export const isServerErrorCode = (code: unknown): code is ServerErrorCode => typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
