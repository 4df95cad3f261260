// GraphQL over HTTP with an API token: the MCP server is a client of the API
// like any other, and knows nothing of its internals.

/** An error from the API (its `extensions.code`, docs/protocol.md "Errors"), or from reaching it. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly code: string;
  readonly extensions: Record<string, unknown>;
  constructor(code: string, message: string, extensions: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.extensions = extensions;
  }
}

/** The codes this client makes itself, when there is no GraphQL answer to read one from. */
export const CLIENT_ERROR_CODES = {
  /** No HTTP answer (connection refused, DNS, timeout) or one that is not GraphQL. */
  API_UNREACHABLE: 'API_UNREACHABLE',
} as const;

export type GraphQLRequest = <T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>) => Promise<T>;

interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message?: unknown; extensions?: Record<string, unknown> }>;
}

export interface GraphQLClientOptions {
  graphqlUrl: string;
  token: string;
  /** Per request, in ms; default 30 s. */
  timeoutMs?: number;
}

/** Sends one operation; resolves with `data`, or throws ApiError with the first error's code. */
export function createGraphQLClient(options: GraphQLClientOptions): GraphQLRequest {
  const timeoutMs = options.timeoutMs ?? 30_000;
  return async <T>(query: string, variables: Record<string, unknown> = {}) => {
    let res: Response;
    try {
      res = await fetch(options.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', authorization: `Bearer ${options.token}` },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new ApiError(CLIENT_ERROR_CODES.API_UNREACHABLE, `Cannot reach the API at ${options.graphqlUrl}: ${(error as Error).message}`);
    }
    let body: GraphQLBody;
    try {
      body = (await res.json()) as GraphQLBody;
    } catch {
      throw new ApiError(CLIENT_ERROR_CODES.API_UNREACHABLE, `The API at ${options.graphqlUrl} answered HTTP ${res.status} without a GraphQL body.`, { status: res.status });
    }
    const first = body.errors?.[0];
    if (first) {
      const { code, ...rest } = first.extensions ?? {};
      throw new ApiError(typeof code === 'string' ? code : 'UNKNOWN', typeof first.message === 'string' ? first.message : 'GraphQL error', rest);
    }
    if (!body.data) throw new ApiError(CLIENT_ERROR_CODES.API_UNREACHABLE, `The API answered HTTP ${res.status} with neither data nor errors.`, { status: res.status });
    return body.data as T;
  };
}
