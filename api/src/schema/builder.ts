// The one Pothos builder: context, scalars, plugins. Domain files register
// their types on it; schema/index.ts assembles the schema.
import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import { GraphQLError, Kind, type ValueNode } from 'graphql';
import { parseDelta } from '../../../protocol/delta-validation.ts';
import type { Delta } from '../../../protocol/delta.ts';
import type { Viewer } from '../documents/documents.ts';
import { AppError } from '../errors.ts';
import type { Services } from '../services.ts';
import type { PresenceOwner } from '../collab/presence.ts';
import { ContentValue, contentValue } from './content-json.ts';

export interface Context {
  services: Services;
  viewer: Viewer | null;
  /** The client's address (rate limits), as clientIp() in http/graphql.ts finds it. */
  ip: string;
  /** The refresh cookie of the request (HTTP only). */
  refreshToken: string | null;
  /** Adds a Set-Cookie header to the HTTP response (no-op over WebSocket). */
  setCookie: (cookie: string) => void;
  /** The WebSocket the operation came over (null over HTTP): what lives as long as it does, such as presence, is bound to it. */
  connection: PresenceOwner | null;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  DefaultFieldNullability: false;
  Scalars: {
    Delta: { Input: Delta; Output: Delta | ContentValue };
    DateTime: { Input: Date; Output: Date };
    TextAttributes: { Input: Record<string, unknown>; Output: Record<string, unknown> };
  };
}>({
  plugins: [RelayPlugin],
  defaultFieldNullability: false,
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    // Relay's own types and arguments, described for GraphiQL's docs pane.
    pageInfoTypeOptions: { description: 'Where a page of a connection sits in the whole list.' },
    hasNextPageFieldOptions: { description: 'Whether there are items after this page (ask again with `after: endCursor`).' },
    hasPreviousPageFieldOptions: { description: 'Whether there are items before this page (ask again with `before: startCursor`).' },
    startCursorFieldOptions: { description: 'The cursor of the first item of this page; null when the page is empty.' },
    endCursorFieldOptions: { description: 'The cursor of the last item of this page; null when the page is empty.' },
    edgesFieldOptions: { description: 'The items of this page, each with its cursor.' },
    pageInfoFieldOptions: { description: 'Whether there are more pages, and the cursors to ask for them.' },
    cursorFieldOptions: { description: 'Opaque position of this item; pass it as `after` or `before`.' },
    nodeFieldOptions: { description: 'The item.' },
    firstArgOptions: { description: 'Return at most this many items from the start (after `after`).' },
    afterArgOptions: { description: 'Return items after this cursor (an `endCursor` or edge `cursor`).' },
    lastArgOptions: { description: 'Return at most this many items from the end (before `before`).' },
    beforeArgOptions: { description: 'Return items before this cursor (a `startCursor` or edge `cursor`).' },
  },
});

/** Scalar parse failures must carry a code like every other rejection. */
function asInputError(error: unknown): never {
  if (error instanceof AppError) {
    throw new GraphQLError(error.message, { extensions: { code: error.code, ...error.details } });
  }
  throw error;
}

function literalToJson(node: ValueNode): unknown {
  switch (node.kind) {
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, literalToJson(f.value)]));
    case Kind.LIST:
      return node.values.map(literalToJson);
    case Kind.INT:
      return Number.parseInt(node.value, 10);
    case Kind.FLOAT:
      return Number.parseFloat(node.value);
    case Kind.STRING:
    case Kind.ENUM:
      return node.value;
    case Kind.BOOLEAN:
      return node.value;
    case Kind.NULL:
      return null;
    default:
      // Variables inside literals are not supported for Delta.
      throw new AppError('BAD_USER_INPUT', 'Delta literals cannot contain variables');
  }
}

builder.scalarType('Delta', {
  description: 'A Quill Delta as JSON: { "ops": [ { "insert": "Hi", "attributes": { "bold": true } }, { "retain": 3 }, { "delete": 1 } ] }. Validated strictly on input.',
  // JSON `{ ops }`; a large content's JSON is made once for all replies (content-json.ts).
  serialize: (value) => (value instanceof ContentValue ? value : contentValue(value.ops)),
  parseValue: (value) => {
    try {
      return parseDelta(value);
    } catch (error) {
      return asInputError(error);
    }
  },
  parseLiteral: (node) => {
    try {
      return parseDelta(literalToJson(node));
    } catch (error) {
      return asInputError(error);
    }
  },
});

builder.scalarType('DateTime', {
  description: 'An ISO-8601 timestamp in UTC.',
  serialize: (date) => date.toISOString(),
  parseValue: (value) => {
    const date = typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
    if (Number.isNaN(date.getTime())) asInputError(new AppError('BAD_USER_INPUT', 'DateTime must be an ISO-8601 string'));
    return date;
  },
});

export const RoleEnum = builder.enumType('Role', {
  description: "A member's rights on one document. Each role includes the rights of the roles below it.",
  values: {
    OWNER: { description: 'Reads, writes, shares, renames and deletes.' },
    EDITOR: { description: 'Reads, writes and comments.' },
    COMMENTER: { description: 'Reads, comments (comment threads) and suggests changes (suggestions); cannot change the text.' },
    VIEWER: { description: 'Reads.' },
  } as const,
});

builder.queryType({ description: 'Reads. Send `Authorization: Bearer <accessToken>` (over HTTP) or `connectionParams: { authorization }` (over WebSocket).' });
builder.mutationType({
  description: 'Writes. A rejected mutation changes nothing; its error carries `extensions.code` (see docs/protocol.md, "Errors").',
});
builder.subscriptionType({ description: 'Live streams, over WebSocket (graphql-ws protocol) on the same /graphql path.' });
