// Who has access: owners invite by email, change roles and remove people;
// everyone else sees the list.
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { apiErrorOf, messageFor } from '../api/errors.ts';
import { Members, RemoveMember, ShareDocument } from '../api/operations.ts';
import type { SessionUser } from '../api/session.ts';
import type { Role } from '../gql/graphql.ts';
import { colorFor, initials } from '../editor/colors.ts';
import { Modal } from './Modal.tsx';
import { ShareLinkSection } from './ShareLinkSection.tsx';

const ROLE_LABEL: Record<Role, string> = { OWNER: 'Owner', EDITOR: 'Can edit', COMMENTER: 'Can comment', VIEWER: 'Can view' };
const NOW_CAN: Record<Role, string> = { OWNER: 'now owns', EDITOR: 'can now edit', COMMENTER: 'can now comment on', VIEWER: 'can now view' };

export function ShareDialog({ documentId, me, onClose }: { documentId: string; me: SessionUser; onClose: () => void }) {
  const [{ data, error: loadError }, refetch] = useQuery({ query: Members, variables: { id: documentId } });
  const [, share] = useMutation(ShareDocument);
  const [, removeMember] = useMutation(RemoveMember);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('EDITOR');
  const [problem, setProblem] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const owner = data?.document?.myRole === 'OWNER';
  const reload = () => refetch({ requestPolicy: 'network-only' });

  const invite = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    setNotice(null);
    const result = await share({ id: documentId, email, role });
    if (result.error) return setProblem(messageFor(apiErrorOf(result.error), 'share'));
    setNotice(`${result.data!.shareDocument.user.name} ${NOW_CAN[role]} this document.`);
    setEmail('');
    reload();
  };

  const changeRole = async (memberEmail: string, next: Role) => {
    setProblem(null);
    const result = await share({ id: documentId, email: memberEmail, role: next });
    if (result.error) setProblem(messageFor(apiErrorOf(result.error), 'share'));
    reload();
  };

  const remove = async (userId: string) => {
    setProblem(null);
    const result = await removeMember({ documentId, userId });
    if (result.error) setProblem(messageFor(apiErrorOf(result.error), 'share'));
    reload();
  };

  return (
    <Modal title="Share" onClose={onClose}>
      {owner && (
        <form className="invite" onSubmit={invite}>
          <input type="email" required placeholder="Email address" aria-label="Email address" value={email} onChange={(e) => setEmail(e.target.value)} />
          <select aria-label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            <option value="EDITOR">Can edit</option>
            <option value="COMMENTER">Can comment</option>
            <option value="VIEWER">Can view</option>
          </select>
          <button type="submit" className="button primary">
            Invite
          </button>
        </form>
      )}
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {notice && <p className="notice">{notice}</p>}
      {loadError && <p className="error">{messageFor(apiErrorOf(loadError), 'share')}</p>}
      <ul className="members">
        {data?.document?.members.map((m) => (
          <li key={m.user.id} className="member">
            <span className="avatar" style={{ background: colorFor(m.user.id) }}>
              {initials(m.user.name)}
            </span>
            <span className="member-name">
              <span>
                {m.user.name}
                {m.user.id === me.id && <span className="muted"> (you)</span>}
              </span>
              <span className="muted small">{m.user.email}</span>
            </span>
            {owner && m.role !== 'OWNER' ? (
              <span className="member-actions">
                <select aria-label={`Role of ${m.user.name}`} value={m.role} onChange={(e) => changeRole(m.user.email, e.target.value as Role)}>
                  <option value="EDITOR">Can edit</option>
                  <option value="COMMENTER">Can comment</option>
                  <option value="VIEWER">Can view</option>
                </select>
                <button type="button" className="button ghost small danger" onClick={() => remove(m.user.id)}>
                  Remove
                </button>
              </span>
            ) : (
              <span className="muted">{ROLE_LABEL[m.role]}</span>
            )}
          </li>
        ))}
      </ul>
      {owner && <ShareLinkSection documentId={documentId} />}
    </Modal>
  );
}
