// Document roles and what each may do. Viewers read, commenters also
// comment, editors also write, owners also share, rename and delete.
export type Role = 'OWNER' | 'EDITOR' | 'COMMENTER' | 'VIEWER';

const RANK: Record<Role, number> = { VIEWER: 1, COMMENTER: 2, EDITOR: 3, OWNER: 4 };

export const atLeast = (role: Role, needed: Role) => RANK[role] >= RANK[needed];
