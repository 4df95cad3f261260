// One structured log line per GraphQL operation (HTTP and WebSocket):
// request id, operation, document id, duration, error codes. Never
// variables' values beyond the document id: no delta text, no secrets.
import { randomUUID } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../logger.ts';
import { clientCode, logLevelFor } from './error-code.ts';

/** The document an operation is about, if its variables name one. */
function documentIdOf(variables: unknown): string | undefined {
  if (typeof variables !== 'object' || variables === null) return undefined;
  const v = variables as Record<string, unknown>;
  const input = v.input as Record<string, unknown> | undefined;
  const id = v.documentId ?? input?.documentId ?? v.id;
  return typeof id === 'string' ? id : undefined;
}

/** The codes the client gets (the result here is not masked yet: errors still wrap their cause). */
function errorCodes(result: unknown): string[] {
  const errors = (result as { errors?: readonly unknown[] })?.errors ?? [];
  return errors.map(clientCode);
}

export function requestLogPlugin(logger: Logger): Plugin {
  return {
    onExecute({ args }) {
      const started = performance.now();
      return {
        onExecuteDone({ result }) {
          const codes = errorCodes(result);
          // Built only when the line is written: most operations log nothing at the default level.
          if (codes.length === 0 && !logger.isLevelEnabled('debug')) return;
          const headers = (args.contextValue as { request?: Request }).request?.headers;
          const fields = {
            reqId: headers?.get('x-request-id') ?? randomUUID(),
            op: args.operationName ?? undefined,
            documentId: documentIdOf(args.variableValues),
            ms: Math.round(performance.now() - started),
            ...(codes.length > 0 && { errors: codes }),
          };
          // A client's mistake (UNAUTHENTICATED, NOT_FOUND…) is info, abuse or a dependency warn, a fault of ours error.
          if (codes.length > 0) logger[logLevelFor(codes)](fields, 'graphql operation failed');
          else logger.debug(fields, 'graphql operation');
        },
      };
    },
    onSubscribe({ args }) {
      logSubscriptionStart(logger, args.operationName, args.variableValues);
    },
  };
}

/** The line a subscription starts with (also written by the WebSocket path that skips envelop, graphql.ts). */
export function logSubscriptionStart(logger: Logger, operationName: string | null | undefined, variables: unknown): void {
  if (logger.isLevelEnabled('debug')) logger.debug({ op: operationName ?? undefined, documentId: documentIdOf(variables) }, 'graphql subscription started');
}
