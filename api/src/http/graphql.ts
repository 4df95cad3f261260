// graphql-yoga for HTTP and graphql-ws for WebSocket, on one path, with
// one context builder and one error mask for both.
import type { IncomingMessage } from 'node:http';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { maskError as yogaMaskError, createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { bearerToken } from '../auth/access-tokens.js';
import { readCookie, REFRESH_COOKIE } from '../auth/refresh-cookie.js';
import type { Viewer } from '../documents/documents.js';
import { AppError } from '../errors.js';
import { isDatabaseUnavailable } from '../store/unavailable.js';
import type { Context } from '../schema/builder.js';
import { buildSchema } from '../schema/index.js';
import type { Services } from '../services.js';

/** What the WebSocket path hands to the context builder. */
interface SocketContext {
  socketViewer: Viewer | null;
}

export type Yoga = YogaServerInstance<Partial<SocketContext>, Context>;

/** The viewer of a bearer token; null without one. Throws UNAUTHENTICATED for a bad one. */
export async function viewerFromAuthorization(services: Services, header: unknown): Promise<Viewer | null> {
  const token = bearerToken(header);
  if (!token) return null;
  const claims = await services.tokens.verify(token);
  return { userId: claims.userId, sessionId: claims.sessionId };
}

/**
 * AppError -> GraphQLError with `extensions.code`; GraphQL's own errors
 * (syntax, validation, scalar parsing) pass through; anything else is
 * masked and logged.
 */
function maskError(services: Services) {
  return (error: unknown, message: string, isDev?: boolean): Error => {
    // Errors arrive wrapped (located, then relocated by the executor): find the cause.
    let cause: unknown = error;
    while (cause instanceof GraphQLError && cause.originalError) cause = cause.originalError;
    if (cause instanceof AppError) {
      return new GraphQLError(cause.message, {
        nodes: error instanceof GraphQLError ? error.nodes : undefined,
        path: error instanceof GraphQLError ? error.path : undefined,
        extensions: { code: cause.code, ...cause.details },
      });
    }
    if (cause instanceof GraphQLError) return error as GraphQLError; // GraphQL's own: syntax, validation, scalar parsing
    if (isDatabaseUnavailable(cause)) {
      services.logger.warn({ err: cause }, 'database unavailable');
      return new GraphQLError('The database is unavailable; retry shortly', {
        nodes: error instanceof GraphQLError ? error.nodes : undefined,
        path: error instanceof GraphQLError ? error.path : undefined,
        extensions: { code: 'UNAVAILABLE', retryable: true },
      });
    }
    services.logger.error({ err: cause }, 'unexpected error in a resolver');
    return yogaMaskError(error, message, isDev);
  };
}

export function createGraphQL(services: Services): Yoga {
  const cookiesByRequest = new WeakMap<Request, string[]>();

  // Every API reply: no caching anywhere (DESIGN §1), and any refresh
  // cookie a resolver set.
  const responsePlugin: Plugin = {
    onResponse({ request, response }) {
      response.headers.set('Cache-Control', 'no-store');
      for (const cookie of cookiesByRequest.get(request) ?? []) response.headers.append('Set-Cookie', cookie);
    },
  };

  return createYoga<Partial<SocketContext>, Context>({
    schema: buildSchema(),
    graphqlEndpoint: '/graphql',
    graphiql: services.config.production ? false : { title: 'Collab GraphQL', subscriptionsProtocol: 'WS' },
    // Self-contained GraphiQL (no CDN): works offline and behind strict CSPs.
    renderGraphiQL,
    landingPage: false,
    maskedErrors: { maskError: maskError(services) },
    logging: {
      debug: (...args) => services.logger.debug({ args }, 'yoga'),
      info: (...args) => services.logger.info({ args }, 'yoga'),
      warn: (...args) => services.logger.warn({ args }, 'yoga'),
      error: (...args) => services.logger.error({ args }, 'yoga'),
    },
    plugins: [responsePlugin],
    context: async (initial): Promise<Context> => {
      if ('socketViewer' in initial) {
        return { services, viewer: initial.socketViewer ?? null, refreshToken: null, setCookie: () => {} };
      }
      const { request } = initial as unknown as { request: Request };
      const cookies: string[] = [];
      cookiesByRequest.set(request, cookies);
      let viewer: Viewer | null = null;
      try {
        viewer = await viewerFromAuthorization(services, request.headers.get('authorization'));
      } catch (error) {
        // A stale token is no worse than none: operations that need a
        // viewer say UNAUTHENTICATED, and refreshSession still works.
        if (!(error instanceof AppError)) throw error;
      }
      return {
        services,
        viewer,
        refreshToken: readCookie(request.headers.get('cookie'), REFRESH_COOKIE),
        setCookie: (cookie) => cookies.push(cookie),
      };
    },
  });
}

/** ExecutionArgs for one graphql-ws subscribe message, through yoga's envelop (same plugins and rules as HTTP). */
export async function executionArgsForSocket(
  yoga: Yoga,
  viewer: Viewer | null,
  request: IncomingMessage,
  payload: { query: string; variables?: Record<string, unknown> | null; operationName?: string | null },
): Promise<ExecutionArgs | readonly GraphQLError[]> {
  const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
    socketViewer: viewer,
    req: request,
    params: payload,
  });
  let document;
  try {
    document = parse(payload.query);
  } catch (error) {
    return [error instanceof GraphQLError ? error : new GraphQLError('Syntax error')];
  }
  const errors = validate(schema, document);
  if (errors.length > 0) return errors;
  return {
    schema,
    document,
    operationName: payload.operationName ?? null,
    variableValues: payload.variables ?? null,
    contextValue: await contextFactory(),
    rootValue: { execute, subscribe },
  };
}
