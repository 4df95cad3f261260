// /join/<secret>: a share link opened by someone signed in. Joins the
// document with the link's role, then opens it.
import { useEffect, useState } from 'react';
import { useMutation } from 'urql';
import { apiErrorOf, messageFor } from '../api/errors.ts';
import { JoinDocument } from '../api/operations.ts';
import { Link } from '../app/Link.tsx';
import { navigate } from '../app/router.ts';

export function JoinPage({ secret }: { secret: string }) {
  const [, join] = useMutation(JoinDocument);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    void join({ secret }).then((result) => {
      if (cancelled) return;
      if (result.data) navigate(`/documents/${result.data.joinDocument.id}`, { replace: true });
      else setProblem(messageFor(apiErrorOf(result.error), 'document'));
    });
    return () => {
      cancelled = true;
    };
  }, [join, secret]);
  return (
    <main className="page">
      {problem ? (
        <>
          <p className="error" role="alert">
            This link does not work: it may have been revoked. {problem}
          </p>
          <Link to="/">Your documents</Link>
        </>
      ) : (
        <p className="muted">Joining…</p>
      )}
    </main>
  );
}
