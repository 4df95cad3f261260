// ApiTokens on a real (PGlite) database with a clock of our own: lastUsedAt
// is written at most once a minute per token, not once per request, and a
// revocation is reported so that every node can end the token's streams.
import { describe, expect, it } from 'vitest';
import { migratedDatabase, openTempPGlite } from '../../test/support/test-databases.ts';
import { ApiTokens, LAST_USED_EVERY_MS } from './api-tokens.ts';

describe('ApiTokens', () => {
  const temp = migratedDatabase(openTempPGlite);

  const person = async () => ({ userId: (await temp.db.prisma.user.create({ data: { email: `${Math.random()}@example.com`, name: 'p', passwordHash: 'x' } })).id });
  // PGlite runs one statement at a time, in order: a read after authenticate() sees its write, if it made one.
  const lastUsed = async (id: string) => (await temp.db.prisma.apiToken.findUniqueOrThrow({ where: { id } })).lastUsedAt?.getTime() ?? null;

  it('writes lastUsedAt on first use, then at most once a minute', async () => {
    let now = Date.UTC(2026, 11, 6, 12);
    const errors: unknown[] = [];
    const tokens = new ApiTokens(temp.db.prisma, { now: () => now, onError: (e) => errors.push(e) });
    const { secret, token } = await tokens.create(await person(), 'agent', 'EDITOR', null);
    expect(await lastUsed(token.id)).toBeNull();

    await tokens.authenticate(secret);
    expect(await lastUsed(token.id)).toBe(now);
    const first = now;

    now += 30_000;
    await tokens.authenticate(secret);
    expect(await lastUsed(token.id)).toBe(first);
    // Not even asked: with the column cleared behind its back, this node still does not write within the minute.
    await temp.db.prisma.apiToken.update({ where: { id: token.id }, data: { lastUsedAt: null } });
    now += 20_000;
    await tokens.authenticate(secret);
    expect(await lastUsed(token.id)).toBeNull();

    now = first + LAST_USED_EVERY_MS;
    await tokens.authenticate(secret);
    expect(await lastUsed(token.id)).toBe(now);
    expect(errors).toEqual([]);
  });

  it('reports a revocation once, and refuses the token from then on', async () => {
    const revoked: Array<[string, string[]]> = [];
    const tokens = new ApiTokens(temp.db.prisma, { onRevoked: async (userId, ids) => void revoked.push([userId, ids]) });
    const owner = await person();
    const { secret, token } = await tokens.create(owner, 'agent', 'VIEWER', null);
    await tokens.revoke(owner, token.id);
    await tokens.revoke(owner, token.id);
    expect(revoked).toEqual([[owner.userId, [token.id]]]);
    await expect(tokens.authenticate(secret)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', details: { reason: 'TOKEN_REVOKED' } });
    expect(await tokens.isLive(token.id)).toBe(false);
    expect(await tokens.nameOf(token.id)).toBe('agent');
  });
});
