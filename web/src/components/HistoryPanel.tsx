// Version history: sessions of edits (Document.history) newest first,
// grouped by day, named versions highlighted; the selected session opens
// to its single versions. The preview draws the changes from a base
// version to the selected one as a redline (both from contentAt, compared
// here): by default since the start of the selected session, or since the
// version before, a named version, the end of any listed session, or the
// empty document. A version can be named, downloaded, and
// restored as a new forward op (restoreVersion) that every collaborator gets.
import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { useClient, useMutation, useQuery } from 'urql';
import { apiErrorOf, messageFor } from '../api/errors.ts';
import { CompareVersions, HistorySessions, NameVersion, RestoreVersion, SessionVersions } from '../api/operations.ts';
import { colorFor } from '../editor/colors.ts';
import type { HistorySessionsQuery } from '../gql/graphql.ts';
import { Delta, type DeltaJSON } from '../sync/index.ts';
import { ExportMenu } from './ExportMenu.tsx';
import { QuillView } from './QuillView.tsx';
import { redline } from './redline.ts';
import { relativeTime } from './relative-time.ts';

type Session = NonNullable<HistorySessionsQuery['document']>['history'][number];

/** Sessions per page. */
const PAGE = 30;
/** Single versions listed in an open session at most (the slider still reaches every one). */
const LISTED = 200;
/** The list follows new versions at most this often, milliseconds (not on every keystroke). */
const FOLLOW_MS = 1_500;

const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dayTimeFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });

/** Sessions in runs of the same (local) day, in order. */
function byDay(sessions: Session[]): Array<{ day: string; sessions: Session[] }> {
  const days: Array<{ day: string; sessions: Session[] }> = [];
  for (const s of sessions) {
    const day = dayFormat.format(new Date(s.endedAt));
    const last = days.at(-1);
    if (last?.day === day) last.sessions.push(s);
    else days.push({ day, sessions: [s] });
  }
  return days;
}

/** Newest sessions, following the head; more on demand (paged by the last toVersion). */
function useSessions(documentId: string, listHead: number) {
  const client = useClient();
  const [sessions, setSessions] = useState<Session[]>([]);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<ReturnType<typeof apiErrorOf> | null>(null);
  const load = useCallback(
    /** `fresh`: forget older pages too (a name may have split one of their sessions). */
    async (before: number | null, fresh = false) => {
      const result = await client.query(HistorySessions, { id: documentId, first: PAGE, before }, { requestPolicy: 'network-only' }).toPromise();
      if (result.error || !result.data?.document) {
        setError(apiErrorOf(result.error));
        return;
      }
      const page = result.data.document.history;
      setError(null);
      if (before !== null) {
        setMore(page.length === PAGE);
        setSessions((shown) => [...shown, ...page]);
        return;
      }
      // A fresh first page (the newest session grows): older pages already
      // shown stay, since entries do not change once a later one exists.
      const oldest = page.at(-1)?.fromVersion ?? 0;
      setSessions((shown) => {
        const older = fresh ? [] : shown.filter((s) => s.toVersion < oldest);
        if (older.length === 0) setMore(page.length === PAGE);
        return [...page, ...older];
      });
    },
    [client, documentId],
  );
  useEffect(() => {
    void load(null);
  }, [load, listHead]);
  const loadOlder = () => {
    const last = sessions.at(-1);
    if (last) void load(last.toVersion);
  };
  const reload = () => void load(null, true);
  return { sessions, more, error, loadOlder, reload };
}

export function HistoryPanel({ documentId, headVersion, canRestore, onClose }: { documentId: string; headVersion: number; canRestore: boolean; onClose: () => void }) {
  const [listHead, setListHead] = useState(headVersion);
  useEffect(() => {
    if (headVersion === listHead) return;
    const timer = setTimeout(() => setListHead(headVersion), FOLLOW_MS);
    return () => clearTimeout(timer);
  }, [headVersion, listHead]);

  const { sessions, more, error: sessionsError, loadOlder, reload } = useSessions(documentId, listHead);
  const latest = sessions[0]?.toVersion ?? listHead;
  const [selected, setSelected] = useState<number | null>(null);
  const version = Math.min(selected ?? latest, latest);
  const session = sessions.find((s) => s.fromVersion <= version && version <= s.toVersion);
  // The version the preview compares with: chosen, or the start of the selected session.
  const [compareWith, setCompareWith] = useState<number | null>(null);
  const base = Math.min(compareWith ?? (session ? session.fromVersion - 1 : version - 1), version);

  const [{ data: compared, error: compareError, fetching }] = useQuery({ query: CompareVersions, variables: { id: documentId, base: Math.max(0, base), target: version }, pause: version < 1 });
  const content = useMemo(() => {
    const before = compared?.document?.base as DeltaJSON | undefined;
    const after = compared?.document?.target as DeltaJSON | undefined;
    if (!before || !after) return new Delta();
    const from = new Delta(before.ops);
    return redline(from, from.diff(new Delta(after.ops)));
  }, [compared]);

  const [restoring, restore] = useMutation(RestoreVersion);
  const [message, setMessage] = useState<{ kind: 'notice' | 'error'; text: string } | null>(null);
  const restoreSelected = async () => {
    setMessage(null);
    const result = await restore({ documentId, version });
    if (result.error) setMessage({ kind: 'error', text: messageFor(apiErrorOf(result.error), 'history') });
    else setMessage({ kind: 'notice', text: `Restored version ${version}; it is now version ${result.data!.restoreVersion.version}.` });
  };

  const named = sessions.filter((s) => s.name);
  const select = (v: number) => {
    setSelected(v);
    setCompareWith(null);
  };
  const error = sessionsError ?? (compareError ? apiErrorOf(compareError) : null);

  return (
    <aside className="history" aria-label="History" data-testid="history-panel">
      <div className="panel-head">
        <h2>Version history</h2>
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
          <label className="compare-with">
            <span className="muted small">Changes since</span>
            <select value={compareWith ?? ''} onChange={(e) => setCompareWith(e.target.value === '' ? null : Number(e.target.value))} aria-label="Compare with" data-testid="compare-with">
              <option value="">the start of this session</option>
              <option value={version - 1}>the version before (v{version - 1})</option>
              {named.map((s) => (
                <option key={`named-${s.toVersion}`} value={s.toVersion}>
                  “{s.name}” (v{s.toVersion})
                </option>
              ))}
              {sessions
                .filter((s) => s.toVersion < version && !s.name)
                .map((s) => (
                  <option key={s.toVersion} value={s.toVersion}>
                    the session of {dayTimeFormat.format(new Date(s.endedAt))} (v{s.toVersion})
                  </option>
                ))}
              <option value={0}>the beginning (empty)</option>
            </select>
          </label>
          <div className="history-meta">{fetching ? <span className="muted">Loading…</span> : <span className="muted small">v{base} → v{version}: additions highlighted, deletions struck through</span>}</div>
          <QuillView content={content} />
          <div className="history-actions">
            <button type="button" className="button primary" onClick={restoreSelected} disabled={!canRestore || version === latest || restoring.fetching} data-testid="restore-version">
              Restore this version
            </button>
            <ExportMenu documentId={documentId} version={version} label="Download" />
            {!canRestore && <span className="muted small">Viewers cannot restore.</span>}
          </div>
          {canRestore && <NameForm key={version} documentId={documentId} version={version} current={sessions.find((s) => s.toVersion === version)?.name ?? null} onNamed={reload} onMessage={setMessage} />}
          {message && (
            <p className={message.kind} role={message.kind === 'error' ? 'alert' : 'status'}>
              {message.text}
            </p>
          )}
          {error && <p className="error">{messageFor(error, 'history')}</p>}
          <div className="sessions" data-testid="history-sessions">
            {byDay(sessions).map(({ day, sessions: ofDay }) => (
              <section key={day}>
                <h3 className="session-day">{day}</h3>
                <ol className="versions">
                  {ofDay.map((s) => (
                    <SessionItem key={s.toVersion} documentId={documentId} session={s} open={s === session} version={version} onSelect={select} />
                  ))}
                </ol>
              </section>
            ))}
            {more && (
              <button type="button" className="button ghost small" onClick={loadOlder}>
                Older versions
              </button>
            )}
          </div>
        </>
      )}
    </aside>
  );
}

function SessionItem({ documentId, session, open, version, onSelect }: { documentId: string; session: Session; open: boolean; version: number; onSelect: (version: number) => void }) {
  const span = session.fromVersion === session.toVersion ? `v${session.toVersion}` : `v${session.fromVersion}–v${session.toVersion}`;
  const time = timeFormat.format(new Date(session.endedAt));
  return (
    <li className={session.name ? 'session named' : 'session'} data-testid="history-session" data-named={session.name ? 'true' : undefined}>
      <button type="button" className={open ? 'version session-head active' : 'version session-head'} onClick={() => onSelect(session.toVersion)} aria-expanded={open}>
        <span className="session-dots">
          {session.authors.map((a) => (
            <span key={a.id} className="dot-small" style={{ background: colorFor(a.id) }} title={a.name} />
          ))}
        </span>
        <span className="session-title">
          {session.name && <strong className="session-name">{session.name}</strong>}
          <span>{time}</span>
          <span className="muted small"> · {span}</span>
        </span>
        <span className="muted small">{session.authors.map((a) => a.name).join(', ') || 'Someone'}</span>
      </button>
      {open && <SessionVersionList documentId={documentId} session={session} version={version} onSelect={onSelect} />}
    </li>
  );
}

/** A person's name, or for an API token's edit its name and whom it acts for ("Copy editor, agent of Ann"). */
function whoWrote(op: { author?: { name: string } | null; actor: { kind: string; tokenName?: string | null } }): string {
  const person = op.author?.name ?? 'Someone';
  return op.actor.kind === 'TOKEN' ? `${op.actor.tokenName ?? 'An API token'}, agent of ${person}` : person;
}

/** The single versions of an open session, newest first (at most LISTED of them). */
function SessionVersionList({ documentId, session, version, onSelect }: { documentId: string; session: Session; version: number; onSelect: (version: number) => void }) {
  const after = Math.max(session.fromVersion - 1, session.toVersion - LISTED);
  const [{ data }] = useQuery({ query: SessionVersions, variables: { id: documentId, after, first: session.toVersion - after } });
  const ops = [...(data?.document?.operations ?? [])].reverse();
  return (
    <ol className="session-versions">
      {ops.map((o) => (
        <li key={o.version}>
          <button type="button" className={o.version === version ? 'version active' : 'version'} onClick={() => onSelect(o.version)}>
            <span className="dot-small" style={{ background: colorFor(o.author?.id ?? 'server') }} />
            <span>v{o.version}</span>
            <span className="muted">{whoWrote(o)}</span>
            <span className="muted small">{relativeTime(o.createdAt)}</span>
          </button>
        </li>
      ))}
    </ol>
  );
}

function NameForm({ documentId, version, current, onNamed, onMessage }: { documentId: string; version: number; current: string | null; onNamed: () => void; onMessage: (m: { kind: 'notice' | 'error'; text: string } | null) => void }) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(current ?? '');
  const [saving, nameVersion] = useMutation(NameVersion);
  if (!editing) {
    return (
      <button type="button" className="button ghost small" onClick={() => setEditing(true)} data-testid="name-version">
        {current ? 'Rename this version' : 'Name this version'}
      </button>
    );
  }
  const save = async (event: FormEvent) => {
    event.preventDefault();
    onMessage(null);
    const result = await nameVersion({ documentId, version, name });
    if (result.error) return onMessage({ kind: 'error', text: messageFor(apiErrorOf(result.error), 'history') });
    setEditing(false);
    onMessage({ kind: 'notice', text: `Named version ${version} “${result.data!.nameVersion.name}”.` });
    onNamed();
  };
  return (
    <form className="name-version" onSubmit={save}>
      <input aria-label="Version name" value={name} maxLength={200} autoFocus placeholder="e.g. Sent for review" onChange={(e) => setName(e.target.value)} />
      <button type="submit" className="button primary small" disabled={saving.fetching}>
        Save
      </button>
      <button type="button" className="button ghost small" onClick={() => setEditing(false)}>
        Cancel
      </button>
    </form>
  );
}
