// selects(): whether a list field's selection reaches a field, through
// inline fragments and named ones, whatever the aliases.
import { Kind, parse, type FragmentDefinitionNode, type GraphQLResolveInfo, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { selects } from './known-users.ts';

/** The resolve info of the first field of the query's first field (`document { <this> }`), as far as selects() reads it. */
function infoOf(query: string): GraphQLResolveInfo {
  const doc = parse(query);
  const operation = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = Object.fromEntries(doc.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  const document = operation.selectionSet.selections[0]!;
  if (document.kind !== Kind.FIELD) throw new Error('expected a field');
  const field = document.selectionSet!.selections[0]!;
  if (field.kind !== Kind.FIELD) throw new Error('expected a field');
  return { fieldNodes: [field], fragments, operation } as unknown as GraphQLResolveInfo;
}

describe('selects', () => {
  it('finds a field by its path, through fragments and aliases, and nothing else', () => {
    expect(selects(infoOf('{ document { threads { id comments { id author { name } } } } }'), ['comments', 'author'])).toBe(true);
    expect(selects(infoOf('{ document { threads { id comments { id body } } } }'), ['comments', 'author'])).toBe(false);
    expect(selects(infoOf('{ document { threads { author { name } } } }'), ['comments', 'author'])).toBe(false);
    expect(selects(infoOf('{ document { threads { c: comments { who: author { name } } } } }'), ['comments', 'author'])).toBe(true);
    expect(selects(infoOf('{ document { threads { ... on CommentThread { comments { ...C } } } } } fragment C on Comment { author { id } }'), ['comments', 'author'])).toBe(true);
    expect(selects(infoOf('{ document { threads { ...T } } } fragment T on CommentThread { ...T2 } fragment T2 on CommentThread { id }'), ['comments', 'author'])).toBe(false);
  });
});
