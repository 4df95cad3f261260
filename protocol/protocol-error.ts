// A refusal with one of the protocol's codes (error-codes.ts). The checks
// that live here (delta validation) throw it, and the server throws it for
// everything else too: api/src/errors.ts's AppError is this class, so the
// GraphQL layer turns either into the same `extensions.code`.
import type { ServerErrorCode } from './error-codes.ts';

export class ProtocolError extends Error {
  readonly code: ServerErrorCode;
  /** Extra fields for `extensions` (never dependency text). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ServerErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError'; // the server's name for it, as logs have always shown it
    this.code = code;
    this.details = details;
  }
}

/** BAD_USER_INPUT: the input is malformed or over a limit (`details`: `field`, or `limit` and `max`). */
export const badInput = (message: string, details?: Record<string, unknown>) => new ProtocolError('BAD_USER_INPUT', message, details);
