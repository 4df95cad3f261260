// Assembles the schema from the domain files (each registers its types on
// the builder when imported).
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.ts';
import './error-code.ts';
import './users.ts';
import './operations.ts';
import './presence.ts';
import './documents.ts';
import './actor.ts';
import './api-tokens.ts';
import './edits.ts';
import './share-links.ts';
import './versions.ts';
import './comments.ts';
import './suggestions.ts';
import './events.ts';

let schema: GraphQLSchema | undefined;

export function buildSchema(): GraphQLSchema {
  schema ??= builder.toSchema({ sortSchema: false });
  return schema;
}

/** The committed schema.graphql: stable order, for codegen and drift checks. */
export const printedSchema = () => printSchema(lexicographicSortSchema(buildSchema())) + '\n';
