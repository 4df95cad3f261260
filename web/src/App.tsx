// Routes: / (documents), /documents/:id (editor), /join/:secret (share link), /login. A browser holding
// the refresh cookie is signed in at load (Session.restore) and lands where
// it asked to go; anyone else gets the log-in form first, then goes there.
import { useEffect, useSyncExternalStore } from 'react';
import { ErrorBoundary } from './components/ErrorBoundary.tsx';
import { colorFor, initials } from './editor/colors.ts';
import { AuthPage } from './pages/AuthPage.tsx';
import { DocumentsPage } from './pages/DocumentsPage.tsx';
import { EditorPage } from './pages/EditorPage.tsx';
import { JoinPage } from './pages/JoinPage.tsx';
import { forgetKeptDocuments } from './offline/kept-documents.ts';
import { Link } from './app/Link.tsx';
import { matchDocument, matchJoin, navigate, useLocation } from './app/router.ts';
import { useServices } from './app/services.ts';

export function App() {
  const { session } = useServices();
  const state = useSyncExternalStore(session.subscribe, session.getState);
  const location = useLocation();

  useEffect(() => {
    void session.restore();
  }, [session]);

  // After logging in: go where the user was headed.
  useEffect(() => {
    if (state.status === 'signed-in' && location.startsWith('/login')) {
      const next = new URLSearchParams(location.split('?')[1] ?? '').get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    }
  }, [state.status, location]);

  if (state.status === 'loading') {
    return (
      <div className="splash" aria-busy="true">
        <span className="brand-mark" /> Loading…
      </div>
    );
  }

  if (state.status === 'signed-out') return <AuthPage expired={state.error} />;

  const documentId = matchDocument(location);
  const joinSecret = matchJoin(location);
  const logOut = async () => {
    await Promise.all([session.logOut().catch(() => {}), forgetKeptDocuments().catch(() => {})]);
    navigate('/login', { replace: true });
  };

  return (
    <div className="app">
      <header className="topbar">
        <Link to="/" className="brand">
          <span className="brand-mark" /> Collab
        </Link>
        <div className="topbar-user">
          <span className="avatar small" style={{ background: colorFor(state.user.id) }} title={state.user.email}>
            {initials(state.user.name)}
          </span>
          <span className="user-name" data-testid="user-name">
            {state.user.name}
          </span>
          <button type="button" className="button ghost" onClick={logOut}>
            Log out
          </button>
        </div>
      </header>
      <ErrorBoundary key={documentId ?? 'documents'} what="this page">
        {joinSecret ? (
          <JoinPage secret={joinSecret} />
        ) : documentId ? (
          <EditorPage key={documentId} documentId={documentId} me={state.user} />
        ) : (
          <DocumentsPage me={state.user} />
        )}
      </ErrorBoundary>
    </div>
  );
}
