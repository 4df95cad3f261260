// The AccessCache keeps only what is still true: entries expire, every
// access event forgets what it changed, and an answer read while a change
// was being forgotten is not kept (it may predate the change).
import { describe, expect, it } from 'vitest';
import { AccessCache } from './access-cache.ts';
import { createAccessTokens } from './access-tokens.ts';

describe('AccessCache', () => {
  it('keeps a live session and a role for ttlMs, then forgets them', () => {
    let now = 1_000;
    const cache = new AccessCache(5_000, () => now);
    cache.sessionIsLive('s1', 'u1', cache.epoch);
    cache.roleIs('d1', 'u1', 'EDITOR', cache.epoch);
    now += 4_999;
    expect(cache.sessionUser('s1')).toBe('u1');
    expect(cache.role('d1', 'u1')).toBe('EDITOR');
    now += 1;
    expect(cache.sessionUser('s1')).toBeUndefined();
    expect(cache.role('d1', 'u1')).toBeUndefined();
  });

  it('forgets exactly what an access event changed', () => {
    const cache = new AccessCache(60_000);
    const fill = () => {
      for (const s of ['s1', 's2']) cache.sessionIsLive(s, 'u1', cache.epoch);
      for (const [d, u] of [['d1', 'u1'], ['d1', 'u2'], ['d2', 'u1']] as const) cache.roleIs(d, u, 'EDITOR', cache.epoch);
    };
    fill();
    cache.forget({ kind: 'sessions-revoked', userId: 'u1', sessionIds: ['s1'] });
    expect([cache.sessionUser('s1'), cache.sessionUser('s2')]).toEqual([undefined, 'u1']);
    cache.forget({ kind: 'role-changed', documentId: 'd1', userId: 'u1' });
    expect([cache.role('d1', 'u1'), cache.role('d1', 'u2'), cache.role('d2', 'u1')]).toEqual([undefined, 'EDITOR', 'EDITOR']);
    fill();
    cache.forget({ kind: 'member-removed', documentId: 'd1', userId: 'u2' });
    expect([cache.role('d1', 'u1'), cache.role('d1', 'u2'), cache.role('d2', 'u1')]).toEqual(['EDITOR', undefined, 'EDITOR']);
    fill();
    cache.forget({ kind: 'document-deleted', documentId: 'd1' });
    expect([cache.role('d1', 'u1'), cache.role('d1', 'u2'), cache.role('d2', 'u1')]).toEqual([undefined, undefined, 'EDITOR']);
  });

  it('does not keep an answer read before a change was forgotten', () => {
    const cache = new AccessCache(60_000);
    const readAt = cache.epoch; // a read starts...
    cache.forget({ kind: 'role-changed', documentId: 'd1', userId: 'u1' }); // ...a change lands meanwhile...
    cache.roleIs('d1', 'u1', 'EDITOR', readAt); // ...and the (maybe stale) answer arrives
    cache.sessionIsLive('s1', 'u1', readAt);
    expect(cache.role('d1', 'u1')).toBeUndefined();
    expect(cache.sessionUser('s1')).toBeUndefined();
  });

  it('keeps nothing with ttlMs 0', () => {
    const cache = new AccessCache(0);
    cache.sessionIsLive('s1', 'u1', cache.epoch);
    cache.roleIs('d1', 'u1', 'OWNER', cache.epoch);
    expect(cache.sessionUser('s1')).toBeUndefined();
    expect(cache.role('d1', 'u1')).toBeUndefined();
  });
});

describe('access token verification cache', () => {
  it('still refuses a token once it expires, and never accepts an altered one', async () => {
    let now = Date.UTC(2026, 0, 1);
    const tokens = createAccessTokens('x'.repeat(32), 60, () => now);
    const { token } = await tokens.issue('u1', 's1');
    expect(await tokens.verify(token)).toMatchObject({ userId: 'u1', sessionId: 's1' });
    expect(await tokens.verify(token)).toMatchObject({ userId: 'u1', sessionId: 's1' }); // remembered
    const [header, payload, signature] = token.split('.');
    const forged = `${header}.${payload}.${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'BB' : 'AA'}`;
    await expect(tokens.verify(forged)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    now += 61_000;
    await expect(tokens.verify(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED', details: { reason: 'TOKEN_EXPIRED' } });
  });
});
