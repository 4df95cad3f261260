// Share by link, in the share dialog (owners): make a link with a role,
// copy it (its secret is shown only when made), revoke one. Revoking takes
// away the access it gave, from everyone who joined through it.
import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { apiErrorOf, messageFor } from '../api/errors.ts';
import { CreateShareLink, RevokeShareLink, ShareLinks } from '../api/operations.ts';
import type { Role } from '../gql/graphql.ts';
import { relativeTime } from './relative-time.ts';

const LINK_ROLES: Array<{ role: Role; label: string }> = [
  { role: 'VIEWER', label: 'Can view' },
  { role: 'COMMENTER', label: 'Can comment' },
  { role: 'EDITOR', label: 'Can edit' },
];

export function ShareLinkSection({ documentId }: { documentId: string }) {
  const [{ data }, refetch] = useQuery({ query: ShareLinks, variables: { id: documentId } });
  const [, create] = useMutation(CreateShareLink);
  const [, revoke] = useMutation(RevokeShareLink);
  const [role, setRole] = useState<Role>('VIEWER');
  const [made, setMade] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const reload = () => refetch({ requestPolicy: 'network-only' });

  const makeLink = async () => {
    setProblem(null);
    const result = await create({ id: documentId, role });
    if (result.error) return setProblem(messageFor(apiErrorOf(result.error), 'share'));
    const url = `${location.origin}/join/${encodeURIComponent(result.data!.createShareLink.secret)}`;
    setMade(url);
    await navigator.clipboard?.writeText(url).catch(() => {});
    reload();
  };

  const revokeLink = async (id: string) => {
    if (!confirm('Revoke this link? Everyone who joined through it loses access.')) return;
    const result = await revoke({ id });
    if (result.error) setProblem(messageFor(apiErrorOf(result.error), 'share'));
    setMade(null);
    reload();
  };

  const links = data?.document?.shareLinks ?? [];
  return (
    <section className="share-links" data-testid="share-links">
      <h3>Share by link</h3>
      <div className="share-link-make">
        <select value={role} onChange={(e) => setRole(e.target.value as Role)} aria-label="Link role">
          {LINK_ROLES.map((r) => (
            <option key={r.role} value={r.role}>
              {r.label}
            </option>
          ))}
        </select>
        <button type="button" className="button small" onClick={makeLink} data-testid="create-link">
          Create link
        </button>
      </div>
      {made && (
        <p className="notice">
          Link copied (shown only now): <input readOnly value={made} aria-label="New link" data-testid="new-link" onFocus={(e) => e.target.select()} />
        </p>
      )}
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {links.length > 0 && (
        <ul className="share-link-list">
          {links.map((l) => (
            <li key={l.id}>
              <span>{LINK_ROLES.find((r) => r.role === l.role)?.label ?? l.role}</span>
              <span className="muted small">made {relativeTime(l.createdAt)}</span>
              <button type="button" className="button ghost small danger" onClick={() => revokeLink(l.id)}>
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
