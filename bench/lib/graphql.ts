// A one-line GraphQL client for the benches' set-up calls (sign up, create,
// share): POST to `${url}/graphql`, the data or a thrown error.

export function graphqlAt(url: string) {
  return async function gql(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<Record<string, any>> {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: Record<string, any>; errors?: unknown };
    if (!body.data || body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
}
