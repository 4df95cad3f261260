// The audit trail: sign-ins, sessions ended, and who gave whom access to
// what. The operation log already says who wrote what. One pino line per
// event with `audit: <event>`, so a log pipeline can route them apart.
// Never passwords, tokens or cookies: only ids, emails and roles.
import type { Logger } from './logger.ts';

export type AuditEvent =
  | { event: 'sign-up'; userId: string; email: string; ip: string | null }
  | { event: 'sign-in'; userId: string; email: string; ip: string | null }
  | { event: 'sign-in-failed'; email: string; ip: string | null }
  | { event: 'refresh-token-reuse'; userId: string; familyId: string }
  | { event: 'log-out'; userId: string; familyId: string }
  | { event: 'log-out-everywhere'; userId: string; sessions: number }
  | { event: 'document-shared'; documentId: string; byUserId: string; userId: string; role: string; previousRole: string | null }
  | { event: 'member-removed'; documentId: string; byUserId: string; userId: string; role: string }
  | { event: 'share-unknown-email'; documentId: string; byUserId: string; email: string }
  | { event: 'document-deleted'; documentId: string; byUserId: string }
  | { event: 'api-token-created'; userId: string; tokenId: string; role: string; documentId: string | null }
  | { event: 'api-token-revoked'; userId: string; tokenId: string }
  | { event: 'share-link-created'; documentId: string; byUserId: string; linkId: string; role: string }
  | { event: 'share-link-revoked'; documentId: string; byUserId: string; linkId: string; removed: number }
  | { event: 'joined-by-link'; documentId: string; userId: string; linkId: string; role: string };

export type Audit = (event: AuditEvent) => void;

export const createAudit = (logger: Logger): Audit => {
  const audit = logger.child({ component: 'audit' });
  return ({ event, ...fields }) => audit.info({ audit: event, ...fields }, `audit: ${event}`);
};

/** For code built without a logger (unit tests). */
export const noAudit: Audit = () => {};
