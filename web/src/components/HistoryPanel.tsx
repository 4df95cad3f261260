// Time travel: scrub through versions (contentAt), see who changed what
// (each version's op drawn over the text before it), and restore one as a
// new forward op (restoreVersion), which every collaborator receives.
import { useEffect, useMemo, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { apiErrorOf, messageFor } from '../api/errors.ts';
import { History, RestoreVersion, VersionPreview } from '../api/operations.ts';
import { colorFor } from '../editor/colors.ts';
import { Delta, type DeltaJSON } from '../sync/index.ts';
import { QuillView } from './QuillView.tsx';
import { redline } from './redline.ts';
import { relativeTime } from './relative-time.ts';

/** Versions listed at most (the slider still reaches every one). */
const LISTED = 200;
/** The list follows new versions at most this often, milliseconds (not on every keystroke). */
const FOLLOW_MS = 1_500;

export function HistoryPanel({ documentId, headVersion, canRestore, onClose }: { documentId: string; headVersion: number; canRestore: boolean; onClose: () => void }) {
  const [listHead, setListHead] = useState(headVersion);
  useEffect(() => {
    if (headVersion === listHead) return;
    const timer = setTimeout(() => setListHead(headVersion), FOLLOW_MS);
    return () => clearTimeout(timer);
  }, [headVersion, listHead]);

  const [{ data: history, error: historyError }] = useQuery({ query: History, variables: { id: documentId, after: Math.max(0, listHead - LISTED) } });
  const latest = history?.document?.version ?? listHead;
  const [selected, setSelected] = useState<number | null>(null);
  const version = Math.min(selected ?? latest, latest);

  const [{ data: preview, error: previewError, fetching }] = useQuery({
    query: VersionPreview,
    variables: { id: documentId, before: version - 1 },
    pause: version < 1,
  });
  const op = preview?.document?.operations[0];
  const content = useMemo(() => {
    const before = preview?.document?.before as DeltaJSON | undefined;
    if (!before || !op) return new Delta();
    return redline(new Delta(before.ops), new Delta((op.delta as DeltaJSON).ops));
  }, [preview, op]);

  const [restoring, restore] = useMutation(RestoreVersion);
  const [message, setMessage] = useState<{ kind: 'notice' | 'error'; text: string } | null>(null);
  const restoreSelected = async () => {
    setMessage(null);
    const result = await restore({ documentId, version });
    if (result.error) setMessage({ kind: 'error', text: messageFor(apiErrorOf(result.error), 'history') });
    else setMessage({ kind: 'notice', text: `Restored version ${version}; it is now version ${result.data!.restoreVersion.version}.` });
  };

  const ops = [...(history?.document?.operations ?? [])].reverse();
  const error = historyError ?? previewError;

  return (
    <aside className="history" aria-label="History" data-testid="history-panel">
      <div className="panel-head">
        <h2>History</h2>
        <button type="button" className="button ghost small" onClick={onClose} aria-label="Close history">
          ✕
        </button>
      </div>
      {latest < 1 ? (
        <p className="muted">No changes yet.</p>
      ) : (
        <>
          <label className="scrubber">
            <span>
              Version <strong data-testid="history-version">{version}</strong> of {latest}
            </span>
            <input type="range" min={1} max={latest} value={version} onChange={(e) => setSelected(Number(e.target.value))} aria-label="Version" />
          </label>
          <div className="history-meta">
            {op ? (
              <>
                <span className="dot-small" style={{ background: colorFor(op.author?.id ?? 'server') }} />
                {whoWrote(op)} · {relativeTime(op.createdAt)}
              </>
            ) : (
              <span className="muted">{fetching ? 'Loading…' : ''}</span>
            )}
          </div>
          <QuillView content={content} />
          <div className="history-actions">
            <button type="button" className="button primary" onClick={restoreSelected} disabled={!canRestore || version === latest || restoring.fetching} data-testid="restore-version">
              Restore this version
            </button>
            {!canRestore && <span className="muted small">Viewers cannot restore.</span>}
          </div>
          {message && (
            <p className={message.kind} role={message.kind === 'error' ? 'alert' : 'status'}>
              {message.text}
            </p>
          )}
          {error && <p className="error">{messageFor(apiErrorOf(error), 'history')}</p>}
          <ol className="versions">
            {ops.map((o) => (
              <li key={o.version}>
                <button type="button" className={o.version === version ? 'version active' : 'version'} onClick={() => setSelected(o.version)}>
                  <span className="dot-small" style={{ background: colorFor(o.author?.id ?? 'server') }} />
                  <span>v{o.version}</span>
                  <span className="muted">{whoWrote(o)}</span>
                  <span className="muted small">{relativeTime(o.createdAt)}</span>
                </button>
              </li>
            ))}
          </ol>
        </>
      )}
    </aside>
  );
}

/** A person's name, or for an API token's edit its name and whom it acts for ("Copy editor, agent of Ann"). */
function whoWrote(op: { author?: { name: string } | null; actor: { kind: string; tokenName?: string | null } }): string {
  const person = op.author?.name ?? 'Someone';
  return op.actor.kind === 'TOKEN' ? `${op.actor.tokenName ?? 'An API token'}, agent of ${person}` : person;
}
