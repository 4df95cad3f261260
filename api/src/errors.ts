// Every layer throws AppError; the GraphQL layer turns it into
// `extensions.code`, and anything else is masked. The codes are the
// protocol's (protocol/error-codes.ts), one list for server and clients.
import type { ServerErrorCode } from '../../protocol/error-codes.ts';
import { ProtocolError } from '../../protocol/protocol-error.ts';

export type ErrorCode = ServerErrorCode;

/** The protocol's error class under the server's name: what protocol/ (delta validation) throws is an AppError too. */
export const AppError = ProtocolError;
export type AppError = ProtocolError;

export { badInput } from '../../protocol/protocol-error.ts';

export const notFound = (what = 'Document') => new AppError('NOT_FOUND', `${what} not found`);

/** FORBIDDEN: the action needs the `needed` role and the viewer holds `role`. */
export const forbidden = (needed: string, role: string) => new AppError('FORBIDDEN', `This needs the ${needed} role; you are ${role}`, { role });
