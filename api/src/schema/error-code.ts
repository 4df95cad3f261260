// The error codes as a schema type, so that codegen gives every client the
// server's list (protocol/error-codes.ts is the one definition). No field
// returns it: the codes travel in each error's `extensions.code`.
import { ERROR_CODES } from '../../../protocol/error-codes.ts';
import { builder } from './builder.ts';

export const ErrorCodeEnum = builder.enumType('ErrorCode', {
  description:
    'What a GraphQL error carries in `extensions.code` (every error the server reports has one; anything else is masked). docs/protocol.md, "Errors", says what to do about each.',
  values: Object.fromEntries(Object.entries(ERROR_CODES).map(([code, description]) => [code, { description }])),
});
