// Authors of a list, looked up before the list is resolved. A document's
// 1,000 comments each had an `author` field that returned a promise (the
// accounts loader gathers them into one query, but each field still went
// through the executor's asynchronous path: a promise per comment, a
// promise per comment object). A list resolver that knows the author ids
// (Document.threads, Document.suggestions) looks the distinct ones up once,
// before it returns; the author fields then answer from this response's
// map synchronously. The map lives as long as one query or mutation's
// context, so a renamed or deleted account reads as it is now on the next
// one, as with the loader. Subscription contexts live for the whole
// subscription: they never use it.
import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import type { UserRecord } from '../auth/accounts.ts';
import type { Context } from './builder.ts';

const perContext = new WeakMap<Context, Map<string, UserRecord | null>>();

/** Whether the field being resolved selects `path` (field names, through fragments; aliases do not matter). */
export function selects(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  const within = (set: SelectionSetNode | undefined, depth: number, seen: Set<string>): boolean => {
    if (!set) return false;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value === path[depth] && (depth === path.length - 1 || within(selection.selectionSet, depth + 1, seen))) return true;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (within(selection.selectionSet, depth, seen)) return true;
      } else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        if (within(info.fragments[selection.name.value]?.selectionSet, depth, seen)) return true;
      }
    }
    return false;
  };
  return info.fieldNodes.some((node) => within(node.selectionSet, 0, new Set()));
}

/** Looks up the accounts `ids` name (once each, in one batch) for this response's author fields. */
export async function knowUsers(ctx: Context, info: GraphQLResolveInfo, ids: Iterable<string | null>): Promise<void> {
  if (info.operation.operation === 'subscription') return;
  let known = perContext.get(ctx);
  if (!known) perContext.set(ctx, (known = new Map()));
  const missing = [...new Set(ids)].filter((id): id is string => id !== null && !known.has(id));
  const users = await Promise.all(missing.map((id) => ctx.services.accounts.user(id)));
  missing.forEach((id, i) => known.set(id, users[i] ?? null));
}

/** The account `id` names: from this response's lookups when made, else through the accounts loader. */
export function userById(ctx: Context, id: string): UserRecord | null | Promise<UserRecord | null> {
  const known = perContext.get(ctx)?.get(id);
  return known !== undefined ? known : ctx.services.accounts.user(id);
}
