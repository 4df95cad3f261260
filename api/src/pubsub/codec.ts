// Redis carries events as JSON: these rebuild the Delta and the dates.
import type { PresenceState } from '../collab/presence.ts';
import type { ThreadView } from '../comments/threads.ts';
import type { TitleChange } from '../documents/documents.ts';
import type { SuggestionView } from '../suggestions/suggestions.ts';
import { Delta } from '../../../protocol/delta.ts';
import type { CommittedOp } from '../collab/types.ts';

type Wire<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Delta ? { ops: Delta['ops'] } : T[K] };

export const decodeOp = (detail: unknown): CommittedOp => {
  const op = detail as Wire<CommittedOp>;
  return { ...op, delta: new Delta(op.delta.ops), createdAt: new Date(op.createdAt) };
};

export const decodePresence = (detail: unknown): PresenceState => {
  const p = detail as Wire<PresenceState>;
  return { ...p, updatedAt: new Date(p.updatedAt) };
};

export const decodeThread = (detail: unknown): ThreadView => {
  const t = detail as Omit<ThreadView, 'createdAt' | 'comments'> & { createdAt: string; comments: Array<Omit<ThreadView['comments'][number], 'createdAt' | 'editedAt'> & { createdAt: string; editedAt: string | null }> };
  return {
    ...t,
    createdAt: new Date(t.createdAt),
    comments: t.comments.map((c) => ({ ...c, createdAt: new Date(c.createdAt), editedAt: c.editedAt === null ? null : new Date(c.editedAt) })),
  };
};

export const decodeTitle = (detail: unknown): TitleChange => {
  const { documentId, title } = detail as TitleChange;
  return { documentId, title };
};

export const decodeSuggestion = (detail: unknown): SuggestionView => {
  const s = detail as Omit<SuggestionView, 'createdAt' | 'settledAt' | 'delta'> & { createdAt: string; settledAt: string | null; delta: { ops: Delta['ops'] } };
  return { ...s, delta: new Delta(s.delta.ops), createdAt: new Date(s.createdAt), settledAt: s.settledAt === null ? null : new Date(s.settledAt) };
};
