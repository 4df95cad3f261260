import { describe, expect, it } from 'vitest';
import { assessReadiness, probe } from './readiness.ts';

describe('readiness', () => {
  it('is ready while the database answers: pub/sub down is degraded, the database down is unready', () => {
    expect(assessReadiness({ database: true, pubsub: true })).toEqual({ ready: true, status: 'ok', down: [] });
    expect(assessReadiness({ database: true, pubsub: false })).toEqual({ ready: true, status: 'degraded', down: ['pubsub'] });
    expect(assessReadiness({ database: false, pubsub: true })).toEqual({ ready: false, status: 'unready', down: ['database'] });
  });

  it('counts a probe that fails, throws or never answers as down', async () => {
    expect(await probe(async () => {})).toBe(true);
    expect(await probe(async () => Promise.reject(new Error('refused')))).toBe(false);
    expect(await probe(() => { throw new Error('sync'); })).toBe(false);
    expect(await probe(() => new Promise(() => {}), 20)).toBe(false);
  });
});
