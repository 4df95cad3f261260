// The one place that defines the error codes clients see (DESIGN §4).
// Every layer throws AppError; the GraphQL layer turns it into
// `extensions.code`, and anything else is masked.

export const ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'CONFLICT_RETRY_EXHAUSTED',
  'RATE_LIMITED',
  // Not in DESIGN §4's list: the database is unreachable for a moment
  // (restart, failover). Retryable: resubmit the same op after a pause.
  'UNAVAILABLE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class AppError extends Error {
  readonly code: ErrorCode;
  /** Extra fields for `extensions` (never dependency text). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }
}

export const badInput = (message: string, details?: Record<string, unknown>) =>
  new AppError('BAD_USER_INPUT', message, details);

export const notFound = (what = 'Document') => new AppError('NOT_FOUND', `${what} not found`);
