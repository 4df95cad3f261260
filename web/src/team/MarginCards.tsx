// The cards of the comments margin: a thread (comments, reply box,
// resolve), a suggestion (its redline, Accept / Reject for editors), the
// suggestion being typed, and a new comment on the selection. Positions are
// set by the margin (TeamEditor.tsx), not here.
import { useState, type FormEvent, type ReactNode } from 'react';
import { useMutation } from 'urql';
import { apiErrorOf, messageFor } from '../api/errors.ts';
import { OpenThread, ReplyToThread, ResolveThread } from '../api/operations.ts';
import { relativeTime } from '../components/relative-time.ts';
import { SuggestionDecision } from '../components/SuggestionDecision.tsx';
import { CommentBody } from '../components/CommentBody.tsx';
import type { Delta } from '../sync/index.ts';
import { redlineSegments } from './marks.ts';

export interface ThreadView {
  id: string;
  quote: string;
  comments: ReadonlyArray<{ id: string; body: string; createdAt: string; editedAt?: string | null; author?: { name: string } | null; mentions?: ReadonlyArray<{ name: string }> | null }>;
}

export interface SuggestionView {
  id: string;
  author: string | null;
  createdAt: string | null;
  /** The content the editor shows, and the suggestion as a change of it. */
  content: Delta;
  delta: Delta;
}

type Focus = { focused: boolean; onFocus: () => void };
type Result = { error?: Parameters<typeof apiErrorOf>[0] };

function Card({ id, kind, focused, onFocus, children }: Focus & { id: string; kind: string; children: ReactNode }) {
  return (
    <div className={`team-card ${kind}${focused ? ' focused' : ''}`} data-card={id} data-testid={`margin-${kind}`} onClick={onFocus} onFocusCapture={onFocus}>
      {children}
    </div>
  );
}

function Redline({ content, delta }: { content: Delta; delta: Delta }) {
  return (
    <p className="redline" data-testid="redline">
      {redlineSegments(content, delta).map((s, i) =>
        s.kind === 'ins' ? <ins key={i}>{s.text}</ins> : s.kind === 'del' ? <del key={i}>{s.text}</del> : <span key={i}>{s.text}</span>,
      )}
    </p>
  );
}

function useReport(context: 'comment' | 'suggestion', onChanged: () => void) {
  const [problem, setProblem] = useState<string | null>(null);
  const report = (result: Result) => {
    setProblem(result.error ? messageFor(apiErrorOf(result.error), context) : null);
    onChanged();
    return !result.error;
  };
  const shown = problem && (
    <p className="error small" role="alert">
      {problem}
    </p>
  );
  return { report, shown };
}

export function ThreadCard({ thread, onChanged, ...focus }: Focus & { thread: ThreadView; onChanged: () => void }) {
  const [reply, setReply] = useState('');
  const [, send] = useMutation(ReplyToThread);
  const [, resolve] = useMutation(ResolveThread);
  const { report, shown } = useReport('comment', onChanged);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (report(await send({ threadId: thread.id, body: reply }))) setReply('');
  };
  return (
    <Card id={thread.id} kind="thread" {...focus}>
      {/* Resolve stays where it is when the card opens (the reply box appears below it). */}
      <button type="button" className="button ghost small card-action" onClick={async () => report(await resolve({ threadId: thread.id }))}>
        Resolve
      </button>
      {thread.comments.map((c) => (
        <p key={c.id} className="comment">
          <strong>{c.author?.name ?? 'Someone'}</strong> <span className="muted small">{relativeTime(c.createdAt)}{c.editedAt ? ' · edited' : ''}</span>
          <br />
          <CommentBody body={c.body} mentions={c.mentions} />
        </p>
      ))}
      {shown}
      {/* The reply box opens with the card: a margin of closed cards stays short. */}
      {(focus.focused || reply !== '') && (
        <form className="comment-form" onSubmit={submit}>
          <input aria-label="Reply" placeholder="Reply…" value={reply} onChange={(e) => setReply(e.target.value)} maxLength={10_000} />
          <button type="submit" className="button ghost small" disabled={reply.trim() === ''}>
            Reply
          </button>
        </form>
      )}
    </Card>
  );
}

export function SuggestionCard({ suggestion: s, canDecide, onChanged, ...focus }: Focus & { suggestion: SuggestionView; canDecide: boolean; onChanged: () => void }) {
  const { report, shown } = useReport('suggestion', onChanged);
  return (
    <Card id={s.id} kind="suggestion" {...focus}>
      <p className="comment">
        <strong>{s.author ?? 'Someone'}</strong> <span className="muted small">suggested{s.createdAt ? ` ${relativeTime(s.createdAt)}` : ''}</span>
      </p>
      <Redline content={s.content} delta={s.delta} />
      {shown}
      {canDecide && <SuggestionDecision suggestionId={s.id} onDecided={report} />}
    </Card>
  );
}

/** The suggestion being typed: it is sent once the typing pauses. */
export function DraftCard({ id, content, draft, ...focus }: Focus & { id: string; content: Delta; draft: Delta }) {
  return (
    <Card id={id} kind="draft" {...focus}>
      <p className="muted small">Suggesting…</p>
      <Redline content={content} delta={draft} />
    </Card>
  );
}

export function NewThreadCard({ id, documentId, at, onDone, ...focus }: Focus & { id: string; documentId: string; at: { version: number; index: number; length: number }; onDone: (ok: boolean) => void }) {
  const [body, setBody] = useState('');
  const [, open] = useMutation(OpenThread);
  const { report, shown } = useReport('comment', () => {});
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (report(await open({ documentId, ...at, body }))) onDone(true);
  };
  return (
    <Card id={id} kind="new-thread" {...focus}>
      <form className="comment-form" onSubmit={submit}>
        <textarea aria-label="New comment" autoFocus value={body} onChange={(e) => setBody(e.target.value)} maxLength={10_000} rows={2} />
        {shown}
        <button type="submit" className="button primary small" disabled={body.trim() === ''}>
          Comment
        </button>
        <button type="button" className="button ghost small" onClick={() => onDone(false)}>
          Cancel
        </button>
      </form>
    </Card>
  );
}
