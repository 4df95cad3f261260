// Every string a GraphQL operation brings (its variables at any depth, and
// the string literals in its text) must be well-formed UTF-16 without NUL
// (validation/text.ts): otherwise an id, an email or a title reaches
// PostgreSQL, which refuses it, and the client sees INTERNAL_SERVER_ERROR
// after a half-done request. Checked here, once, before any resolver runs,
// for queries, mutations and subscriptions alike, over HTTP and WebSocket
// (graphql-ws calls the enveloped execute and subscribe). The domain checks
// (titles, deltas, emails) stay too: they also hold for callers that do
// not come through GraphQL, and they give the precise field.
import { GraphQLError, Kind, visit, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { isCleanText } from '../../../protocol/text.ts';

/** Where the first bad string is (`$input`, or `query` for a literal), or null. */
export function dirtyInput(document: DocumentNode, variables: unknown): string | null {
  // Iterative: a variable's JSON may be nested as deep as the body allows.
  const stack: Array<[unknown, string]> = typeof variables === 'object' && variables !== null ? Object.entries(variables).map(([k, v]) => [v, `$${k}`]) : [];
  while (stack.length > 0) {
    const [value, at] = stack.pop()!;
    if (typeof value === 'string') {
      if (!isCleanText(value)) return at;
    } else if (Array.isArray(value)) {
      for (const item of value) stack.push([item, at]);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) {
        if (!isCleanText(key)) return at;
        stack.push([inner, at]);
      }
    }
  }
  return dirtyLiteral(document) ? 'query' : null;
}

// Parsed documents are cached (yoga's parser cache): the same text is the
// same object, so its literals are walked once, not on every keystroke.
const literalsChecked = new WeakMap<DocumentNode, boolean>();

/** Whether a string literal in `document` is not clean text. */
function dirtyLiteral(document: DocumentNode): boolean {
  let dirty = literalsChecked.get(document);
  if (dirty === undefined) {
    let found = false;
    visit(document, {
      [Kind.STRING]: (node) => {
        if (!found && !isCleanText(node.value)) found = true;
      },
    });
    dirty = found;
    literalsChecked.set(document, dirty);
  }
  return dirty;
}

/** The error for a bad string at `at` (also used by the WebSocket path that skips envelop, graphql.ts). */
export const refusal = (at: string) =>
  new GraphQLError('Text must be well-formed (no lone surrogate halves) and contain no NUL characters', { extensions: { code: 'BAD_USER_INPUT', field: at } });

export const cleanInputPlugin = (): Plugin => ({
  onExecute({ args, setResultAndStopExecution }) {
    const at = dirtyInput(args.document, args.variableValues);
    if (at !== null) setResultAndStopExecution({ errors: [refusal(at)] });
  },
  onSubscribe({ args, setResultAndStopExecution }) {
    const at = dirtyInput(args.document, args.variableValues);
    if (at !== null) setResultAndStopExecution({ errors: [refusal(at)] });
  },
});
