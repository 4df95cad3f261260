import { colorFor, initials } from '../editor/colors.ts';

export interface AvatarUser {
  id: string;
  name: string;
  /** Tooltip, if not the name. */
  label?: string;
  /** Last known only (we are offline): shown dimmed. */
  away?: boolean;
}

/** Overlapping initials in each person's colour, "+n" beyond `max`. */
export function Avatars({ users, max = 5, label }: { users: AvatarUser[]; max?: number; label?: string }) {
  if (users.length === 0) return null;
  const shown = users.slice(0, max);
  return (
    <span className="avatars" aria-label={label ?? users.map((u) => u.label ?? u.name).join(', ')} data-testid="avatars">
      {shown.map((u) => (
        <span key={u.id} className={u.away ? 'avatar away' : 'avatar'} style={{ background: colorFor(u.id) }} title={u.away ? `${u.label ?? u.name} (away)` : (u.label ?? u.name)} data-user={u.name}>
          {initials(u.name)}
        </span>
      ))}
      {users.length > max && <span className="avatar more">+{users.length - max}</span>}
    </span>
  );
}
