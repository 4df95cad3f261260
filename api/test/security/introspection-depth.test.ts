// Introspection is held to a depth limit too: graphql-armor's depth rule
// skips whatever sits under `__schema`, so a nested introspection query could
// go as deep as it liked wherever introspection is on (development, or
// INTROSPECTION=true). GraphiQL's own introspection query still passes.
// Over HTTP and over the WebSocket.
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTROSPECTION_DEPTH } from '../../src/http/security-plugins.ts';
import { gql, startServer, subscribe, wsClient, type TestServer } from '../harness.ts';

/**
 * `__schema { types { fields { type { ofType { ofType { … { name } } } } } } }`,
 * `depth` fields deep. (Nested `fields` would meet graphql-js's own
 * MaxIntrospectionDepthRule first; it does not count `ofType`.)
 */
function nestedIntrospection(depth: number): string {
  let selection = 'name';
  for (let level = depth - 1; level > 4; level--) selection = `ofType { ${selection} }`;
  return `{ __schema { types { fields { type { ${selection} } } } } }`;
}

// Every option GraphiQL may ask for.
const STANDARD = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true, oneOf: true });

describe('introspection and the depth limit (development)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer('embedded', { NODE_ENV: 'development' }); // MAX_QUERY_DEPTH at its default
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers the standard introspection query over HTTP and over the WebSocket', async () => {
    const http = await gql(server, STANDARD);
    expect(http.errors).toBeUndefined();
    expect(http.data?.__schema.queryType.name).toBe('Query');
    const client = wsClient(server);
    const stream = subscribe(client, STANDARD, {});
    const [result] = await stream.take(1);
    expect(result?.errors).toBeUndefined();
    expect(result?.data?.__schema.queryType.name).toBe('Query');
    await client.dispose();
  });

  it('refuses an introspection query nested deeper with BAD_USER_INPUT (limit queryDepth), over HTTP and over the WebSocket', async () => {
    const deep = nestedIntrospection(INTROSPECTION_DEPTH + 1);
    expect((await gql(server, nestedIntrospection(INTROSPECTION_DEPTH))).errors).toBeUndefined(); // the limit, not one less
    const http = await gql(server, deep);
    expect(http.status).toBeLessThan(500);
    expect(http.data ?? null).toBeNull();
    expect(http.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'queryDepth', max: INTROSPECTION_DEPTH });
    const client = wsClient(server);
    const stream = subscribe(client, deep, {});
    expect(await stream.refusal()).toBe('BAD_USER_INPUT');
    expect((stream.failure as Array<{ extensions?: unknown }>)[0]?.extensions).toMatchObject({ limit: 'queryDepth' });
    await client.dispose();
  });
});
