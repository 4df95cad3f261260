// Errors as the user should read them. The server's typed codes (docs/protocol.md §9,
// extensions.code) decide the message; the server's own text is shown only
// for BAD_USER_INPUT, whose messages are written for people ("Password must
// be 8 to 256 characters"). Everything else gets a fixed, friendly sentence.
import type { CombinedError } from '@urql/core';
import { isServerErrorCode, SyncError, type SyncErrorCode } from '../sync/index.ts';

export type ErrorCode = SyncErrorCode;

export class ApiError extends SyncError {
  readonly field?: string;
  constructor(code: ErrorCode, message: string, field?: string, extensions: Readonly<Record<string, unknown>> = {}) {
    super(code, message, extensions);
    this.field = field;
    this.name = 'ApiError';
  }
}

/** An urql error as an ApiError: the first GraphQL error's code, else a network failure. */
export function apiErrorOf(error: CombinedError | undefined): ApiError {
  const first = error?.graphQLErrors[0];
  if (first) {
    const code = first.extensions?.code;
    const field = first.extensions?.field;
    // Unknown codes (e.g. a masked internal error) read as "try again".
    return new ApiError(isServerErrorCode(code) ? code : 'UNAVAILABLE', first.message, typeof field === 'string' ? field : undefined, first.extensions ?? {});
  }
  return new ApiError('NETWORK', error?.networkError?.message ?? 'network error');
}

/** Where the error happened changes what the user needs to hear. */
export type ErrorContext = 'log-in' | 'sign-up' | 'document' | 'edit' | 'share' | 'history' | 'list' | 'comment' | 'suggestion';

export function messageFor(error: { code: ErrorCode; message: string }, context: ErrorContext): string {
  switch (error.code) {
    case 'UNAUTHENTICATED':
      return context === 'log-in' ? 'Wrong email or password.' : 'Your session has ended. Please log in again.';
    case 'FORBIDDEN':
      if (context === 'edit') return 'You can view this document but not edit it. Your last change was undone.';
      if (context === 'share') return 'Only the owner can change who has access.';
      if (context === 'history') return 'Viewers cannot restore versions. Ask the owner for edit access.';
      if (context === 'comment') return 'Viewers cannot comment. Ask the owner for comment access.';
      if (context === 'suggestion') return 'Only editors can accept or reject suggestions (you may withdraw your own).';
      return 'You do not have permission to do that.';
    case 'NOT_FOUND':
      if (context === 'share') return 'There is no account with that email. Ask them to sign up first.';
      return 'This document does not exist, or it is no longer shared with you.';
    case 'BAD_USER_INPUT':
      if (context === 'edit') return `The server refused an edit (${error.message}); it was undone. Reload if the text looks wrong.`;
      return error.message;
    case 'CONFLICT_RETRY_EXHAUSTED':
      return 'The document is very busy right now. Your edit is being retried.';
    case 'RATE_LIMITED':
      return context === 'log-in' || context === 'sign-up' ? 'Too many attempts. Wait a minute and try again.' : 'Too many requests. Slowing down and retrying shortly.';
    case 'UNAVAILABLE':
      return 'The server is briefly unavailable. Retrying…';
    case 'CONFLICT':
      return 'The document changed meanwhile. Reload it and try again.';
    case 'NOT_AVAILABLE':
      return error.message;
    case 'SNAPSHOT_REQUIRED':
      return context === 'edit'
        ? 'This document was reloaded from a newer version; your unsent edits were re-applied on top of it.'
        : 'That version is older than the history this server keeps.';
    case 'NETWORK':
      return context === 'edit'
        ? 'Cannot reach the server. Your edits are kept and will be sent when the connection returns.'
        : 'Cannot reach the server. Check your connection and try again.';
  }
}
