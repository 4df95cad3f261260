// Every layer throws AppError; the GraphQL layer turns it into
// `extensions.code`, and anything else is masked. The codes are the
// protocol's (protocol/error-codes.ts), one list for server and clients.
import type { ServerErrorCode } from '../../protocol/error-codes.js';

export type ErrorCode = ServerErrorCode;

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

/** FORBIDDEN: the action needs the `needed` role and the viewer holds `role`. */
export const forbidden = (needed: string, role: string) => new AppError('FORBIDDEN', `This needs the ${needed} role; you are ${role}`, { role });
