// Document roles and what each may do. Viewers read, editors also write,
// owners also share, rename and delete.
export type Role = 'OWNER' | 'EDITOR' | 'VIEWER';

const RANK: Record<Role, number> = { VIEWER: 1, EDITOR: 2, OWNER: 3 };

export const atLeast = (role: Role, needed: Role) => RANK[role] >= RANK[needed];

/** The lower of two roles (an API token acts with at most its own role and its creator's). */
export const lower = (a: Role, b: Role): Role => (atLeast(a, b) ? b : a);
