// The viewer's documents: their own, and those shared with them. Owners
// rename and delete here; anyone creates. The list comes a page at a time
// (keyset cursors: pages do not shift while people edit) and can be
// searched by title.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { useClient, useMutation, type CombinedError } from 'urql';
import { apiErrorOf, messageFor } from '../api/errors.ts';
import { CreateDocument, DeleteDocument, DocumentList, RenameDocument } from '../api/operations.ts';
import type { SessionUser } from '../api/session.ts';
import type { DocumentListQuery } from '../gql/graphql.ts';
import { Link } from '../app/Link.tsx';
import { navigate } from '../app/router.ts';
import { Avatars } from '../components/Avatars.tsx';
import { ImportButton, useImportDrop } from '../components/ImportFile.tsx';
import { relativeTime } from '../components/relative-time.ts';

type Row = DocumentListQuery['documents']['edges'][number]['node'];

const PAGE = 50;

/** The list, page by page: `more()` appends the next page, `reload()` starts again. */
function useDocumentList(titleContains: string) {
  const client = useClient();
  const [rows, setRows] = useState<Row[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<CombinedError | null>(null);
  const load = useCallback(
    async (after: string | null) => {
      const result = await client.query(DocumentList, { first: PAGE, after, titleContains: titleContains || null }, { requestPolicy: 'network-only' }).toPromise();
      setError(result.error ?? null);
      if (!result.data) return;
      const page = result.data.documents;
      setRows((before) => [...(after && before ? before : []), ...page.edges.map((e) => e.node)]);
      setNext(page.pageInfo.hasNextPage ? (page.pageInfo.endCursor ?? null) : null);
    },
    [client, titleContains],
  );
  useEffect(() => {
    // Typing a search waits for a pause before asking.
    const timer = setTimeout(() => void load(null), titleContains ? 200 : 0);
    return () => clearTimeout(timer);
  }, [load, titleContains]);
  return { rows, error, hasMore: next !== null, more: () => void load(next), reload: () => void load(null) };
}

export function DocumentsPage({ me }: { me: SessionUser }) {
  const [search, setSearch] = useState('');
  const { rows: loaded, error, hasMore, more, reload } = useDocumentList(search.trim());
  const [, create] = useMutation(CreateDocument);
  const [problem, setProblem] = useState<string | null>(null);
  const drop = useImportDrop(setProblem);

  const createDocument = async () => {
    setProblem(null);
    // Quill documents end with a newline; starting with one keeps line formats simple.
    const result = await create({ title: 'Untitled document', content: { ops: [{ insert: '\n' }] } });
    // ?new: the editor focuses the title, to name the document first.
    if (result.data) navigate(`/documents/${result.data.createDocument.id}?new`);
    else setProblem(messageFor(apiErrorOf(result.error), 'list'));
  };

  const rows = loaded ?? [];
  const mine = rows.filter((d) => d.myRole === 'OWNER');
  const shared = rows.filter((d) => d.myRole !== 'OWNER');

  return (
    <main className={drop.dragging ? 'page dropping' : 'page'} {...drop.handlers}>
      <div className="page-head">
        <h1>Documents</h1>
        <div className="page-actions">
          <ImportButton onProblem={setProblem} />
          <button type="button" className="button primary" onClick={createDocument} data-testid="new-document">
            New document
          </button>
        </div>
      </div>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {messageFor(apiErrorOf(error), 'list')}{' '}
          <button type="button" className="button link" onClick={reload}>
            Try again
          </button>
        </p>
      )}
      <input
        className="doc-search"
        type="search"
        aria-label="Search documents by title"
        placeholder="Search by title"
        maxLength={200}
        value={search}
        onChange={(e) => setSearch(e.target.value)}
        data-testid="document-search"
      />
      {loaded === null ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <Section title="My documents" empty={search.trim() ? 'No title of yours matches.' : 'No documents yet. Create one to start writing.'} rows={mine} me={me} onChange={reload} onProblem={setProblem} />
          <Section title="Shared with me" empty={search.trim() ? 'No shared title matches.' : 'Nothing shared with you yet.'} rows={shared} me={me} onChange={reload} onProblem={setProblem} />
          {hasMore && (
            <button type="button" className="button ghost" onClick={more} data-testid="more-documents">
              Show more
            </button>
          )}
        </>
      )}
    </main>
  );
}

function Section(props: { title: string; empty: string; rows: Row[]; me: SessionUser; onChange: () => void; onProblem: (message: string | null) => void }) {
  return (
    <section className="doc-section">
      <h2>{props.title}</h2>
      {props.rows.length === 0 ? (
        <p className="muted">{props.empty}</p>
      ) : (
        <ul className="doc-list">
          {props.rows.map((row) => (
            <DocumentRow key={row.id} row={row} me={props.me} onChange={props.onChange} onProblem={props.onProblem} />
          ))}
        </ul>
      )}
    </section>
  );
}

function DocumentRow({ row, me, onChange, onProblem }: { row: Row; me: SessionUser; onChange: () => void; onProblem: (message: string | null) => void }) {
  const [renaming, setRenaming] = useState(false);
  const [title, setTitle] = useState(row.title);
  const [, rename] = useMutation(RenameDocument);
  const [, remove] = useMutation(DeleteDocument);
  const owner = row.myRole === 'OWNER';
  const others = row.members.filter((m) => m.user.id !== me.id).map((m) => m.user);

  const submitRename = async (event: FormEvent) => {
    event.preventDefault();
    const result = await rename({ id: row.id, title });
    if (result.error) return onProblem(messageFor(apiErrorOf(result.error), 'list'));
    onProblem(null);
    setRenaming(false);
    onChange();
  };

  const deleteDocument = async () => {
    if (!confirm(`Delete “${row.title}” for everyone? This cannot be undone.`)) return;
    const result = await remove({ id: row.id });
    if (result.error) return onProblem(messageFor(apiErrorOf(result.error), 'list'));
    onProblem(null);
    onChange();
  };

  return (
    <li className="doc-row" data-testid="document-row">
      {renaming ? (
        <form className="rename" onSubmit={submitRename}>
          <input aria-label="Title" value={title} maxLength={200} autoFocus onChange={(e) => setTitle(e.target.value)} />
          <button type="submit" className="button primary small">
            Save
          </button>
          <button type="button" className="button ghost small" onClick={() => setRenaming(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <div className="doc-main">
          <Link to={`/documents/${row.id}`} className="doc-title">
            {row.title}
          </Link>
          {row.preview && (
            <p className="doc-preview" data-testid="document-preview">
              {row.preview}
            </p>
          )}
        </div>
      )}
      <span className="doc-meta">
        {row.myRole !== 'OWNER' && <span className={`role-badge ${row.myRole.toLowerCase()}`}>{row.myRole.toLowerCase()}</span>}
        <Avatars users={others} max={3} />
        <span className="muted">edited {relativeTime(row.updatedAt)}</span>
        {owner && !renaming && (
          <>
            <button type="button" className="button ghost small" onClick={() => setRenaming(true)}>
              Rename
            </button>
            <button type="button" className="button ghost small danger" onClick={deleteDocument}>
              Delete
            </button>
          </>
        )}
      </span>
    </li>
  );
}
