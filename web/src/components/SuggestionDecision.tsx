// Accept and Reject for one suggestion (EDITOR and above), wherever a
// suggestion is shown: its margin card and the comments panel's list. The
// caller reports the result (an error, or a list to read again).
import type { OperationResult } from 'urql';
import { useMutation } from 'urql';
import { AcceptSuggestion, RejectSuggestion } from '../api/operations.ts';

export function SuggestionDecision({ suggestionId, onDecided }: { suggestionId: string; onDecided: (result: OperationResult) => void }) {
  const [, accept] = useMutation(AcceptSuggestion);
  const [, reject] = useMutation(RejectSuggestion);
  return (
    <div className="comment-form">
      <button type="button" className="button primary small" onClick={async () => onDecided(await accept({ suggestionId }))}>
        Accept
      </button>
      <button type="button" className="button ghost small" onClick={async () => onDecided(await reject({ suggestionId }))}>
        Reject
      </button>
    </div>
  );
}
