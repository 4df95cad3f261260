// GraphQL Code Generator: typed documents for the web client from the
// committed schema.graphql (printed from the Pothos schema by
// `npm run schema:print`), so the client never imports server code.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['web/src/**/*.{ts,tsx}', '!web/src/gql/**'],
  ignoreNoDocuments: true,
  // ESM imports with .js extensions, as NodeNext resolution wants.
  emitLegacyCommonJSImports: false,
  generates: {
    'web/src/gql/': {
      preset: 'client',
      config: {
        scalars: { Delta: '{ ops: Array<Record<string, unknown>> }', DateTime: 'string' },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
