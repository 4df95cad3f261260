// Document roles and what each may do. Viewers read, commenters also
// comment, editors also write, owners also share, rename and delete.
export type Role = 'OWNER' | 'EDITOR' | 'COMMENTER' | 'VIEWER';

const RANK: Record<Role, number> = { VIEWER: 1, COMMENTER: 2, EDITOR: 3, OWNER: 4 };

export const atLeast = (role: Role, needed: Role) => RANK[role] >= RANK[needed];

/** The lower of two roles (an API token acts with at most its own role and its creator's). */
export const lower = (a: Role, b: Role): Role => (atLeast(a, b) ? b : a);
