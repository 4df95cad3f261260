// graphql-yoga for HTTP and graphql-ws for WebSocket, on one path, with
// one context builder and one error mask for both.
import type { IncomingMessage } from 'node:http';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { maskError as yogaMaskError, createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { bearerToken } from '../auth/access-tokens.ts';
import { readCookie, REFRESH_COOKIE } from '../auth/refresh-cookie.ts';
import type { Viewer } from '../documents/documents.ts';
import { AppError } from '../errors.ts';
import { isDatabaseUnavailable } from '../store/unavailable.ts';
import { requestLogPlugin } from './request-log.ts';
import { clientCode, INTERNAL } from './error-code.ts';
import type { CompressionCache } from './compression.ts';
import { compressGraphiQLPlugin } from './compress-graphiql.ts';
import { sharedStreamResultsPlugin } from './shared-stream-results.ts';
import { contentJsonPlugin } from '../schema/content-json.ts';
import type { Context } from '../schema/builder.ts';
import { buildSchema } from '../schema/index.ts';
import type { Services } from '../services.ts';
import { contextViewer, viewerFromBearer, type AuthenticatedViewer } from './credentials.ts';
import { armorPlugin, corsFor, csrfPlugin, disableIntrospectionPlugin } from './security-plugins.ts';
import { cleanInputPlugin } from './clean-input.ts';
import { graphiqlTabs } from './graphiql-examples.ts';
import type { SocketConnection } from './socket-connection.ts';

/** What the WebSocket path hands to the context builder. */
interface SocketContext {
  socketViewer: Viewer | null;
  socketIp: string;
  socketConnection: SocketConnection;
}

export type Yoga = YogaServerInstance<Partial<SocketContext>, Context>;

export type { AuthenticatedViewer } from './credentials.ts';

/** The viewer of an `Authorization: Bearer …` value (either kind of credential, credentials.ts); null without one. */
export async function viewerFromAuthorization(services: Services, header: unknown): Promise<AuthenticatedViewer | null> {
  const token = bearerToken(header);
  return token ? viewerFromBearer(services, token) : null;
}

/**
 * The client's address for rate limits. Behind one reverse proxy
 * (TRUST_PROXY=true) it is the last X-Forwarded-For hop, the one the proxy
 * itself added; earlier hops are whatever the client claimed.
 */
export function clientIp(req: IncomingMessage | undefined, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req?.headers['x-forwarded-for'];
    const last = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded)?.split(',').pop()?.trim();
    if (last) return last;
  }
  return req?.socket.remoteAddress ?? 'unknown';
}

/** Longest error message sent as is. */
const MAX_MESSAGE = 1_000;

/**
 * AppError -> GraphQLError with `extensions.code`; GraphQL's own errors
 * (syntax, validation, scalar parsing) pass through, cut to MAX_MESSAGE;
 * anything else is masked and logged.
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
    if (cause instanceof GraphQLError) {
      // GraphQL's own (syntax, validation, variable coercion, scalar parsing):
      // the client's request was malformed. Those without a code get one;
      // a message quoting a huge refused value is cut (it can be 100s of KB).
      const own = error as GraphQLError;
      const message = own.message.length > MAX_MESSAGE ? `${own.message.slice(0, MAX_MESSAGE)}… (cut)` : own.message;
      if (own.extensions.code !== undefined && message === own.message) return own;
      return new GraphQLError(message, {
        nodes: own.nodes,
        source: own.source,
        positions: own.positions,
        path: own.path,
        extensions: { ...own.extensions, code: own.extensions.code ?? 'BAD_USER_INPUT' },
      });
    }
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

export function createGraphQL(services: Services, options: { compression?: CompressionCache } = {}): Yoga {
  const cookiesByRequest = new WeakMap<Request, string[]>();

  // Every API reply: no caching anywhere (docs/protocol.md §1), and any refresh
  // cookie a resolver set.
  const responsePlugin: Plugin = {
    onResponse({ request, response }) {
      response.headers.set('Cache-Control', 'no-store');
      for (const cookie of cookiesByRequest.get(request) ?? []) response.headers.append('Set-Cookie', cookie);
    },
  };

  const { security } = services.config;
  return createYoga<Partial<SocketContext>, Context>({
    schema: buildSchema(),
    graphqlEndpoint: '/graphql',
    // Tabs with the README's walk-through, for browsers with no stored tabs.
    graphiql: security.graphiql ? { title: 'Collab GraphQL', subscriptionsProtocol: 'WS', defaultTabs: graphiqlTabs } : false,
    cors: corsFor(security),
    // Self-contained GraphiQL (no CDN): works offline and behind strict CSPs.
    renderGraphiQL,
    landingPage: false,
    maskedErrors: { maskError: maskError(services) },
    logging: {
      debug: (...args) => services.logger.debug({ args }, 'yoga'),
      info: (...args) => services.logger.info({ args }, 'yoga'),
      warn: (...args) => services.logger.warn({ args }, 'yoga'),
      // yoga logs every error it masks, a client's mistakes too: those are the
      // request log's (at info, with their code); faults stay at error
      // (maskError has logged them with their stack already).
      error: (...args) => {
        const clientMistake = args.length > 0 && args.every((a) => a instanceof Error && clientCode(a) !== INTERNAL);
        services.logger[clientMistake ? 'debug' : 'error']({ args }, 'yoga');
      },
    },
    plugins: [
      responsePlugin,
      requestLogPlugin(services.logger),
      sharedStreamResultsPlugin(),
      contentJsonPlugin(),
      csrfPlugin(),
      armorPlugin(security),
      cleanInputPlugin(),
      ...(security.introspection ? [] : [disableIntrospectionPlugin()]),
      // Last: it copies the headers the others set.
      ...(options.compression && security.graphiql ? [compressGraphiQLPlugin(options.compression)] : []),
    ],
    context: async (initial): Promise<Context> => {
      if ('socketViewer' in initial) {
        return {
          services,
          viewer: initial.socketViewer ?? null,
          ip: initial.socketIp ?? 'unknown',
          refreshToken: null,
          setCookie: () => {},
          connection: initial.socketConnection ?? null,
        };
      }
      const { request, req } = initial as unknown as { request: Request; req?: IncomingMessage };
      const cookies: string[] = [];
      cookiesByRequest.set(request, cookies);
      let viewer: AuthenticatedViewer | null = null;
      try {
        viewer = await viewerFromAuthorization(services, request.headers.get('authorization'));
      } catch (error) {
        // A stale token is no worse than none: operations that need a
        // viewer say UNAUTHENTICATED, and refreshSession still works.
        if (!(error instanceof AppError)) throw error;
      }
      return {
        services,
        viewer: viewer && contextViewer(viewer),
        ip: clientIp(req, security.trustProxy),
        refreshToken: readCookie(request.headers.get('cookie'), REFRESH_COOKIE),
        setCookie: (cookie) => cookies.push(cookie),
        connection: null,
      };
    },
  });
}

/** ExecutionArgs for one graphql-ws subscribe message, through yoga's envelop (same plugins and rules as HTTP). */
export async function executionArgsForSocket(
  yoga: Yoga,
  viewer: Viewer | null,
  ip: string,
  request: IncomingMessage,
  connection: SocketConnection,
  payload: { query: string; variables?: Record<string, unknown> | null; operationName?: string | null },
): Promise<ExecutionArgs | readonly GraphQLError[]> {
  const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
    socketViewer: viewer,
    socketIp: ip,
    socketConnection: connection,
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
