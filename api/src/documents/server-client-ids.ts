import { badInput } from '../errors.ts';

// The ops the server writes for people carry clientIds of these forms, and
// a clientId is half of an idempotency key: a new document's content
// (`create-<id>`), a restore (`restore-<uuid>`), an accepted suggestion
// (`suggestion-<id>`), an edit or suggestion by idempotency key
// (`edit-<hash>`) and a revert (`revert-<hash of the runId>`). A client that
// could submit one first would own that key: the server's own op would then
// be refused as a reused key, or answered with the client's op.
const SERVER_PREFIXES = ['create-', 'restore-', 'suggestion-', 'edit-', 'revert-'] as const;

/** Refuses a client-chosen clientId in the server's own forms (BAD_USER_INPUT, reason RESERVED_CLIENT_ID). */
export function checkClientChosenId(clientId: string): void {
  const prefix = SERVER_PREFIXES.find((p) => clientId.startsWith(p));
  if (prefix) {
    throw badInput(`clientId may not start with "${prefix}": the server uses that form for its own ops`, { field: 'clientId', reason: 'RESERVED_CLIENT_ID' });
  }
}
