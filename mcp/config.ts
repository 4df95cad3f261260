// The MCP server's settings, from its environment (the one place that reads
// it): where the API is and the API token it acts with.
import { z } from 'zod';

export interface McpConfig {
  /** The API's GraphQL endpoint, e.g. http://localhost:4000/graphql. */
  graphqlUrl: string;
  /** The API token's secret (cgat_…), sent as `Authorization: Bearer`. */
  token: string;
}

/** A setting that keeps the server from starting; its message says what to set. */
export class McpConfigError extends Error {
  override name = 'McpConfigError';
}

const Env = z.object({
  // COLLAB_URL: the API's base URL (default http://localhost:4000); a URL that already ends in /graphql is taken as is.
  COLLAB_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:4000'),
  // COLLAB_TOKEN: an API token (createApiToken). Required: there is no anonymous access to documents.
  COLLAB_TOKEN: z.string().trim().optional(),
});

export function loadMcpConfig(env: Record<string, string | undefined>): McpConfig {
  const parsed = Env.safeParse({ COLLAB_URL: env.COLLAB_URL || undefined, COLLAB_TOKEN: env.COLLAB_TOKEN });
  if (!parsed.success) throw new McpConfigError(`COLLAB_URL must be an http(s) URL such as http://localhost:4000 (got ${JSON.stringify(env.COLLAB_URL)}).`);
  const { COLLAB_URL: url, COLLAB_TOKEN: token } = parsed.data;
  if (!token) {
    throw new McpConfigError(
      'COLLAB_TOKEN is not set. Make an API token (mutation { createApiToken(name: "My agent", role: EDITOR) { token } }, signed in as yourself) and pass its cgat_… secret as COLLAB_TOKEN.',
    );
  }
  if (!token.startsWith('cgat_')) {
    // An access token would work for 15 minutes and then fail every call: refuse it up front.
    throw new McpConfigError('COLLAB_TOKEN must be an API token (it starts with cgat_), not an access token or a password.');
  }
  const base = url.replace(/\/+$/, '');
  return { graphqlUrl: base.endsWith('/graphql') ? base : `${base}/graphql`, token };
}
