// Open suggestions (docs/protocol.md §15), in the comments panel: who
// suggested what, with Accept and Reject. The list is read again whenever
// documentSuggestions says one was made or settled (not per op: what it
// describes does not change as it moves, and Accept takes the server's).
import { useState } from 'react';
import { useQuery, useSubscription } from 'urql';
import { apiErrorOf, messageFor } from '../api/errors.ts';
import { DocumentSuggestions, OpenSuggestions } from '../api/operations.ts';
import { relativeTime } from './relative-time.ts';
import { SuggestionDecision } from './SuggestionDecision.tsx';

type DeltaOps = { ops?: Array<{ insert?: unknown; delete?: number; retain?: number; attributes?: Record<string, unknown> }> };

/** A short, plain description of a delta: what it inserts, how much it deletes and formats. */
export function describeDelta(delta: DeltaOps): string {
  const parts: string[] = [];
  for (const op of delta.ops ?? []) {
    if (typeof op.insert === 'string') parts.push(`insert “${op.insert.length > 60 ? `${op.insert.slice(0, 60)}…` : op.insert}”`);
    else if (op.insert !== undefined) parts.push('insert an embed');
    else if (typeof op.delete === 'number') parts.push(`delete ${op.delete} character${op.delete === 1 ? '' : 's'}`);
    else if (typeof op.retain === 'number' && op.attributes) parts.push(`format ${op.retain} character${op.retain === 1 ? '' : 's'} (${Object.keys(op.attributes).join(', ')})`);
  }
  return parts.join(', ') || 'no change';
}

export function SuggestionsList({ documentId }: { documentId: string }) {
  const [{ data }, refetch] = useQuery({ query: OpenSuggestions, variables: { id: documentId }, requestPolicy: 'cache-and-network' });
  useSubscription({ query: DocumentSuggestions, variables: { documentId } }, (_previous, event) => {
    refetch({ requestPolicy: 'network-only' });
    return event;
  });
  const [problem, setProblem] = useState<string | null>(null);

  const report = (result: { error?: Parameters<typeof apiErrorOf>[0] }) => {
    setProblem(result.error ? messageFor(apiErrorOf(result.error), 'suggestion') : null);
    refetch({ requestPolicy: 'network-only' });
  };

  const suggestions = data?.document?.suggestions ?? [];
  if (suggestions.length === 0 && !problem) return null;
  return (
    <section aria-label="Suggestions" data-testid="suggestions">
      <h3>Suggestions</h3>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      <ol className="threads">
        {suggestions.map((s) => (
          <li key={s.id} className="thread" data-testid="suggestion">
            <p className="comment">
              <strong>{s.author?.name ?? 'Someone'}</strong> <span className="muted small">{relativeTime(s.createdAt)}</span>
              <br />
              {describeDelta(s.delta as DeltaOps)}
            </p>
            <SuggestionDecision suggestionId={s.id} onDecided={report} />
          </li>
        ))}
      </ol>
    </section>
  );
}
