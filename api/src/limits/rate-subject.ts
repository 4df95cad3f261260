// Whose budget a request draws on. An API token has budgets of its own,
// apart from its creator's: a runaway agent is held to its own limits and
// cannot starve the person who made it (nor the person the agent).
import type { Viewer } from '../documents/documents.ts';
import type { LimitCheck } from './rate-limits.ts';

/** The key of a per-user budget: the user, or `token:<id>` for an API token. */
export const rateSubject = (viewer: Pick<Viewer, 'userId' | 'token'>): string => (viewer.token ? `token:${viewer.token.id}` : viewer.userId);

/** The budgets a write (submitOperation, restoreVersion, editDocument) draws on: per address, and per user or per token. */
export function submissionChecks(viewer: Viewer | null, ip: string): LimitCheck[] {
  const checks: LimitCheck[] = [['submitPerIp', ip]];
  if (viewer?.token) checks.push(['submitPerToken', viewer.token.id]);
  else if (viewer) checks.push(['submitPerUser', viewer.userId]);
  return checks;
}
