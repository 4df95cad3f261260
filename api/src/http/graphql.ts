// graphql-yoga for HTTP and graphql-ws for WebSocket, on one path, with
// one context builder and one error mask for both.
import type { IncomingMessage } from 'node:http';
import { createSourceEventStream, GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { maskError as yogaMaskError, createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { bearerToken } from '../auth/access-tokens.ts';
import { readCookie, REFRESH_COOKIE } from '../auth/refresh-cookie.ts';
import type { Viewer } from '../documents/documents.ts';
import { AppError } from '../errors.ts';
import { isDatabaseUnavailable } from '../store/unavailable.ts';
import { logSubscriptionStart, requestLogPlugin } from './request-log.ts';
import { clientCode, INTERNAL } from './error-code.ts';
import type { CompressionCache } from './compression.ts';
import { compressGraphiQLPlugin } from './compress-graphiql.ts';
import { SharedStreamResults, sharedStreamResultsPlugin, type QueryShape, type ResultHooks } from './shared-stream-results.ts';
import { cleanInputPlugin, dirtyInput, refusal } from './clean-input.ts';
import { contentJsonPlugin } from '../schema/content-json.ts';
import type { Context } from '../schema/builder.ts';
import { buildSchema } from '../schema/index.ts';
import type { Services } from '../services.ts';
import { contextViewer, viewerFromBearer, type AuthenticatedViewer } from './credentials.ts';
import { armorPlugin, corsFor, csrfPlugin, disableIntrospectionPlugin } from './security-plugins.ts';
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

export function createGraphQL(services: Services, options: { compression?: CompressionCache; sharedResults?: SharedStreamResults } = {}): Yoga {
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
    // Imported on the first page asked for: its 9 MB bundle is ~28 MB of
    // heap (the module's text and the page's), which a node that never
    // serves GraphiQL (production's default) should not carry.
    renderGraphiQL: async (graphiqlOptions) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(graphiqlOptions),
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
      sharedStreamResultsPlugin(options.sharedResults ?? new SharedStreamResults()),
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

type SubscribePayload = { query: string; variables?: Record<string, unknown> | null; operationName?: string | null };

/** ExecutionArgs for one graphql-ws subscribe message. */
export type SocketExecution = (viewer: Viewer | null, ip: string, connection: SocketConnection, payload: SubscribePayload) => Promise<ExecutionArgs | readonly GraphQLError[]>;

const noCookies = () => {};

/**
 * ExecutionArgs for graphql-ws subscribe messages. Every operation is
 * parsed and validated through yoga's envelop (same caches, plugins and
 * rules as HTTP). Then:
 * - the shareable op and presence streams (shared-stream-results.ts), which
 *   is what nearly every open socket runs, are subscribed to directly: a
 *   slim context, graphql-js's createSourceEventStream, and results shared
 *   between subscribers, masked as yoga masks them. What envelop's
 *   subscribe adds per subscription (its hook arrays, closures and a
 *   wrapper per plugin around the stream, ~5 KB with the promises each
 *   pending step holds) would be most of an idle socket's memory. The
 *   plugins' subscribe hooks are done here instead: the request log's line
 *   and the clean-input check; masking through yoga's own function.
 * - anything else goes through envelop's execute and subscribe.
 */
export function createSocketExecution(yoga: Yoga, services: Services, shared: SharedStreamResults): SocketExecution {
  const masking = (yoga as unknown as { maskedErrorsOpts: { maskError: (error: unknown, message: string) => Error; errorMessage: string } | null }).maskedErrorsOpts;
  const hooks: ResultHooks = {
    result: (result) => (masking && result.errors ? { ...result, errors: result.errors.map((e) => masking.maskError(e, masking.errorMessage) as GraphQLError) } : result),
    error: (error) => (masking ? masking.maskError(error, masking.errorMessage) : error),
  };
  const direct = {
    execute: () => {
      throw new Error('a shareable stream is a subscription');
    },
    subscribe: async (args: ExecutionArgs & { shape: QueryShape }) => {
      logSubscriptionStart(services.logger, args.operationName, args.variableValues);
      const at = dirtyInput(args.document, args.variableValues);
      if (at !== null) return hooks.result({ errors: [refusal(at)] });
      let source;
      try {
        source = await createSourceEventStream(args);
      } catch (error) {
        throw hooks.error(error);
      }
      if (!(typeof source === 'object' && source !== null && Symbol.asyncIterator in source)) return hooks.result(source as ExecutionResult);
      return shared.stream(source, args, args.shape, hooks);
    },
  };

  return async (viewer, ip, connection, payload) => {
    const enveloped = yoga.getEnveloped({ socketViewer: viewer, socketIp: ip, socketConnection: connection, params: payload });
    const { schema, parse, validate } = enveloped;
    let document;
    try {
      document = parse(payload.query);
    } catch (error) {
      return [error instanceof GraphQLError ? error : new GraphQLError('Syntax error')];
    }
    const errors = validate(schema, document);
    if (errors.length > 0) return errors;
    const operationName = payload.operationName ?? null;
    const variableValues = payload.variables ?? null;
    const shape = shared.shapeOf(document, operationName);
    if (shape) {
      // graphql-ws keeps the message for as long as the subscription runs:
      // let every subscriber of this query hold the same text, not a copy
      // each (equal text, since the parser cache gave the same document).
      if (payload.query === shape.query) payload.query = shape.query;
      const contextValue: Context = { services, viewer, ip, refreshToken: null, setCookie: noCookies, connection };
      return { schema, document, operationName, variableValues, contextValue, rootValue: direct, shape } as ExecutionArgs;
    }
    return {
      schema,
      document,
      operationName,
      variableValues,
      contextValue: await enveloped.contextFactory(),
      rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
    };
  };
}
