// recentUser() answers presence's user lookups from memory for up to
// RECENT_USER_MS: one query per account in that time, whatever the number
// of reads, and a rename or a deletion shows once that time has passed.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { migratedDatabase, openTempPGlite } from '../../test/support/test-databases.ts';
import { Accounts, RECENT_USER_MS } from './accounts.ts';
import { createAccessTokens } from './access-tokens.ts';

describe('Accounts.recentUser', () => {
  const temp = migratedDatabase(openTempPGlite);

  /** Accounts on a clock of our own, counting the user lookups that reach the database. */
  function accountsAt(clock: { now: number }) {
    const counted = { queries: 0 };
    const prisma = temp.db.prisma.$extends({
      query: {
        user: {
          findMany: ({ args, query }) => {
            counted.queries++;
            return query(args);
          },
        },
      },
    }) as unknown as typeof temp.db.prisma;
    return { accounts: new Accounts(prisma, createAccessTokens('x'.repeat(32), 900), 3_600, { now: () => clock.now }), counted };
  }

  const createUser = async (name: string) => {
    const id = randomUUID();
    await temp.db.prisma.user.create({ data: { id, email: `${id}@example.com`, name, passwordHash: 'x' } });
    return id;
  };

  it('reads an account once per RECENT_USER_MS, then shows its rename', async () => {
    const clock = { now: 1_000_000 };
    const { accounts, counted } = accountsAt(clock);
    const id = await createUser('Ada');
    expect((await accounts.recentUser(id))?.name).toBe('Ada');
    await temp.db.prisma.user.update({ where: { id }, data: { name: 'Grace' } });
    clock.now += RECENT_USER_MS - 1;
    // Reads in one turn and in later turns: the one lookup already made.
    const users = await Promise.all([accounts.recentUser(id), accounts.recentUser(id)]);
    expect(users.map((u) => u?.name)).toEqual(['Ada', 'Ada']);
    expect((await accounts.recentUser(id))?.name).toBe('Ada');
    expect(counted.queries).toBe(1);
    clock.now += 1;
    expect((await accounts.recentUser(id))?.name).toBe('Grace');
    expect(counted.queries).toBe(2);
    // user() never answers from that memory.
    await temp.db.prisma.user.update({ where: { id }, data: { name: 'Ada L.' } });
    expect((await accounts.user(id))?.name).toBe('Ada L.');
  });

  it('shows a deleted account as null, and an account created later, once RECENT_USER_MS has passed', async () => {
    const clock = { now: 1_000_000 };
    const { accounts } = accountsAt(clock);
    const gone = await createUser('Ada');
    const later = randomUUID();
    expect(await accounts.recentUser(gone)).not.toBeNull();
    expect(await accounts.recentUser(later)).toBeNull();
    await temp.db.prisma.user.delete({ where: { id: gone } });
    await temp.db.prisma.user.create({ data: { id: later, email: `${later}@example.com`, name: 'Grace', passwordHash: 'x' } });
    expect(await accounts.recentUser(gone)).not.toBeNull();
    clock.now += RECENT_USER_MS;
    expect(await accounts.recentUser(gone)).toBeNull();
    expect((await accounts.recentUser(later))?.name).toBe('Grace');
  });
});
