// The envelop/yoga plugins that protect the GraphQL layer. Validation and
// parsing rules run inside envelop, so they apply to graphql-ws messages too
// (server.ts gets parse/validate from yoga.getEnveloped). CSRF and CORS are
// HTTP-only by nature; the WebSocket path checks Origin itself.
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { getNamedType, GraphQLError, isIntrospectionType, type ValidationContext, type ValidationRule } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { SecurityConfig } from '../config.ts';

type Limit = 'queryDepth' | 'queryAliases' | 'queryTokens' | 'queryCost' | 'queryDirectives';

/**
 * graphql-armor reports untyped errors; ours carry BAD_USER_INPUT and which
 * limit was hit. Validation rules report through the context; the token
 * counter runs inside the parser (no context), so it throws.
 */
function rejectWith(limit: Limit, max: number) {
  return (context: ValidationContext | null, error: GraphQLError) => {
    const typed = new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code: 'BAD_USER_INPUT', limit, max } });
    if (context) context.reportError(typed);
    else throw typed;
  };
}

/**
 * How deep an introspection query may nest: the depth of the standard one
 * (graphql-js getIntrospectionQuery, with every option, which is what
 * GraphiQL sends), counting fields only (fragment spreads flattened).
 * test/security/introspection-depth.test.ts holds it to that.
 */
export const INTROSPECTION_DEPTH = 15;

export function armorPlugin(security: SecurityConfig): Plugin {
  const MAX_DIRECTIVES = 50;
  const main = EnvelopArmorPlugin({
    // Whatever sits under `__schema` is skipped here (ignoreIntrospection):
    // the standard introspection query is deeper than MAX_QUERY_DEPTH's
    // default. `introspectionDepth` below bounds it instead.
    maxDepth: { n: security.maxQueryDepth, ignoreIntrospection: true, onReject: [rejectWith('queryDepth', security.maxQueryDepth)], propagateOnRejection: false },
    maxAliases: { n: security.maxQueryAliases, onReject: [rejectWith('queryAliases', security.maxQueryAliases)], propagateOnRejection: false },
    maxTokens: { n: security.maxQueryTokens, onReject: [rejectWith('queryTokens', security.maxQueryTokens)], propagateOnRejection: false },
    costLimit: { maxCost: security.maxQueryCost, onReject: [rejectWith('queryCost', security.maxQueryCost)], propagateOnRejection: false },
    maxDirectives: { n: MAX_DIRECTIVES, onReject: [rejectWith('queryDirectives', MAX_DIRECTIVES)], propagateOnRejection: false },
    // "Did you mean …?" hints reveal the schema: hidden when introspection is.
    blockFieldSuggestion: { enabled: !security.introspection },
  }) as Plugin;
  // The second depth rule counts `__schema` too, fields only: it allows the
  // standard introspection query and refuses `__schema { types { fields {
  // type { fields { … } } } } }` nested deeper, in every mode. Any other
  // operation it passes is already bounded by the first rule, whose count is
  // never lower (it also counts fragment spreads).
  const max = Math.max(security.maxQueryDepth, INTROSPECTION_DEPTH);
  const introspectionDepth = EnvelopArmorPlugin({
    maxDepth: { n: max, ignoreIntrospection: false, flattenFragments: true, onReject: [rejectWith('queryDepth', max)], propagateOnRejection: false },
    maxAliases: { enabled: false },
    maxTokens: { enabled: false },
    costLimit: { enabled: false },
    maxDirectives: { enabled: false },
    blockFieldSuggestion: { enabled: false },
  }) as Plugin;
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(main);
      addPlugin(introspectionDepth);
    },
  };
}

/** Refuses __schema / __type (not __typename) with FORBIDDEN. */
const noIntrospection: ValidationRule = (context) => ({
  Field(node) {
    const type = context.getType();
    if (type && isIntrospectionType(getNamedType(type))) {
      context.reportError(new GraphQLError('Introspection is disabled on this server', { nodes: node, extensions: { code: 'FORBIDDEN' } }));
    }
  },
});

export const disableIntrospectionPlugin = (): Plugin => ({
  onValidate({ addValidationRule }) {
    addValidationRule(noIntrospection);
  },
});

/** The header that marks a request as made by script (forcing a CORS preflight for cross-origin callers). */
export const CSRF_HEADER = 'x-graphql-yoga-csrf';

// Browsers send these without a preflight, so a cross-site form or a
// no-cors fetch could carry the refresh cookie (SameSite=Strict already
// stops that in current browsers; this is the second lock).
const SIMPLE_CONTENT_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

/**
 * CSRF prevention (as yoga's csrfPrevention plugin): a request that a
 * browser would send without a preflight must carry CSRF_HEADER. JSON
 * POSTs, which every real client sends, need nothing.
 */
export const csrfPlugin = (): Plugin => ({
  onRequestParse({ request }) {
    const type = request.headers.get('content-type')?.toLowerCase();
    const preflighted = type !== undefined && !SIMPLE_CONTENT_TYPES.some((simple) => type.startsWith(simple));
    if (preflighted || request.headers.has(CSRF_HEADER)) return;
    throw createGraphQLError(`Send JSON (Content-Type: application/json) or the ${CSRF_HEADER} header`, {
      extensions: { code: 'FORBIDDEN', http: { status: 403 } },
    });
  },
});

/** The origins other than our own that may use the API from a browser. */
export function isAllowedOrigin(security: SecurityConfig, origin: string | null | undefined, host: string | null | undefined): boolean {
  if (!origin) return true; // not a browser (browsers always send Origin on cross-origin requests and WebSocket upgrades)
  if (security.allowedOrigins.includes(origin)) return true;
  try {
    // Same origin: the page was served by this host. The scheme is not
    // compared: behind a TLS-terminating proxy we see http, the page https.
    return host !== null && host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/** yoga's CORS option: headers only for allow-listed origins (yoga's default reflects every origin, with credentials). */
export function corsFor(security: SecurityConfig) {
  return (request: Request) => {
    const origin = request.headers.get('origin');
    if (!origin || !security.allowedOrigins.includes(origin)) return false as const;
    return {
      origin: [origin],
      credentials: true,
      methods: ['GET', 'POST'],
      allowedHeaders: ['content-type', 'authorization', CSRF_HEADER],
      maxAge: 600,
    };
  };
}
