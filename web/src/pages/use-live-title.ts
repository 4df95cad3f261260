// The document's title as others rename it, live (documentRenamed), for the editor header.
import { useSubscription } from 'urql';
import { DocumentRenamed } from '../api/operations.ts';

export function useLiveTitle(documentId: string, onTitle: (title: string) => void): void {
  useSubscription({ query: DocumentRenamed, variables: { documentId } }, (_previous, event) => {
    onTitle(event.documentRenamed.title);
    return event;
  });
}
